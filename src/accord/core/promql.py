"""PromQL text of an agreement's ``prometheus`` source: durations as Prometheus writes them,
``$window`` filled in, the step and staleness an objective is read at. Text only, no I/O: the
reading is ``accord.io.prometheus``, the rules ``accord.render.prometheus_rules``."""

from __future__ import annotations

from datetime import timedelta

from accord.core.agreement.model import WINDOW_PLACEHOLDER, Objective
from accord.core.errors import AccordError

_SLICE = timedelta(minutes=1)


def prometheus_duration(span: timedelta) -> str:
    """A span as a Prometheus duration: ``1h30m``, ``5m``, ``3d``, ``90s``."""
    seconds = int(span.total_seconds())
    if timedelta(seconds=seconds) != span or seconds <= 0:
        raise AccordError(f"{span}: Prometheus durations here are whole seconds above zero")
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def with_window(query: str, window: timedelta) -> str:
    """The query with ``$window`` standing for ``window``."""
    return query.replace(WINDOW_PLACEHOLDER, prometheus_duration(window))


def step_of(objective: Objective) -> timedelta:
    """The step an objective is read at: its ``prometheus.step``, else its slice (1m)."""
    source = objective.prometheus
    assert source is not None
    for duration in (source.step, objective.slice):
        if duration is not None and duration.time is not None:
            return duration.time
    return _SLICE


def staleness_of(objective: Objective) -> timedelta:
    """How long Prometheus may take to hold a step's samples (its ``prometheus.staleness``)."""
    source = objective.prometheus
    assert source is not None
    assert source.staleness.time is not None
    return source.staleness.time
