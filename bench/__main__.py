"""Run every benchmark module in bench/ (or those named on the command line).

Each module `bench/<name>.py` has `async def run(ctx: BenchContext) -> dict`;
the figures are printed and written to bench-results/<name>.json. One local
stack (Kafka + FerretDB, or the external servers when configured) serves all.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import platform
import shutil
import sys
import time

from spiegel_dev.paths import repo_root
from spiegel_dev.processes import free_port
from spiegel_dev.servers import new_instance_dir, start_stack

import bench
from bench.context import BenchContext


def benchmark_names() -> list[str]:
    """Every benchmark module: bench/<name>.py; helpers are `_`-prefixed (or the context)."""
    return sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if not m.name.startswith("_") and m.name not in ("context",)
    )


def main(argv: list[str]) -> int:
    names = argv or benchmark_names()
    workdir = new_instance_dir("bench")
    stack = start_stack(workdir, kafka_port=free_port(), controller_port=free_port(), mongo_port=free_port())
    out = repo_root() / "bench-results"
    out.mkdir(exist_ok=True)
    failed = 0
    try:
        for name in names:
            module = importlib.import_module(f"bench.{name}")
            ctx = BenchContext(stack=stack, workdir=workdir / name)
            print(f"\n=== bench {name} ===", flush=True)
            started = time.monotonic()
            try:
                figures = asyncio.run(module.run(ctx))
            except Exception as error:  # one failing benchmark does not hide the others
                failed += 1
                print(f"bench {name} FAILED: {error!r}", flush=True)
                continue
            finally:
                ctx.close()
            figures["_machine"] = {
                "cpus": __import__("os").cpu_count(),
                "python": platform.python_version(),
                "seconds": round(time.monotonic() - started, 1),
            }
            (out / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
            print(json.dumps(figures, indent=2, default=str), flush=True)
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
