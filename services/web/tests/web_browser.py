"""Helpers of the browser tests: screenshots + axe-core per page, sign-in, answering by HTTP."""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import re
from typing import Any

import httpx
from spiegel_dev.browser import artifacts_dir, axe_violations
from web_helpers import PASSWORD, WebDeployment

XSS = "<script>alert(1)</script><b>x</b>"


def run_async(coroutine: Any) -> Any:
    """Async set-up from a sync (Playwright) test: in a thread of its own, with its own loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Checked:
    """Screenshots of the main pages and axe-core on each; violations are collected and asserted once."""

    def __init__(self) -> None:
        self.violations: dict[str, list[dict[str, Any]]] = {}
        self.pages: list[str] = []

    def page(self, page: Any, name: str, *, axe: bool = True) -> None:
        page.screenshot(path=str(artifacts_dir() / f"web-{name}.png"), full_page=True)
        self.pages.append(name)
        if axe:
            found = axe_violations(page)
            if found:
                self.violations[name] = found


def sign_in(page: Any, web: WebDeployment, slug: str, email: str) -> None:
    page.goto(web.tenant_url(slug, "/inloggen"))
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/start$"))


def sign_out(page: Any) -> None:
    page.get_by_role("button", name=re.compile("Uitloggen|Sign out")).click()
    page.wait_for_url(re.compile(r"/inloggen"))


def answer_by_http(
    web: WebDeployment, slug: str, token: str, rng: random.Random, comment: str | None = None
) -> None:
    """A respondent without a browser: the gateway's respondent endpoints, with the link from the mail."""
    with httpx.Client(base_url=web.url, timeout=30) as client:
        opened = client.get(f"/t/{slug}/e/{token}", headers={"accept": "application/json"})
        assert opened.status_code == 200, opened.text
        questionnaire = opened.json()["questionnaire"]
        ratings: dict[str, Any] = {
            s["id"]: rng.choice([3, 4, 4, 5])
            for theme in questionnaire["themes"]
            for s in theme["statements"]
        }
        for item in questionnaire["global_items"]:
            ratings[item["id"]] = item["max"] - 1
        comments = {questionnaire["open_questions"][0]["id"]: comment} if comment else {}
        sent = client.post(
            f"/t/{slug}/respondent/submit",
            json={"ratings": ratings, "comments": comments},
            headers={"x-csrf-token": opened.headers["x-csrf-token"]},
        )
        assert sent.status_code == 200, sent.text


def fill_all_by_clicking(page: Any, score: str = "4") -> None:
    """Answer every rated item of the questionnaire page (labels are the click targets)."""
    page.evaluate(
        """(score) => {
            const names = new Set([...document.querySelectorAll('input[type=radio]')].map(r => r.name));
            for (const name of names) {
              const radios = [...document.querySelectorAll(`input[name="${name}"]`)];
              const pick = radios.find(r => r.value === score) || radios[radios.length - 2] || radios[0];
              if (!radios.some(r => r.checked)) { pick.click(); }
            }
        }""",
        score,
    )
