"""A round just created, before the invitation service has heard of it: the pages' wait, without servers.

A fake page answers for the two services from a script (a dictionary of answers per call), no mocking
library; the real flow with Kafka is in test_web_round_preparing.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from spiegel_web import preparing
from spiegel_web.core import PageError
from spiegel_web.upstream import Upstream


def answer(status: int, body: bytes = b"{}") -> Upstream:
    return Upstream(status, {}, body)


class FakePage:
    """The invitation service answers 404 for its first `unknown_for` calls; the survey as told."""

    def __init__(self, *, unknown_for: int, survey: int = 200, later: Upstream | None = None) -> None:
        self.unknown_for = unknown_for
        self.survey = survey
        self.later = later or answer(200, b'{"id": "r1", "status": "draft"}')
        self.calls: list[tuple[str, str]] = []
        self.lang = "nl"

    async def call(self, service: str, method: str, path: str, **_: Any) -> Upstream:
        self.calls.append((service, path))
        if service == "survey":
            return answer(self.survey)
        asked = sum(1 for s, _ in self.calls if s == "invitation")
        return (
            answer(404, b'{"detail": "ronde r1 niet gevonden"}') if asked <= self.unknown_for else self.later
        )


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preparing, "WAIT_S", 0.3)
    monkeypatch.setattr(preparing, "POLL_S", 0.01)


def load(page: FakePage, suffix: str = "", known: bool | None = None) -> Any:
    return asyncio.run(preparing.from_invitation(page, "r1", suffix, known=known))  # type: ignore[arg-type]


def test_a_known_round_is_read_once() -> None:
    page = FakePage(unknown_for=0)
    assert load(page) == {"id": "r1", "status": "draft"}
    assert page.calls == [("invitation", "/rounds/r1")]


def test_the_announcement_arriving_during_the_wait_is_waited_for() -> None:
    page = FakePage(unknown_for=3)
    assert load(page, "/progress")["status"] == "draft"
    assert page.calls[:2] == [("invitation", "/rounds/r1/progress"), ("survey", "/rounds/r1")]
    assert page.calls.count(("invitation", "/rounds/r1/progress")) == 4


def test_still_on_its_way_after_the_wait_the_round_is_being_prepared() -> None:
    page = FakePage(unknown_for=10_000)
    with pytest.raises(preparing.RoundPreparing) as prepared:
        load(page)
    # A page that does not show the "being prepared" page itself still answers with a page: "try again".
    assert isinstance(prepared.value, PageError) and prepared.value.status == 503
    assert prepared.value.key == "round_preparing_text"


def test_the_survey_known_to_have_the_round_is_not_asked_again() -> None:
    page = FakePage(unknown_for=1)
    load(page, "/progress", known=True)
    assert ("survey", "/rounds/r1") not in page.calls


def test_a_round_the_survey_does_not_know_stays_not_found_without_waiting() -> None:
    page = FakePage(unknown_for=10_000, survey=404)
    with pytest.raises(PageError) as refused:
        load(page)
    assert refused.value.status == 404 and "niet gevonden" in refused.value.message
    assert page.calls == [("invitation", "/rounds/r1"), ("survey", "/rounds/r1")]


def test_other_refusals_are_the_invitation_service_s_own() -> None:
    page = FakePage(unknown_for=0, later=answer(503, b'{"message": "even niet"}'))
    with pytest.raises(PageError) as refused:
        load(page)
    assert refused.value.status == 503 and page.calls == [("invitation", "/rounds/r1")]
