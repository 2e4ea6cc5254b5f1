"""``GET /metrics``: the Prometheus text format (docs/metrics.md).

Two kinds of figures. The service's own health, counted as it goes by every server process and
worker (:mod:`accord.metrics`; added up across processes in multiprocess mode). And figures
computed at scrape time from the database, by :class:`Figures`: the SLA standing of every
organisation's agreements in force (:func:`accord.service.standing.standing`, what the
portal's Home shows), the worker queues (:mod:`accord.service.queues`) and the schema's
migration, all computed at most once per ``metrics_cache_seconds`` in a server process.

Answered in full only to a scrape carrying one of the ``metrics_token`` tokens (or to any,
with ``metrics_public``); a scrape carrying an organisation's API key gets that organisation's
SLA figures only (a customer's key: its customer's). Not in the OpenAPI document: it is not part
of the REST API, and its clients are Prometheus servers, not programs generated from the
document.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from accord import __version__, metrics
from accord.api.deps import Runtime, principal, runtime_of
from accord.core.agreement.model import RATIO_METRICS
from accord.service import queues, standing, tenants
from accord.service.errors import NotFoundError, UnauthorizedError
from accord.service.standing import AgreementStanding, ObjectiveStanding
from accord.service.tenants import Principal, now
from accord.store.database import head_revision

log = logging.getLogger("accord.api")
_FIGURES: weakref.WeakKeyDictionary[Runtime, Figures] = weakref.WeakKeyDictionary()
"""Each application's figures (one per server process)."""
_SCOPED: weakref.WeakKeyDictionary[Runtime, dict[tuple[int, str | None], Figures]] = (
    weakref.WeakKeyDictionary()
)
"""Each application's figures of one organisation (or of one of its customers), kept for the
scrapes made with its keys."""
router = APIRouter(include_in_schema=False)
_HUNDRED = Decimal(100)
METRICS_ACTOR = "/metrics"


@router.get("/metrics")
async def scrape(request: Request) -> Response:
    """Every figure in the Prometheus text format (version 0.0.4, which every Prometheus
    reads)."""
    state = runtime_of(request)
    scope = await _scope(request, state)
    if scope is not None:
        body = await run_in_threadpool(_organisation_exposition, state, scope)
    else:
        body = await run_in_threadpool(_exposition, state)
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)


def tokens(state: Runtime) -> list[bytes]:
    """The operator's scrape tokens: ``metrics_token`` holds one, or several separated by
    commas (one per Prometheus server, or an old and a new one while rotating)."""
    if state.settings.metrics_token is None:
        return []
    written = state.settings.metrics_token.get_secret_value().split(",")
    return [t.strip().encode() for t in written if t.strip()]


