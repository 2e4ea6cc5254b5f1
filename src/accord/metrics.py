"""The service's own instruments for ``/metrics`` (Prometheus; see docs/metrics.md): counters
and histograms the server processes and workers update as they go.

Under ``accord serve`` they are multiprocess-safe: prometheus_client's multiprocess mode keeps
each process's values in a file of the directory ``PROMETHEUS_MULTIPROC_DIR`` names, and a
scrape adds them up. The mode is chosen when prometheus_client is first imported, so
``accord serve`` sets that variable (:func:`accord.cli.service.metrics_directory`) before
anything imports this module. Without it (tests, a notebook) the values live in this
process, in :data:`REGISTRY`.

Labels take few values each: methods, route templates (never the path asked), status codes,
kinds of data, outcomes; never a ticket, an event or a key.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# no `_created` series beside each counter and histogram (twice the series, for a start time
# Prometheus does not use); multiprocess mode has none either
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
"""The instruments of this process (used as they are when not in multiprocess mode)."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 5000)

http_requests = Counter(
    "accord_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
http_duration = Histogram(
    "accord_http_request_duration_seconds",
    "Time from a request's arrival to its answer's end, by method and route template.",
    ("method", "route"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
ingested = Counter(
    "accord_ingest_events",
    "Ticket events and data records received by ingest and committed: stored, or dropped as "
    "duplicates of an id stored before.",
    ("kind", "outcome"),
    registry=REGISTRY,
)
group_requests = Histogram(
    "accord_ingest_group_commit_requests",
    "Ingest requests written in one shared transaction (group commit).",
    buckets=GROUP_BUCKETS,
    registry=REGISTRY,
)
group_events = Histogram(
    "accord_ingest_group_commit_events",
    "Ticket events written in one shared transaction (group commit).",
    buckets=GROUP_BUCKETS,
    registry=REGISTRY,
)
tickets_recomputed = Counter(
    "accord_worker_tickets_recomputed",
    "Tickets whose clocks and due items a worker recomputed.",
    registry=REGISTRY,
)
due_items_fired = Counter(
    "accord_worker_due_items_fired",
    "Due items (escalation levels, reviews) a worker fired into deliveries.",
    registry=REGISTRY,
)
worker_rounds = Counter(
    "accord_worker_rounds",
    "Rounds of work done by workers; outcome busy (found work), idle, or error.",
    ("outcome",),
    registry=REGISTRY,
)
deliveries = Counter(
    "accord_deliveries",
    "Delivery attempts settled, by channel (webhook, email) and outcome: sent, retry (failed, "
    "tried again later), failed (given up).",
    ("channel", "outcome"),
    registry=REGISTRY,
)
migrations = Counter(
    "accord_migrations",
    "Schema migrations applied by this service's processes.",
    registry=REGISTRY,
)


def multiprocess() -> bool:
    """Whether the instruments of this process are kept in files (multiprocess mode)."""
    return MULTIPROC_ENV in os.environ
