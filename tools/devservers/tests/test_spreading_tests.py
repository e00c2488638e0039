"""A shared deployment is stopped right after the last test that uses it, and never before.

In one process (`make test`) and spread over processes (`make test TEST_WORKERS=3`: pytest-xdist,
a file at a time), where each worker starts its own when it first needs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import json, os, pytest
from spiegel_dev.pytest_plugin import shared_deployment, stop_after_last_use, stop_now

shared_deployment("deployment")
LOG = {log!r}

def write(**line):
    with open(LOG, "a") as f:
        f.write(json.dumps({{"worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), **line}}) + "\\n")

@pytest.fixture(scope="session")
def deployment():
    write(event="start")
    stop_after_last_use("deployment", lambda: write(event="stop"))
    yield "running"
    stop_now("deployment")

@pytest.fixture(scope="module")
def module_setup(request):
    write(event="module", module=request.module.__name__)

@pytest.fixture(autouse=True)
def each(request):
    write(event="test", test=request.node.name)
"""

SHARED_TEST = """
def test_{name}_a(deployment):
    assert deployment == "running"

def test_{name}_b(deployment):
    assert deployment == "running"
"""

PLAIN_TEST = """
def test_{name}_a(module_setup):
    pass

def test_{name}_b(module_setup):
    pass
"""


def _lines(log: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.parametrize("workers", ["0", "3"])
def test_a_shared_deployment_stops_after_its_last_test_and_never_before(
    pytester: pytest.Pytester, tmp_path: Path, workers: str
) -> None:
    log = tmp_path / "log.jsonl"
    pytester.makeconftest(CONFTEST.format(log=str(log)))
    for name in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"):
        body = SHARED_TEST if name in ("alpha", "gamma", "epsilon") else PLAIN_TEST
        pytester.makepyfile(**{f"test_{name}": body.format(name=name)})

    result = pytester.runpytest_subprocess(
        "-p", "spiegel_dev.pytest_plugin", "-n", workers, "--dist", "loadfile"
    )
    result.assert_outcomes(passed=14)

    lines = _lines(log)
    shared = ("alpha", "gamma", "epsilon")
    for worker in {line["worker"] for line in lines}:
        mine = [line for line in lines if line["worker"] == worker]
        events = [
            "start"
            if line["event"] == "start"
            else "stop"
            if line["event"] == "stop"
            else "uses"
            if line["event"] == "test" and line["test"].split("_")[1] in shared
            else "other"
            for line in mine
        ]
        if "uses" not in events:
            assert "start" not in events and "stop" not in events, mine
            continue
        # Started once before its first test, stopped once after its last one, never used stopped.
        assert events.count("start") == 1 and events.count("stop") == 1, mine
        assert events.index("start") < events.index("uses")
        assert events.index("stop") > max(i for i, e in enumerate(events) if e == "uses")
    # In one process the deployment stops right after its last test, before the tests after it.
    if workers == "0":
        order = [line.get("test") or line["event"] for line in lines if line["event"] != "module"]
        assert order.index("stop") == order.index("test_gamma_b") + 1  # files run in name order
        assert order.index("stop") < order.index("test_zeta_a")
    # A module's fixture is set up once: its two tests run in one worker.
    modules = [line["module"] for line in lines if line["event"] == "module"]
    assert sorted(modules) == ["test_beta", "test_delta", "test_eta", "test_zeta"]
