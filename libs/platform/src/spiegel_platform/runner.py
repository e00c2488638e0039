"""Running a process type: the REST app, the outbox relay, a consumer.

One image runs any of them (`python -m spiegel_<service> api|relay|consumer`),
so they scale separately. Worker processes serve /healthz, /readyz and /metrics
on their own port too. SIGTERM and SIGINT stop them gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI

from spiegel_platform.logging import get_logger

log = get_logger(__name__)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The process's own handler decides when to stop.
        yield


def _exit_now() -> None:
    log.error("shutdown_timeout_exceeded")
    os._exit(1)


KEEP_ALIVE_S = 75


def _config(app: FastAPI, host: str, port: int, **kwargs: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="on",
        # uvicorn would believe X-Forwarded-For/-Proto from 127.0.0.1 before the app saw the
        # request; the gateway decides that itself, from TRUSTED_PROXIES only.
        proxy_headers=False,
        # Idle keep-alive connections stay open longer than the gateway's pool keeps them
        # (30 s): otherwise the gateway may reuse a connection the service is just closing.
        timeout_keep_alive=KEEP_ALIVE_S,
        **kwargs,
    )


def serve_api(app: FastAPI, *, host: str, port: int) -> None:
    """Serve a REST app until SIGTERM/SIGINT (uvicorn's own graceful shutdown)."""
    uvicorn.Server(_config(app, host, port, timeout_graceful_shutdown=10)).run()


async def run_worker(
    work: Callable[[asyncio.Event], Awaitable[None]],
    *,
    health_app: FastAPI | None,
    host: str,
    port: int,
    shutdown_timeout: float = 20.0,
) -> None:
    """Run `work(stop)` with a health/metrics server beside it, until a signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_stop() -> None:
        stop.set()
        # A graceful stop talks to the broker (commit, leave the group); when the
        # broker is gone that can hang. Whatever happens, the process ends.
        loop.call_later(shutdown_timeout, _exit_now)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    server = _Server(_config(health_app, host, port)) if health_app is not None else None
    server_task = asyncio.create_task(server.serve()) if server is not None else None
    try:
        await work(stop)
    finally:
        if server is not None and server_task is not None:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server_task, timeout=5)
