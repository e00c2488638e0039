"""Load generator for bench/survey.py, run as its own process: `python -m bench._survey_load <plan.json>`.

A plan: {"host", "port", "requests": [[path, bearer], ...], "body": <json>, "concurrency": N}.
Each request is sent once over keep-alive HTTP/1.1 connections (a minimal client on asyncio
streams: cheap, so the generator is not what limits the figures). Prints one JSON line:
count, statuses, seconds, per-second rate and latency percentiles (ms).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any


async def _worker(
    host: str,
    port: int,
    queue: asyncio.Queue[tuple[str, str]],
    body: bytes,
    latencies: list[float],
    statuses: Counter[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            try:
                path, bearer = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            request = (
                f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {bearer}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[int(head.split(b" ", 2)[1])] += 1
    finally:
        writer.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]
        if ordered
        else float("nan")
    )


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for path, bearer in plan["requests"]:
        queue.put_nowait((path, bearer))
    body = json.dumps(plan["body"]).encode()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _worker(plan["host"], plan["port"], queue, body, latencies, statuses)
            for _ in range(plan["concurrency"])
        )
    )
    seconds = time.perf_counter() - started
    return {
        "count": len(latencies),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(seconds, 2),
        "per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(_percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(_percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=0) * 1000, 1),
    }


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        figures = asyncio.run(run(json.load(handle)))
    print(json.dumps(figures), flush=True)