async def _scope(request: Request, state: Runtime) -> Principal | None:
    """Whose figures the scrape gets: None for everything (an operator's token, or any scrape
    with ``metrics_public``), a principal for an organisation's API key (its figures only,
    whatever the operator's settings: a key reads them through the API anyway). 404 when the
    operator's /metrics is off and no key is sent, so a service that does not offer it looks
    so; tokens compared in constant time, every one of them."""
    sent = request.headers.get("authorization")
    scheme, _, token = (sent or "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    expected = tokens(state)
    matches = [hmac.compare_digest(token.encode(), each) for each in expected]
    if token and any(matches):
        return None
    if token.startswith("acc_") or (sent is None and request.headers.get("x-api-key")):
        return await principal(request)
    if state.settings.metrics_public:
        return None
    if not expected:
        raise NotFoundError(
            "/metrics is off: set ACCORD_METRICS_TOKEN (or ACCORD_METRICS_PUBLIC=true), or "
            "scrape with an organisation's API key for its own figures",
            "path",
        )
    raise UnauthorizedError(
        "/metrics needs Authorization: Bearer <a token of ACCORD_METRICS_TOKEN> (or an "
        "organisation's API key, for its own figures)"
    )


def _organisation_exposition(state: Runtime, scope: Principal) -> bytes:
    """The SLA figures of the key's organisation (or customer) alone: no other organisation,
    none of the service's own health, which is the operator's."""
    kept = _SCOPED.setdefault(state, {})
    key = (scope.organisation_id, scope.customer)
    figures = kept.get(key)
    if figures is None:
        if len(kept) > 10_000:
            kept.clear()
        figures = kept.setdefault(
            key, Figures(state, state.settings.metrics_cache_seconds, scope=scope)
        )
    return generate_latest(_Both(figures))


def _exposition(state: Runtime) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if metrics.multiprocess():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # every process's, added up
        instruments: Collector = registry
    else:
        instruments = metrics.REGISTRY
    figures = _FIGURES.get(state)
    if figures is None:
        figures = _FIGURES.setdefault(state, Figures(state, state.settings.metrics_cache_seconds))
    return generate_latest(_Both(instruments, figures))


class _Both:
    """The instruments' families and the figures', as one collector."""

    def __init__(self, *collectors: Collector) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


class Figures:
    """The figures computed from the database at scrape time, kept ``seconds`` (about the
    scrape interval) so that scrapes in a row, or several Prometheus servers, cost one
    computation. Once kept, a scrape never waits for a computation: when the kept figures
    are older than ``seconds`` the scrape gets them and a thread computes new ones for the
    next (one at a time), so that a large organisation's figures cannot make a scrape time
    out. With ``seconds`` 0 every scrape computes them and waits."""

    def __init__(self, runtime: Runtime, seconds: float, scope: Principal | None = None) -> None:
        self.runtime = runtime
        self.seconds = seconds
        self.scope = scope
        """None: every organisation's figures, the queues and the schema; a principal: the
        SLA figures of its organisation (its customer's, for a customer's key) only."""
        self.lock = threading.Lock()
        self.computing = threading.Lock()
        self.kept: tuple[float, list[Metric]] | None = None
        self.refresher: threading.Thread | None = None

    def collect(self) -> list[Metric]:
        with self.lock:
            kept = self.kept
            if kept is not None and self.seconds > 0:
                stale = time.monotonic() - kept[0] >= self.seconds
                if stale and (self.refresher is None or not self.refresher.is_alive()):
                    self.refresher = threading.Thread(
                        target=self._refresh, name="accord-metrics", daemon=True
                    )
                    self.refresher.start()
                return kept[1]
        return self._refresh()

    def _refresh(self) -> list[Metric]:
        with self.computing:
            with self.lock:  # another scrape's computation, done while this one waited
                if self.kept is not None and time.monotonic() - self.kept[0] < self.seconds:
                    return self.kept[1]
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                families = self._compute(now())
            except Exception:
                log.exception("computing the figures of /metrics failed")
                raise
            took = GaugeMetricFamily(
                "accord_sla_computation_seconds",
                "Wall-clock time the last computation of the scrape-time figures took.",
                value=time.perf_counter() - started,
            )
            cpu_took = GaugeMetricFamily(
                "accord_sla_computation_cpu_seconds",
                "CPU time the last computation of the scrape-time figures took (its thread's).",
                value=time.thread_time() - cpu,
            )
            at = GaugeMetricFamily(
                "accord_sla_computed_timestamp_seconds",
                "When the scrape-time figures were last computed (Unix time).",
                value=time.time(),
            )
            found = [*families, took, cpu_took, at]
            with self.lock:
                self.kept = (time.monotonic(), found)
            return found

    def _compute(self, moment: datetime) -> list[Metric]:
        if self.scope is not None:
            sla = SlaFamilies()
            self._organisation(sla, self.scope, moment)
            return sla.families()
        database = self.runtime.database
        build = InfoMetricFamily("accord_build", "The running Accord.", {"version": __version__})
        schema = InfoMetricFamily(
            "accord_schema",
            "The database schema's migration, and the newest this code knows (equal once "
            "migrated).",
            {"revision": database.revision() or "", "head": head_revision()},
        )
        depth = GaugeMetricFamily(
            "accord_worker_queue_depth",
            "Items waiting for a worker now: tickets marked for recomputation, due items whose "
            "moment has come, deliveries and mail due to be sent.",
            labels=("queue",),
        )
        lag = GaugeMetricFamily(
            "accord_worker_queue_lag_seconds",
            "How long the oldest item of the queue has waited for a worker.",
            labels=("queue",),
        )
        with database.reading() as session:
            for queue in queues.queues(session, moment, self.runtime.settings.max_attempts):
                depth.add_metric((queue.name,), queue.depth)
                lag.add_metric((queue.name,), queue.lag.total_seconds())
            organisations = [(o.id, o.slug) for o in tenants.organisations(session)]
        sla = SlaFamilies()
        for organisation_id, slug in organisations:
            self._organisation(
                sla, Principal(organisation_id, slug, "read", actor=METRICS_ACTOR), moment
            )
        return [build, schema, depth, lag, *sla.families()]

    def _organisation(self, sla: SlaFamilies, principal: Principal, moment: datetime) -> None:
        """The SLA figures of the principal's agreements, added to ``sla``."""
        slug = principal.organisation
        try:
            found = self.runtime.run(
                standing.standing, principal, moment, uptime=False, earlier=False
            )
        except Exception:  # one organisation's figures must not hide the others'
            log.exception("the SLA figures of organisation %s failed", slug)
            sla.failed.add_metric((slug,), 1)
            return
        sla.failed.add_metric((slug,), 0)
        for agreement in found.agreements:
            sla.add(slug, agreement)


class SlaFamilies:
    """The SLA figures of each organisation's agreements in force, by objective: one series
    per organisation, agreement and objective (and window, state or currency), never per
    ticket."""

    def __init__(self) -> None:
        objective = ("organisation", "agreement", "objective")
        self.failed = GaugeMetricFamily(
            "accord_sla_computation_failed",
            "1 when the organisation's SLA figures could not be computed (the logs say why).",
            labels=("organisation",),
        )
        self.agreement_info = InfoMetricFamily(
            "accord_agreement",
            "An agreement in force: its customer, version in force, zone and open period.",
            labels=("organisation", "agreement", "customer", "version", "zone", "period"),
        )
        self.objective_info = InfoMetricFamily(
            "accord_objective",
            "An objective of an agreement in force: its name, metric and target as written.",
            labels=(*objective, "name", "metric", "target"),
        )
        self.target = _per_objective(
            "accord_objective_target_ratio",
            "The objective's target, as a ratio (0.999 for 99.9%); objectives with a percent "
            "target only.",
        )
        self.attainment = _per_objective(
            "accord_objective_attainment_ratio",
            "The figure attained in the period so far, as a ratio; absent without data. "
            "Time-based availability: the least the period ends at (the downtime so far over "
            "the whole period's window).",
        )
        self.projected = _per_objective(
            "accord_objective_projected_attainment_ratio",
            "The figure the period is projected to end at, as a ratio.",
        )
        self.met = _per_objective(
            "accord_objective_met",
            "1 when the figure so far meets the target, 0 when it misses; absent without data.",
        )
        self.budget = _per_objective(
            "accord_objective_error_budget_seconds",
            "Time-based availability: the downtime the target allows over the whole period.",
        )
        self.budget_left = _per_objective(
            "accord_objective_error_budget_remaining_seconds",
            "Time-based availability: the budget less the downtime so far (negative once spent).",
        )
        self.budget_left_ratio = _per_objective(
            "accord_objective_error_budget_remaining_ratio",
            "Time-based availability: the share of the period's error budget left (1 untouched, "
            "0 spent, negative overspent).",
        )
        self.burn = GaugeMetricFamily(
            "accord_objective_burn_rate",
            "Availability: how fast the error budget burns, (1 - attained) / (1 - target), over "
            "the period so far (window period) and over each burn-rate alert's long and short "
            "windows ending now (window 5m, 30m, 1h, 6h, 3d).",
            labels=(*objective, "window"),
        )
        self.alert = GaugeMetricFamily(
            "accord_objective_burn_alert_firing",
            "Availability: 1 when the multi-window burn-rate alert fires (both windows at or "
            "above the threshold), as Accord's watch judges it.",
            labels=(*objective, "long_window", "short_window", "threshold"),
        )
        self.clocks = GaugeMetricFamily(
            "accord_objective_open_clocks",
            "Ticket objectives: open clocks of the period at risk (past the warning share of "
            "the target) or breached.",
            labels=(*objective, "state"),
        )
        self.credits = GaugeMetricFamily(
            "accord_agreement_credits_owed",
            "Owed to the customer for the open period so far, in the currency's main unit: "
            "service credits, penalties, the at-risk pool's net (less credits earned back), "
            "limits across remedies, less a netted bonus (negative: owed to the provider).",
            labels=("organisation", "agreement", "currency"),
        )

    def families(self) -> list[Metric]:
        return [
            self.failed,
            self.agreement_info,
            self.objective_info,
            self.target,
            self.attainment,
            self.projected,
            self.met,
            self.budget,
            self.budget_left,
            self.budget_left_ratio,
            self.burn,
            self.alert,
            self.clocks,
            self.credits,
        ]

    def add(self, organisation: str, found: AgreementStanding) -> None:
        customer = found.customer or ""
        self.agreement_info.add_metric(
            (organisation, found.key, customer, found.version, found.zone, found.period), {}
        )
        if found.credit_now is not None:
            self.credits.add_metric(
                (organisation, found.key, found.credit_now.currency), float(found.credit_now.amount)
            )
        for objective in found.objectives:
            self._objective((organisation, found.key, objective.objective), objective)

    def _objective(self, labels: tuple[str, str, str], found: ObjectiveStanding) -> None:
        self.objective_info.add_metric((*labels, found.name, found.metric, found.target), {})
        ratio = found.metric in RATIO_METRICS
        if ratio and found.target.endswith("%"):
            self.target.add_metric(labels, _ratio(Decimal(found.target[:-1])))
        if ratio and found.attained is not None:
            self.attainment.add_metric(labels, _ratio(found.attained))
        if ratio and found.projected is not None:
            self.projected.add_metric(labels, _ratio(found.projected))
        if found.met is not None:
            self.met.add_metric(labels, 1 if found.met else 0)
        if found.budget is not None:
            self.budget.add_metric(labels, found.budget.total_seconds())
            if found.budget_left is not None:
                left = found.budget_left.total_seconds()
                self.budget_left.add_metric(labels, left)
                if found.budget:
                    self.budget_left_ratio.add_metric(labels, left / found.budget.total_seconds())
        if found.burn_rate is not None:
            self.burn.add_metric((*labels, "period"), float(found.burn_rate))
        for window, rate in _windows(found):
            self.burn.add_metric((*labels, window), rate)
        for alert in found.alerts:
            self.alert.add_metric(
                (*labels, _span(alert.long), _span(alert.short), f"{alert.threshold:g}"),
                1 if alert.firing else 0,
            )
        if found.at_risk is not None:
            self.clocks.add_metric((*labels, "at_risk"), found.at_risk)
        if found.breached_open is not None:
            self.clocks.add_metric((*labels, "breached"), found.breached_open)


def _per_objective(name: str, text: str) -> GaugeMetricFamily:
    """A gauge with a series per organisation, agreement and objective."""
    return GaugeMetricFamily(name, text, labels=("organisation", "agreement", "objective"))


def _windows(found: ObjectiveStanding) -> Iterable[tuple[str, float]]:
    """Each alert window's burn rate once (a window may be one alert's long and another's
    short), shortest first; windows with nothing judged are left out."""
    rates: dict[timedelta, float] = {}
    for alert in found.alerts:
        for span, rate in ((alert.long, alert.long_rate), (alert.short, alert.short_rate)):
            if rate is not None:
                rates[span] = float(rate)
    for span in sorted(rates):
        yield _span(span), rates[span]


def _span(span: timedelta) -> str:
    """A window as Prometheus writes durations: 5m, 1h, 3d."""
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _ratio(percent: Decimal) -> float:
    return float(percent / _HUNDRED)
