"""`make bench` runs every module of bench/ that is a benchmark, and nothing else."""

from __future__ import annotations

import importlib
import inspect

from bench.__main__ import benchmark_names


def test_every_benchmark_module_has_an_async_run_and_helpers_are_left_out() -> None:
    names = benchmark_names()
    assert {"aggregation", "eventbus", "gateway", "invitation", "survey"} <= set(names)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "run", None)
        assert inspect.iscoroutinefunction(run), f"bench/{name}.py has no async run()"
