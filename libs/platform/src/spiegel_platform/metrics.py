"""The Prometheus metrics every service exposes at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_LATENCY = Histogram(
    "spiegel_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PROCESSED = Counter(
    "spiegel_events_processed_total",
    "Events handled by a consumer, by outcome (applied, ignored, dead_lettered, retried)",
    ["consumer", "event_type", "outcome"],
)
CONSUMER_LAG = Gauge(
    "spiegel_consumer_lag", "Messages behind the end of the partition", ["consumer", "topic", "partition"]
)
OUTBOX_BACKLOG = Gauge("spiegel_outbox_backlog", "Documents with events waiting for the relay", ["service"])
OUTBOX_PUBLISHED = Counter(
    "spiegel_outbox_published_total", "Events published by the outbox relay", ["service", "topic"]
)
OUTBOX_FAILURES = Counter(
    "spiegel_outbox_publish_failures_total", "Relay passes that failed to publish", ["service"]
)
