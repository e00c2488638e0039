"""Builds the parts of one survey process, in one place; nothing connects at import.

Routers, handlers and background jobs take their parts from `Survey.of(runtime)`. A test
replaces a part by wiring the runtime first: `Survey(runtime, stores=...)`.
"""

from __future__ import annotations

from spiegel_platform.storage.stores import Stores
from spiegel_platform.wiring import Wiring

from spiegel_survey.settings import SurveyRuntime, SurveySettings
from spiegel_survey.storage import Store


class Survey(Wiring[SurveySettings]):
    def __init__(self, runtime: SurveyRuntime, *, stores: Stores[Store] | None = None) -> None:
        super().__init__(runtime)
        # Each tenant's collections, made once per process (every request needs them).
        self.stores = stores if stores is not None else Store.on(runtime.db)
