"""A small HTTP/1.1 load generator, run as its own process by benchmarks (`python -m bench._loadgen`).

Raw asyncio streams with keep-alive: far cheaper per request than a full client,
so on a small machine the generator takes as little CPU from the servers as
possible. Two modes:
- closed: N connections, each sends its next request when the last answered
  (throughput);
- open: requests are started at a fixed rate whatever the answers (latency at
  a given load); latency is measured from the scheduled start, so a stalled
  server cannot hide its queue (no coordinated omission).
Prints one JSON line: count, errors (non-2xx or failures), seconds, rps, latencies (ms),
and the count of each status. `{random}` in the URL becomes a fresh random token per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time
from urllib.parse import urlsplit

import uvloop


class Connection:
    def __init__(self, host: str, port: int, request: bytes) -> None:
        self.host, self.port, self.request = host, port, request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        request = self.request
        if b"{random}" in request:  # a new random path segment per request (e.g. guessed link tokens)
            request = request.replace(b"{random}", secrets.token_urlsafe(24).encode())
        self.writer.write(request)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def build_request(url: str, headers: list[str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive", *headers, "", ""]
    return parts.hostname or "127.0.0.1", parts.port or 80, "\r\n".join(lines).encode()


async def closed(
    url: str, headers: list[str], concurrency: int, seconds: float, requests: int = 0
) -> dict[str, object]:
    host, port, request = build_request(url, headers)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        connection = Connection(host, port, request)
        try:
            while time.perf_counter() < deadline and not (requests and len(latencies) >= requests):
                start = time.perf_counter()
                try:
                    status = await connection.send()
                except (OSError, ValueError, asyncio.IncompleteReadError):
                    errors += 1
                    connection.close()
                    connection = Connection(host, port, request)
                    continue
                latencies.append((time.perf_counter() - start) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 300:
                    errors += 1
        finally:
            connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summary(latencies, errors, time.perf_counter() - began, statuses)


async def open_loop(
    url: str, headers: list[str], rate: float, seconds: float, pool: int
) -> dict[str, object]:
    host, port, request = build_request(url, headers)
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(pool):
        idle.put_nowait(Connection(host, port, request))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0

    async def one(scheduled: float) -> None:
        nonlocal errors
        connection = await idle.get()
        try:
            status = await connection.send()
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 300:
                errors += 1
        except (OSError, ValueError, asyncio.IncompleteReadError):
            errors += 1
            connection.close()
            connection = Connection(host, port, request)
        latencies.append((time.perf_counter() - scheduled) * 1000)
        idle.put_nowait(connection)

    began = time.perf_counter()
    total = int(rate * seconds)
    tasks = []
    for i in range(total):
        scheduled = began + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait().close()
    return summary(latencies, errors, time.perf_counter() - began, statuses)


def summary(
    latencies: list[float], errors: int, seconds: float, statuses: dict[int, int]
) -> dict[str, object]:
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return (
            round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 2) if ordered else float("nan")
        )

    return {
        "count": len(latencies),
        "errors": errors,
        "seconds": round(seconds, 2),
        "rps": round(len(latencies) / seconds, 1) if seconds else 0,
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": round(ordered[-1], 2) if ordered else float("nan"),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--mode", choices=["closed", "open"], default="closed")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--requests", type=int, default=0, help="closed mode: stop after this many")
    args = parser.parse_args()
    # uvloop (installed with uvicorn[standard], and what the services run on): the generator
    # takes less of the machine's CPU from the servers it measures.
    if args.mode == "closed":
        result = uvloop.run(closed(args.url, args.header, args.concurrency, args.seconds, args.requests))
    else:
        result = uvloop.run(open_loop(args.url, args.header, args.rate, args.seconds, args.concurrency))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
