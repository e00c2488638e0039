"""The service's real wiring with one part replaced (no servers: nothing connects until used)."""

from __future__ import annotations

from typing import Any, cast

from spiegel_dev.reference import offline_settings
from spiegel_platform.service import Runtime, build_api
from spiegel_platform.storage.stores import Collection, Stores
from spiegel_survey.definition import DEFINITION
from spiegel_survey.rounds.schedule import close_due_rounds
from spiegel_survey.settings import SurveyRuntime, SurveySettings
from spiegel_survey.storage import OUTBOX_COLLECTIONS, Store
from spiegel_survey.wiring import Survey


def runtime() -> SurveyRuntime:
    return Runtime(DEFINITION, cast(SurveySettings, offline_settings(SurveySettings)))


class NoSchedules:
    """Stores whose schedules are empty, recording what a pass read."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def across_tenants(self, collection: Collection) -> Any:
        self.read.append(collection.name)

        class Empty:
            def find(self, *args: Any, **kwargs: Any) -> Any:
                async def nothing() -> Any:
                    return
                    yield

                return nothing()

        return Empty()


async def test_the_closing_pass_reads_the_wired_stores() -> None:
    wired = runtime()
    stores = NoSchedules()
    Survey(wired, stores=cast(Stores[Store], stores))
    assert await close_due_rounds(wired) == 0
    assert stores.read == ["schedule"]


def test_the_api_process_keeps_each_tenants_store() -> None:
    wired = runtime()
    build_api(wired)
    stores = Survey.of(wired).stores
    assert stores.tenant("t1") is stores.tenant("t1")
    assert OUTBOX_COLLECTIONS == ("rounds", "instrument_uses", "submissions", "responses")
