from pydantic import Field
from spiegel_platform.service import ServiceSettings


class AggregationSettings(ServiceSettings):
    mongodb_database: str = Field("spiegel_aggregation", pattern=r"^[A-Za-z0-9_]{1,60}$")
