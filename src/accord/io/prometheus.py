"""Evidence read from a Prometheus server: an availability objective's ``prometheus`` queries
evaluated with ``query_range``, turned into probes (an up/down series) or request counts (good
and total events), one record per step.

The rules, as ``docs/prometheus.md`` states them:

- ``$window`` in a query stands for the step, so the point Prometheus returns at ``e`` rests
  only on the samples of ``[e - step, e]``; it is the record of the step ``[e - step, e)``
  (a probe or a request count at ``e - step``).
- A step without a point, with a value that is not a number (NaN, infinite), or with good and
  not total (or more good events than events) has no record: it is *unknown*, which the
  agreement's ``exclusions.unknown_data`` judges (never silently up).
- Steps ending less than ``staleness`` before the reading are not read (Prometheus may not hold
  their samples yet), and the evidence's observed span ends where reading ended.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from accord.core.agreement.model import Agreement, Objective
from accord.core.errors import AccordError
from accord.core.evidence import Data, Probe, Requests
from accord.core.promql import staleness_of, step_of, with_window

MAX_POINTS = 10_000
"""Points asked for per query_range call (Prometheus refuses more than 11,000 per series)."""


class PrometheusError(AccordError, ValueError):
    """A query Prometheus refused, an answer Accord cannot read, or a server out of reach."""


@dataclass
class Reading:
    """What was read: the evidence, and per objective what its steps held."""

    data: Data
    steps: dict[str, int] = field(default_factory=dict)
    """Per objective: the steps asked for (per service, as many as the series returned)."""
    unknown: dict[str, int] = field(default_factory=dict)
    """Per objective: steps without a usable point (unknown)."""


class Prometheus:
    """A Prometheus server's HTTP API (``/api/v1/query_range``)."""

    def __init__(self, url: str, timeout: float = 30.0, client: httpx.Client | None = None):
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def query_range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """The series of ``query`` evaluated at ``start``, ``start + step``... up to ``end``:
        (labels, [(unix seconds, value)]), asked in calls of at most ``MAX_POINTS`` steps."""
        found: dict[tuple[tuple[str, str], ...], list[tuple[float, float]]] = {}
        for first, last in _chunks(start, end, step):
            for labels, values in self._range(query, first, last, step):
                found.setdefault(tuple(sorted(labels.items())), []).extend(values)
        return [(dict(key), values) for key, values in found.items()]

    def _range(
        self, query: str, start: datetime, end: datetime, step: timedelta
    ) -> Iterator[tuple[dict[str, str], list[tuple[float, float]]]]:
        params = {
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{step.total_seconds():g}",
        }
        where = f"{self.url}/api/v1/query_range"
        try:
            response = self._client.post(where, data=params)
        except httpx.HTTPError as error:
            raise PrometheusError(f"{where}: {error}") from None
        try:
            body: Any = response.json()
        except ValueError:
            raise PrometheusError(
                f"{where}: HTTP {response.status_code}, not a Prometheus answer: "
                f"{response.text[:200]!r}"
            ) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            problem = body.get("error") if isinstance(body, dict) else body
            raise PrometheusError(f"{where}: query {query!r} refused: {problem}")
        warnings = body.get("warnings")
        if warnings:  # a store or remote read that failed: series may be missing
            raise PrometheusError(
                f"{where}: query {query!r}: the answer may be partial, Prometheus warns: "
                f"{'; '.join(str(w) for w in warnings)}; partial data is never read as up, "
                "so nothing was read: try again once the warning is gone"
            )
        data = body.get("data") or {}
        if data.get("resultType") != "matrix":
            raise PrometheusError(
                f"{where}: query {query!r} gave a {data.get('resultType')}, expected a matrix"
            )
        for series in data.get("result") or []:
            values = [(float(at), _number(value)) for at, value in series.get("values") or []]
            yield dict(series.get("metric") or {}), values


