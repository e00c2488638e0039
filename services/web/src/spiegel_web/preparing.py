"""A round just created: the invitation service has not heard of it yet.

Pages create rounds in the survey service only; the invitation service learns of
each new round from the survey's RoundCreated event, normally well within a
second. A coordinator who goes straight on to the round's nominations (or its
template, its import, its progress) may be faster than that. Then the invitation
service answers 404 for a round the survey knows: the page waits for it briefly,
and if it has still not arrived, says the round is being prepared and reloads
itself, instead of showing "not found". A round the survey does not know (or does
not show this caller) keeps its 404.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import Response

from spiegel_web.core import Page, PageError, problem_text, quoted

WAIT_S = 5.0  # within one request (normally it ends within a second); then the "being prepared" page
POLL_S = 0.2
REFRESH_S = 2


class RoundPreparing(PageError):
    """The survey knows the round; the invitation service has not been told yet.

    Pages catch it and show `preparing_page`; one that does not still answers with a page that
    says so (503, try again), never a 500."""

    def __init__(self, round_id: str) -> None:
        super().__init__(503, key="round_preparing_text")
        self.round_id = round_id


async def in_survey(page: Page, round_id: str) -> bool:
    return (await page.call("survey", "GET", f"/rounds/{quoted(round_id)}")).is_success


async def from_invitation(page: Page, round_id: str, suffix: str = "", *, known: bool | None = None) -> Any:
    """`GET /rounds/{id}{suffix}` from the invitation service, for a round that may have just been created.

    `known`: whether the survey is known to have the round (None: ask it when needed).
    Raises RoundPreparing when the round is still on its way, PageError for other refusals.
    """
    path = f"/rounds/{quoted(round_id)}{suffix}"
    upstream = await page.call("invitation", "GET", path)
    if upstream.status_code == 404 and (known if known is not None else await in_survey(page, round_id)):
        deadline = time.monotonic() + WAIT_S
        while upstream.status_code == 404:
            if time.monotonic() >= deadline:
                raise RoundPreparing(round_id)
            await asyncio.sleep(POLL_S)
            upstream = await page.call("invitation", "GET", path)
    if not upstream.is_success:
        raise PageError(upstream.status_code, problem_text(upstream, page.lang))
    return json.loads(upstream.content or b"null")


def preparing_page(page: Page, round_id: str) -> Response:
    """200: the round exists and the page will work in a moment; a GET page reloads itself."""
    reloads = page.request.method == "GET"
    response = page.render("rounds/preparing.html", round_id=round_id, reloads=reloads)
    if reloads:
        response.headers["refresh"] = str(REFRESH_S)
    return response
