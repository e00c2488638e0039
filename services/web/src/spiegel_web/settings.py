"""The web service's settings (environment variables)."""

from __future__ import annotations

from pydantic import Field
from spiegel_platform.service import BaseServiceSettings, Runtime

# The services the pages call, by name (= an audience of the caller's token), and their URL setting.
SERVICES = {
    "gateway": "gateway_url",
    "survey": "survey_url",
    "invitation": "invitation_url",
    "aggregation": "aggregation_url",
    "accreditation": "accreditation_url",
    "action-plan": "action_plan_url",
}


class WebSettings(BaseServiceSettings):
    """No database and no Kafka: the web service owns no data (its definition says storage=False)."""

    gateway_url: str | None = Field(None, description="the gateway's own API (people, the hospital)")
    survey_url: str | None = None
    invitation_url: str | None = None
    aggregation_url: str | None = None
    accreditation_url: str | None = None
    action_plan_url: str | None = None
    upstream_connect_timeout_s: float = Field(2.0, gt=0, le=60)
    upstream_timeout_s: float = Field(30.0, gt=0, le=300)
    upstream_max_connections: int = Field(100, ge=1, le=10000)
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=100 * 1_048_576)

    def service_url(self, service: str) -> str | None:
        field = SERVICES.get(service)
        value = getattr(self, field) if field else None
        return value.rstrip("/") if value else None


WebRuntime = Runtime[WebSettings]