def _number(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _chunks(start: datetime, end: datetime, step: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """``[start, end]`` in spans of at most ``MAX_POINTS`` evaluation instants."""
    span = step * (MAX_POINTS - 1)
    first = start
    while first <= end:
        last = min(first + span, end)
        yield first, last
        first = last + step


def read_evidence(
    agreement: Agreement,
    server: Prometheus,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> Reading:
    """The probes and request counts of every availability objective of ``agreement`` with a
    ``prometheus`` source, for the steps of ``[start, end)`` (cut from ``start``) that ended at
    least their ``staleness`` before ``now``; the observed span is ``start`` to where every
    objective's reading ended."""
    if start.tzinfo is None or end.tzinfo is None:
        raise PrometheusError("the span read needs instants with a time zone")
    now = datetime.now(UTC) if now is None else now
    probes: list[Probe] = []
    requests: list[Requests] = []
    reading = Reading(Data())
    until = end
    sources = [o for o in agreement.objectives if o.prometheus is not None]
    if not sources:
        raise PrometheusError(
            f"agreement {agreement.id}: no objective reads from Prometheus (prometheus: ...)"
        )
    for objective in sources:
        step = step_of(objective)
        last = min(end, now - staleness_of(objective))
        steps = max(0, int((last - start) // step))
        last = start + step * steps  # whole steps only
        until = min(until, last)
        reading.steps[objective.id] = 0
        reading.unknown[objective.id] = 0
        if steps == 0:
            continue
        first_point, last_point = start + step, last
        source = objective.prometheus
        assert source is not None
        if source.up is not None:
            series = _by_service(
                agreement,
                objective,
                "up",
                server.query_range(with_window(source.up, step), first_point, last_point, step),
            )
            for service, values in series.items():
                reading.steps[objective.id] += steps
                seen = 0
                for at, value in values:
                    if not math.isfinite(value):
                        continue
                    probes.append(Probe(service, _instant(at) - step, value >= 1))
                    seen += 1
                reading.unknown[objective.id] += steps - seen
        else:
            assert source.good is not None
            assert source.total is not None
            good = _by_service(
                agreement,
                objective,
                "good",
                server.query_range(with_window(source.good, step), first_point, last_point, step),
            )
            total = _by_service(
                agreement,
                objective,
                "total",
                server.query_range(with_window(source.total, step), first_point, last_point, step),
            )
            for service in sorted(set(good) | set(total)):
                reading.steps[objective.id] += steps
                goods = dict(good.get(service, []))
                seen = 0
                for at, all_events in total.get(service, []):
                    counts = _counts(goods.get(at, math.nan), all_events)
                    if counts is None:
                        continue
                    requests.append(Requests(service, _instant(at) - step, *counts))
                    seen += 1
                reading.unknown[objective.id] += steps - seen
    reading.data = Data(
        probes=tuple(sorted(probes, key=lambda p: (p.at, p.service))),
        requests=tuple(sorted(requests, key=lambda r: (r.at, r.service))),
        observed=(start, max(start, until)),
    )
    return reading


def _counts(good: float, total: float) -> tuple[int, int] | None:
    """Good and all events of a step as whole numbers (``increase`` extrapolates: 59.97 is
    60); None when either is missing or not a number, or there are more good than all."""
    if not (math.isfinite(good) and math.isfinite(total)) or good < 0 or total < 0:
        return None
    whole_good, whole_total = round(good), round(total)
    if whole_good > whole_total:
        return None
    return whole_good, whole_total


def _by_service(
    agreement: Agreement,
    objective: Objective,
    query: str,
    series: list[tuple[dict[str, str], list[tuple[float, float]]]],
) -> dict[str, list[tuple[float, float]]]:
    """Each series' service: its ``service`` label, else the objective's one service in scope.
    Two series of one service are an error (aggregate them in the query)."""
    scope = objective.scope.get("service", ())
    found: dict[str, list[tuple[float, float]]] = {}
    where = f"agreement {agreement.id}: objectives.{objective.id}.prometheus.{query}"
    if not series and len(scope) == 1:  # nothing at all: every step of its service unknown
        return {scope[0]: []}
    for labels, values in series:
        service = labels.get("service")
        if service is None:
            if len(scope) != 1:
                raise PrometheusError(
                    f"{where}: a series without a 'service' label, and the objective's scope "
                    f"names {len(scope)} services; name one in scope: {{service: [...]}}, or "
                    f"give each series a service label"
                )
            service = scope[0]
        elif scope and service not in scope:
            continue  # a service the objective does not measure
        if service in found:
            raise PrometheusError(
                f"{where}: several series for service {service!r} ({labels}); aggregate them "
                f"in the query (sum, min, ... by (service))"
            )
        found[service] = values
    return found


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(round(seconds * 1000) / 1000, UTC)


POST_BATCH = 10_000
"""Records per request to the service (it takes up to 50,000)."""


def post_evidence(
    client: httpx.Client, url: str, key: str, data: Data, customer: str | None = None
) -> dict[str, int]:
    """Post the probes and request counts read to an Accord service (``/v1/data/probes`` and
    ``/v1/data/requests``), each with an id made of its service and instant, so that reading
    overlapping spans again stores each step once; returns the records stored per kind. The
    service's watch then judges the same evidence (its burn-rate levels, its shares of the
    period)."""
    headers = {"Authorization": f"Bearer {key}"}
    rows: dict[str, list[dict[str, Any]]] = {
        "probes": [
            {
                "id": f"prometheus:{p.service}:{p.at.isoformat()}",
                "service": p.service,
                "at": p.at.isoformat(),
                "ok": p.ok,
            }
            for p in data.probes
        ],
        "requests": [
            {
                "id": f"prometheus:{r.service}:{r.at.isoformat()}",
                "service": r.service,
                "at": r.at.isoformat(),
                "good": r.good,
                "total": r.total,
            }
            for r in data.requests
        ],
    }
    stored = {}
    for kind, records in rows.items():
        if customer is not None:
            for record in records:
                record["customer"] = customer
        stored[kind] = 0
        for first in range(0, len(records), POST_BATCH):
            where = f"{url.rstrip('/')}/v1/data/{kind}"
            try:
                answer = client.post(
                    where, json=records[first : first + POST_BATCH], headers=headers
                )
            except httpx.HTTPError as error:
                raise PrometheusError(f"{where}: {error}") from None
            if answer.status_code >= 300:
                raise PrometheusError(
                    f"{where}: HTTP {answer.status_code}: {answer.text[:500]}"
                    + (f" (records {first} on were not sent)" if first else "")
                )
            stored[kind] += int(answer.json().get("stored", 0))
    return stored
