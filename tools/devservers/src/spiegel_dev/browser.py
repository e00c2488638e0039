"""A real browser for the tests: Debian's Chromium driven by Playwright (no browser download).

Also the accessibility check: axe-core (npm, pinned in tools/browser) injected into the page.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spiegel_dev.paths import repo_root

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("Chromium is not installed: run `make browser` (installs Debian's chromium)")
    return found


def artifacts_dir() -> Path:
    path = repo_root() / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def axe_source() -> str:
    script = repo_root() / "tools" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        raise RuntimeError("axe-core is not installed: run `make browser`")
    return script.read_text()


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A/AA rules) on the page; return violations of the given impacts.
    Evaluated through the DevTools protocol, which a page's CSP (no inline script) does not stop."""
    page.evaluate(axe_source() + "\n;0")
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=1)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: sync Playwright keeps its event loop installed while it runs, which would break
    every asyncio test collected after it in the same session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
