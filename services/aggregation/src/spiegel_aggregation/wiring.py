"""Builds the parts of one aggregation process, in one place; nothing connects at import.

Routers, handlers and background jobs take their parts from `Aggregation.of(runtime)`. A test
replaces a part by wiring the runtime first: `Aggregation(runtime, reports=...)`.
"""

from __future__ import annotations

from spiegel_platform.storage.stores import Stores
from spiegel_platform.wiring import Wiring

from spiegel_aggregation.norms.store import Norms
from spiegel_aggregation.reports.publishing import Reports
from spiegel_aggregation.settings import AggregationRuntime, AggregationSettings
from spiegel_aggregation.storage import Store


class Aggregation(Wiring[AggregationSettings]):
    def __init__(
        self,
        runtime: AggregationRuntime,
        *,
        stores: Stores[Store] | None = None,
        reports: Reports | None = None,
        norms: Norms | None = None,
    ) -> None:
        super().__init__(runtime)
        # Each tenant's collections, made once per process.
        self.stores = stores if stores is not None else Store.on(runtime.db)
        # Keeps the instrument versions it has read (they never change): one per process.
        self.reports = reports if reports is not None else Reports(self.stores, self.settings)
        self.norms = norms if norms is not None else Norms(self.stores, self.settings)
