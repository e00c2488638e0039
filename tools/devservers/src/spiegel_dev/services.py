"""The services of the workspace and how to start their process types locally."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import httpx
from spiegel_platform.service import ServiceDefinition

from spiegel_dev.processes import free_port, spawn, stop


def definitions() -> dict[str, ServiceDefinition]:
    found = {}
    for entry in entry_points(group="spiegel.services"):
        found[entry.name] = entry.load()
    return dict(sorted(found.items()))


def module_of(name: str) -> str:
    return "spiegel_" + name.replace("-", "_")


def url_variable(name: str) -> str:
    """The gateway's setting of the service's address: SURVEY_URL, ACTION_PLAN_URL, ..."""
    return f"{name.upper().replace('-', '_')}_URL"


def process_types(definition: ServiceDefinition) -> list[str]:
    kinds = ["api"]
    if definition.outbox_collections:
        kinds.append("relay")
    if definition.consumers or definition.background:
        kinds.append("consumer")
    return kinds


@dataclass
class ServiceProcess:
    service: str
    process: str
    port: int
    env: dict[str, str]
    log: Path
    module: str | None = None
    handle: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True, timeout: float = 60.0) -> ServiceProcess:
        env = {**self.env, "HTTP_PORT": str(self.port), "HTTP_HOST": "127.0.0.1"}
        module = self.module or module_of(self.service)
        self.handle = spawn([sys.executable, "-m", module, *self.process.split()], log=self.log, env=env)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.handle is not None and self.handle.poll() is not None:
                raise RuntimeError(
                    f"{self.service} {self.process} exited with {self.handle.returncode}:\n"
                    + self.log.read_text(errors="replace")[-3000:]
                )
            try:
                response = httpx.get(self.url + "/readyz", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as error:
                last = repr(error)
            time.sleep(0.2)
        raise TimeoutError(
            f"{self.service} {self.process} not ready after {timeout}s: {last}\n"
            + self.log.read_text(errors="replace")[-3000:]
        )

    def kill(self) -> None:
        """kill -9: the crash the tests inflict."""
        if self.handle is not None and self.handle.poll() is None:
            self.handle.kill()
            self.handle.wait()

    def stop(self) -> int | None:
        if self.handle is None:
            return None
        return stop(self.handle, timeout=20)

    @property
    def running(self) -> bool:
        return self.handle is not None and self.handle.poll() is None


def service_env(
    *,
    service: str,
    kafka: str,
    mongodb: str,
    jwks: str,
    database_prefix: str = "spiegel",
    environment: str = "development",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ", "SPIEGEL_CACHE_DIR")}
    return {
        **base,
        "SPIEGEL_ENV": environment,
        "MONGODB_URL": mongodb,
        "MONGODB_DATABASE": f"{database_prefix}_{service.replace('-', '_')}",
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PARTITIONS": "3",
        "SERVICE_TOKEN_JWKS": jwks,
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }


def new_process(
    service: str,
    process: str,
    env: dict[str, str],
    logdir: Path,
    port: int | None = None,
    module: str | None = None,
) -> ServiceProcess:
    log = logdir / f"{service}-{process.replace(' ', '-')}.log"
    return ServiceProcess(service, process, port or free_port(), env, log, module=module)
