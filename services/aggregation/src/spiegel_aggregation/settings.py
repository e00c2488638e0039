from pydantic import Field
from spiegel_platform.service import Runtime, ServiceSettings


class AggregationSettings(ServiceSettings):
    mongodb_database: str = Field("spiegel_aggregation", pattern=r"^[A-Za-z0-9_]{1,60}$")
    # After RoundClosed, how long the first version waits for responses still in flight
    # (RoundClosed says how many each group completed); then it is made with what arrived.
    report_wait_seconds: float = Field(60.0, ge=0, le=3600)
    # Norms: reports of an instrument needed before norms are shown, and the step between
    # two norm snapshots (so that two snapshots never differ by fewer reports).
    norm_min_reports: int = Field(10, ge=3, le=1000)
    # Cross-tenant norms need at least this many opted-in tenants with norms.
    norm_min_tenants: int = Field(3, ge=3, le=100)


# The runtime of this service: `runtime.settings` is a AggregationSettings (typed, no casts).
AggregationRuntime = Runtime[AggregationSettings]
