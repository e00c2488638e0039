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

# The same three from the broker's and the database's point of view, set by the api process of
# every service with storage (`spiegel_platform.backlog`): one number per service wherever its
# relay and consumers run, which the operators' status page reads from the api's /metrics.
BACKLOG_CONSUMER_LAG = Gauge(
    "spiegel_backlog_consumer_lag",
    "Messages not yet committed by the service's consumer group, per topic (end offset - committed)",
    ["group", "topic"],
)
BACKLOG_OUTBOX = Gauge(
    "spiegel_backlog_outbox",
    "Documents whose events wait for the service's relay (outbox hints)",
    ["service"],
)
BACKLOG_DEAD_LETTERS = Gauge(
    "spiegel_backlog_dead_letters",
    "Messages the service's consumer groups sent to a dead-letter topic (as retained there)",
    ["group", "topic"],
)
