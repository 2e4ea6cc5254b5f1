"""The period report: every objective of an agreement judged over a period, and the credits owed.

One value (:class:`Report`) computed once here and rendered by the CLI (and later the API and
portal) without recomputation: each objective with its target, actual figure, met or missed, the
margin, the breaches with their reasons; the credits per band with their reasons, combined and
capped; the fixed penalties; the claim deadline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import numpy as np

from accord.core.agreement.model import (
    Agreement,
    Claim,
    Objective,
    Penalty,
    Service,
    Termination,
)
from accord.core.agreement.units import Bound, format_target, format_timedelta
from accord.core.availability import Incidents, MaintenanceWindow, Outage, incidents_of
from accord.core.calendar import BusinessCalendar, to_nanos
from accord.core.clocks import TicketEvent, all_clocks, calendars_of, summarize
from accord.core.composition import ServiceAvailability, members, service_availability
from accord.core.credits import Settlement, claim_deadline, combine, penalty, settle
from accord.core.periods import enclosing, in_force, split
from accord.core.slices import (
    WORKBOOK_ALERTS,
    SliceAvailability,
    occurrences,
    ratio_slices,
    slice_availability,
)

_HUNDRED = Decimal(100)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Measurement:
    """A measured fact for count, throughput, deliverable and first-contact objectives."""

    source: str
    at: datetime
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """One uptime check of a service."""

    service: str
    at: datetime
    ok: bool


@dataclass(frozen=True)
class Requests:
    """Requests a service served in a slice starting at ``at``: good out of total."""

    service: str
    at: datetime
    good: int
    total: int


@dataclass(frozen=True)
class Data:
    """What happened: the evidence a report is computed from."""

    outages: tuple[Outage, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()
    tickets: tuple[TicketEvent, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    probes: tuple[Probe, ...] = ()
    requests: tuple[Requests, ...] = ()


@dataclass(frozen=True)
class BurnAlert:
    """One multi-window burn-rate alert (SRE workbook): it fires when the burn rate over both the
    long and the short window, each ending at the period's end, reaches the threshold."""

    long: timedelta
    short: timedelta
    threshold: Decimal
    long_rate: Decimal | None
    """None when the window holds nothing to judge (closed, or no data)."""
    short_rate: Decimal | None

    @property
    def firing(self) -> bool:
        return all(r is not None and r >= self.threshold for r in (self.long_rate, self.short_rate))

    @property
    def text(self) -> str:
        def rate(value: Decimal | None) -> str:
            return "-" if value is None else f"{value:.1f}x"

        return (
            f"burn rate {rate(self.long_rate)} over {format_timedelta(self.long)} and "
            f"{rate(self.short_rate)} over {format_timedelta(self.short)} "
            f"(alert at {self.threshold}x): {'firing' if self.firing else 'quiet'}"
        )


@dataclass(frozen=True)
class ObjectiveResult:
    """One objective over the period."""

    objective: str
    name: str
    metric: str
    target: str
    actual: Decimal | None
    met: bool | None
    margin: Decimal | None
    detail: str
    breaches: tuple[str, ...] = ()
    budget: timedelta | None = None
    """Downtime the target allows in the period (the error budget), for time-based availability."""
    downtime: timedelta | None = None
    """Downtime counted against the budget (weighted), for time-based availability."""
    burn_rate: Decimal | None = None
    """How fast the error budget went over the period: (100 - actual) / (100 - target); 1 is
    exactly the budget, 2 twice it. For availability objectives with a percent target."""
    burn_alerts: tuple[BurnAlert, ...] = ()
    """The SRE workbook's multi-window burn-rate alerts as of the period's end."""
    incidents: int | None = None
    """Runs of downtime in the window, for time-based availability."""
    time_to_recover: timedelta | None = None
    """Mean business time an incident lasted (None without incidents)."""
    time_between_failures: timedelta | None = None
    """Mean up time in the window per incident (None without incidents)."""

    @property
    def budget_left(self) -> timedelta | None:
        """Budget minus downtime: negative once the budget is spent."""
        if self.budget is None or self.downtime is None:
            return None
        return self.budget - self.downtime


@dataclass(frozen=True)
class TerminationRight:
    """Repeated misses against a termination clause, counted up to the end of a period."""

    after_misses: int
    within: str
    """The span the misses are counted over: a calendar period, or rolling N days."""
    since: datetime
    until: datetime
    misses: tuple[str, ...]
    """Each missed objective and period, as ``availability 2026-10``."""
    provider: str | None = None

    @property
    def triggered(self) -> bool:
        """True when the misses reach the clause's count: the customer may terminate."""
        return len(self.misses) >= self.after_misses

    @property
    def text(self) -> str:
        who = f"{self.provider}: " if self.provider else ""
        counted = (
            f"{len(self.misses)} miss{'es' if len(self.misses) != 1 else ''} from "
            f"{self.since:%Y-%m-%d} to {self.until:%Y-%m-%d} ({self.within})"
            + (f": {', '.join(self.misses)}" if self.misses else "")
        )
        reached = "reached" if self.triggered else "not reached"
        return f"{who}{counted}; {self.after_misses} give the right to terminate: {reached}"


@dataclass(frozen=True)
class Report:
    agreement: str
    version: str
    title: str
    start: datetime
    end: datetime
    tier: str | None
    objectives: tuple[ObjectiveResult, ...]
    settlement: Settlement | None
    penalties: tuple[tuple[Decimal, str], ...]
    claim_deadline: datetime | None
    settlements: tuple[Settlement, ...] = ()
    """Per provider, when the tier charges each provider its own fee (``tiers[].fees``):
    each settled on that provider's own figures; ``settlement`` is then their total."""
    claim: Claim | None = None
    """The agreement's claim rules: the procedure and the evidence a claim needs."""
    termination: tuple[TerminationRight, ...] = ()
    """Where the agreement gives a right to terminate after repeated misses: the misses counted
    up to the period's end, for all providers together and for each provider on its own."""

    @property
    def missed(self) -> tuple[ObjectiveResult, ...]:
        return tuple(o for o in self.objectives if o.met is False)


def evaluate(
    agreement: Agreement,
    data: Data,
    start: datetime,
    end: datetime,
    tier: str | None = None,
) -> Report:
    """Judge every objective of a (resolved) agreement over ``[start, end)``."""
    calendars = calendars_of(agreement)
    results = []
    for objective in agreement.objectives:
        judged = _judge(agreement, objective, data, calendars, start, end, tier)
        results.append(_burning(agreement, objective, data, calendars, end, tier, judged))
        # several providers on a common metric: the same objective for each, side by side
        for provider in objective.providers:
            own = _for_provider(agreement, data, provider)
            result = _judge(agreement, objective, own, calendars, start, end, tier)
            result = _burning(agreement, objective, own, calendars, end, tier, result)
            results.append(
                replace(
                    result,
                    objective=f"{objective.id}@{provider}",
                    name=f"{result.name} ({_provider_name(agreement, provider)})",
                )
            )
    settlement = None
    settlements: list[Settlement] = []
    remedies = agreement.remedies
    chosen = next((t for t in agreement.tiers if t.id == tier), None) or next(
        (t for t in agreement.tiers if t.fee is not None or t.fees), None
    )
    if remedies is not None and remedies.credits and chosen is not None and chosen.fee is not None:
        attainments = {r.objective: r.actual for r in results if r.actual is not None}
        settlement = settle(
            remedies, attainments, chosen.fee.amount, chosen.fee.currency, chosen.id
        )
    elif remedies is not None and remedies.credits and chosen is not None and chosen.fees:
        # each provider charged its own fee: settled on its own figures
        known = {r.objective: r for r in results}
        for provider, fee in chosen.fees.items():
            own = _for_provider(agreement, data, provider)
            attainments = {}
            for schedule in remedies.credits:
                objective = agreement.objective(schedule.objective)
                if objective.providers and provider not in objective.providers:
                    continue  # not a promise this provider makes
                result = known.get(f"{objective.id}@{provider}") or _judge(
                    agreement, objective, own, calendars, start, end, tier
                )
                if result.actual is not None:
                    attainments[objective.id] = result.actual
            found = settle(remedies, attainments, fee.amount, fee.currency, chosen.id, provider)
            header = (
                f"{_provider_name(agreement, provider)} ({provider}): settled on its own "
                f"figures and its own fee of {fee.amount} {fee.currency}"
                + ("" if found.amount else "; no credit owed")
            )
            settlements.append(replace(found, reasons=(header, *found.reasons)))
        settlement = combine(settlements)
    penalties = []
    if remedies is not None:
        for rule in remedies.penalties:
            penalties.extend(_penalties(agreement, rule, results, data, calendars, start, end))
    termination: tuple[TerminationRight, ...] = ()
    if remedies is not None and remedies.termination is not None:
        termination = _termination(
            agreement, remedies.termination, results, data, calendars, start, end, tier
        )
    deadline = None
    if remedies is not None and remedies.claim is not None:
        deadline = claim_deadline(remedies.claim, end)
    return Report(
        agreement=agreement.id,
        version=agreement.version,
        title=agreement.overview.title,
        start=start,
        end=end,
        tier=chosen.id if chosen is not None else tier,
        objectives=tuple(results),
        settlement=settlement,
        penalties=tuple(penalties),
        claim_deadline=deadline,
        settlements=tuple(settlements),
        claim=remedies.claim if remedies is not None else None,
        termination=termination,
    )


def judge(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    start: datetime,
    end: datetime,
    tier: str | None = None,
    calendars: Mapping[str, BusinessCalendar] | None = None,
) -> ObjectiveResult:
    """One objective of a (resolved) agreement over ``[start, end)``, as ``evaluate`` judges it
    (``calendars``: the agreement's, when the caller has them built already)."""
    found = calendars if calendars is not None else calendars_of(agreement)
    return _judge(agreement, objective, data, found, start, end, tier)


def _judge(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    start: datetime,
    end: datetime,
    tier: str | None,
) -> ObjectiveResult:
    target = objective.target
    override = objective.tiers.get(tier or "")
    if override is not None and override.target is not None:
        target = override.target
    shown = format_target(target)
    name = objective.name or objective.id
    metric = objective.metric
    if metric == "availability" and objective.method != "time":
        actual, detail, sliced = _measured(
            agreement, objective, data, calendars[objective.calendar], start, end
        )
        if actual is None:
            return ObjectiveResult(objective.id, name, metric, shown, None, None, None, detail)
        judged = _percent_result(objective, name, shown, target, actual, detail, ())
        if sliced is not None and isinstance(target, Decimal):
            # the budget in slices: the share of counted slices the target lets go down
            allowed = Decimal(sliced.counted) * (_HUNDRED - target) / _HUNDRED
            judged = replace(
                judged,
                budget=timedelta(microseconds=int(allowed * (sliced.slice // _MICROSECOND))),
                downtime=sliced.downtime,
            )
        return judged
    if metric == "availability":
        result = _availability(agreement, objective, data, calendars, start, end)
        actual = result.percent
        breaches = tuple(
            f"{d.start.isoformat()} - {d.end.isoformat()}: {d.reason}"
            + (f" (weight {d.weight})" if d.weight != 1 else "")
            + (
                f" ({format_timedelta(d.business)} of it in the window)"
                if d.business != d.end - d.start
                else ""
            )
            for d in result.intervals
            if d.business > timedelta(0)  # outside the window it breaches nothing
        )
        downtime = _span(result.downtime)
        detail = (
            f"{format_timedelta(_span(result.window))} in window, "
            f"{format_timedelta(downtime)} down, "
            f"{format_timedelta(_span(result.excluded))} excluded"
            + _incidents_text(result.incidents)
            + (f"; {result.how}" if result.how else "")
        )
        judged = _percent_result(objective, name, shown, target, actual, detail, breaches)
        runs = result.incidents
        judged = replace(
            judged,
            incidents=runs.count,
            time_to_recover=runs.time_to_recover,
            time_between_failures=runs.time_between_failures,
        )
        if isinstance(target, Decimal):
            allowed = result.window * (_HUNDRED - target) / _HUNDRED
            judged = replace(judged, budget=_span(allowed), downtime=downtime)
        return judged
    if metric in (
        "first_response",
        "next_response",
        "periodic_update",
        "resolution",
        "time_to_recover",
    ):
        family = [o for o in agreement.objectives if o.metric == metric]
        events = [e for e in data.tickets if e.at < end]
        clocks = [
            c
            for c in all_clocks(events, family, calendars, end)
            if c.objective == objective.id and c.started_at is not None and start <= c.started_at
        ]
        rows = [r for r in summarize(clocks, family) if r.objective == objective.id]
        attainment = rows[0].attainment if rows else None
        if attainment is None:
            return ObjectiveResult(
                objective.id,
                name,
                metric,
                shown,
                None,
                None,
                None,
                "no ticket in scope this period",
            )
        row = rows[0]
        breaches = tuple(
            f"ticket {c.ticket}: {format_timedelta(c.used)} used of "
            f"{format_timedelta(c.target or timedelta(0))}"
            for c in clocks
            if c.state == "breached"
        )
        detail = f"{row.in_scope} tickets: {row.met} met, {row.breached} breached, {row.open} open"
        return _percent_result(objective, name, shown, target, attainment, detail, breaches)
    found = [
        m
        for m in data.measurements
        if m.source == (objective.source or objective.id)
        and start <= m.at < end
        and all(_condition(m.fields.get(k), v) for k, v in objective.where.items())
    ]
    if metric == "count":
        actual = Decimal(len(found))
        met = target.holds(actual) if isinstance(target, Bound) else None
        return ObjectiveResult(
            objective.id,
            name,
            metric,
            shown,
            actual,
            met,
            None,
            f"{len(found)} {objective.source or 'items'} in the period",
        )
    if metric == "throughput":
        values = sorted(
            Decimal(m.fields[objective.field])
            for m in found
            if objective.field and m.fields.get(objective.field) not in (None, "")
        )
        if not values:
            return ObjectiveResult(
                objective.id, name, metric, shown, None, None, None, "no measurement this period"
            )
        actual = _statistic(values, objective.statistic or "mean")
        met = target.holds(actual) if isinstance(target, Bound) else None
        return ObjectiveResult(
            objective.id,
            name,
            metric,
            shown,
            actual,
            met,
            None,
            f"{objective.statistic} of {len(values)} measurements",
        )
    if metric == "first_contact_resolution":
        key = objective.field or "first_contact"
        resolved = [m for m in found if key in m.fields]
        if not resolved:
            return ObjectiveResult(
                objective.id, name, metric, shown, None, None, None, "no contact this period"
            )
        first = sum(1 for m in resolved if m.fields[key].lower() in ("true", "yes", "1"))
        actual = Decimal(first) / Decimal(len(resolved)) * _HUNDRED
        return _percent_result(
            objective,
            name,
            shown,
            target,
            actual,
            f"{first} of {len(resolved)} resolved at first contact",
            (),
        )
    # deliverable: delivered by the N-th business day of the period
    calendar = calendars[objective.calendar]
    day = int(re.match(r"\d+", objective.due or "1").group(0))  # type: ignore[union-attr]
    opening = calendar.next_open(start)
    due_day = calendar.add_days(opening, day - 1) if day > 1 else opening
    due = calendar.next_close(due_day) or due_day
    on_time = [m for m in found if m.at <= due]
    actual = _HUNDRED if on_time else Decimal(0)
    detail = (
        f"due {due.isoformat()}; delivered {on_time[0].at.isoformat()}"
        if on_time
        else f"due {due.isoformat()}; not delivered by then"
    )
    return _percent_result(objective, name, shown, target, actual, detail, ())


def _percent_result(
    objective: Objective,
    name: str,
    shown: str,
    target: Decimal | Bound,
    actual: Decimal,
    detail: str,
    breaches: Sequence[str],
) -> ObjectiveResult:
    if isinstance(target, Decimal):
        return ObjectiveResult(
            objective.id,
            name,
            objective.metric,
            shown,
            actual,
            actual >= target,
            actual - target,
            detail,
            tuple(breaches),
        )
    return ObjectiveResult(
        objective.id,
        name,
        objective.metric,
        shown,
        actual,
        target.holds(actual),
        None,
        detail,
        tuple(breaches),
    )


def _availability(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    start: datetime,
    end: datetime,
) -> ServiceAvailability:
    """Time-based availability of the objective's services (all must be up), each composed of
    its components as the agreement says."""
    target = objective.target if isinstance(objective.target, Decimal) else None
    plan = agreement.exclusions.maintenance if agreement.exclusions else None
    allowed = calendars.get(plan.window) if plan is not None and plan.window else None
    return service_availability(
        {s.id: s for s in agreement.services},
        objective.scope.get("service", ()),
        calendars[objective.calendar],
        start,
        end,
        data.outages,
        data.maintenance,
        agreement.exclusions,
        target,
        allowed,
    )


_Measured = tuple[Decimal | None, str, SliceAvailability | None]


def _measured(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
) -> _Measured:
    """Availability by probes or request counts (the objective's ``method``), in its window,
    with the slices when measured by probes; services composed as the agreement says (a
    weighted service is the blend of its components', measured each on its own; with ``all``,
    a component's probes and requests are the service's)."""
    services = {s.id: s for s in agreement.services}

    def measure(names: tuple[str, ...], inherited: frozenset[str]) -> _Measured:
        spec = services.get(names[0]) if len(names) == 1 else None
        weighs = spec is not None and spec.composition == "weighted" and spec.components
        if spec is not None and weighs and spec.id not in inherited:  # (a cycle stops here)
            parts = [
                (c, spec.weights.get(c, Decimal(0)), measure((c,), inherited | {spec.id}))
                for c in spec.components
            ]
            return _blend(parts)
        counted = set(inherited)
        for name in names:
            counted.update(members(services, name))
        # a composed service's own probes count if it has any; its components must have them
        composed = {n for n in counted if n in inherited or _has_components(services, n)}
        return _measured_services(
            agreement,
            objective,
            data,
            window,
            start,
            end,
            sorted(counted) if names else None,
            composed,
        )

    return measure(tuple(objective.scope.get("service", ())), frozenset())


def _has_components(services: Mapping[str, Service], name: str) -> bool:
    spec = services.get(name)
    return spec is not None and bool(spec.components)


def _blend(parts: Sequence[tuple[str, Decimal, _Measured]]) -> _Measured:
    """The weighted blend of components measured each on its own: down share
    ``sum(w * down) / sum(w * counted)`` over slices, ``sum(w * percent)`` over requests."""
    missing = [name for name, _, (percent, _, _) in parts if percent is None]
    if missing:
        return None, f"weighted: no data for {', '.join(missing)}", None
    window, down = Decimal(0), Decimal(0)
    for _, weight, (percent, _, sliced) in parts:
        assert percent is not None
        if sliced is not None:
            window += weight * sliced.counted
            down += weight * sliced.down
        else:
            window += weight * _HUNDRED
            down += weight * (_HUNDRED - percent)
    actual = _HUNDRED if window <= 0 else (window - down) / window * _HUNDRED
    how = " + ".join(f"{w} x {name} {p:.4f}%" for name, w, (p, _, _) in parts)
    details = "; ".join(f"{name}: {detail}" for name, _, (_, detail, _) in parts)
    return actual, f"weighted: {how} ({details})", None


def _measured_services(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    window: BusinessCalendar,
    start: datetime,
    end: datetime,
    services: list[str] | None,
    optional: set[str],
) -> _Measured:
    """Probes or requests of ``services`` (None: of every service), all of which must be up;
    by probes, those of ``optional`` only if they have any this period."""

    def in_scope(service: str) -> bool:
        return services is None or service in services

    if objective.method == "slices":
        probes = [p for p in data.probes if in_scope(p.service) and start <= p.at < end]
        if services is not None:
            probed = {p.service for p in probes}
            services = [s for s in services if s not in optional or s in probed]
        several = services is not None and len(services) > 1
        codes = None
        if several:
            assert services is not None
            code = {name: index for index, name in enumerate(services)}
            codes = np.array([code[p.service] for p in probes], dtype=np.int64)
        unknown = agreement.exclusions.unknown_data if agreement.exclusions else "excluded"
        found = slice_availability(
            np.array([to_nanos(p.at) for p in probes], dtype=np.int64).view("datetime64[ns]"),
            np.array([p.ok for p in probes], dtype=bool),
            start,
            end,
            window,
            slice_length=(
                objective.slice.time
                if objective.slice and objective.slice.time
                else timedelta(minutes=1)
            ),
            threshold=objective.slice_threshold
            if objective.slice_threshold is not None
            else Decimal(100),
            unknown=unknown,
            bad_run=objective.bad_run,
            services=codes,
            service_count=len(services) if services is not None else 1,
        )
        judged = (
            f" (each slice judged on every one of {', '.join(services)})"
            if several and services is not None
            else ""
        )
        return (
            found.percent,
            (
                f"{found.counted} slices counted: {found.good} good, {found.bad} bad, "
                f"{found.unknown} without data (counted as {unknown}); {found.down} down"
                f"{judged}"
            ),
            found,
        )
    rows = [
        r
        for r in data.requests
        if in_scope(r.service) and start <= r.at < end and window.is_open(r.at)
    ]
    if not rows:
        return None, "no request counts this period", None
    if objective.method == "occurrences":
        good, total = sum(r.good for r in rows), sum(r.total for r in rows)
        return occurrences(good, total), f"{good} good of {total} requests", None
    return (
        ratio_slices([r.good for r in rows], [r.total for r in rows]),
        f"mean success of {len(rows)} slices",
        None,
    )


def _penalties(
    agreement: Agreement,
    rule: Penalty,
    results: Sequence[ObjectiveResult],
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    start: datetime,
    end: datetime,
) -> list[tuple[Decimal, str]]:
    """What a fixed penalty costs this period, with its reasons: per hour (or day) of downtime
    over the threshold of the rule's period (a year) that this period added; per incident
    (incidents of downtime, or breached tickets); per miss. An objective measured across several
    providers is charged to each on its own figures."""
    objective = agreement.objective(rule.objective)
    known = {r.objective: r for r in results}
    sides: list[tuple[str | None, Data]] = [
        (p, _for_provider(agreement, data, p)) for p in objective.providers
    ] or [(None, data)]
    owed = []
    for provider, evidence in sides:
        prefix = "" if provider is None else f"{_provider_name(agreement, provider)}: "
        result = known[objective.id if provider is None else f"{objective.id}@{provider}"]
        if rule.per == "miss" or (rule.per == "incident" and result.incidents is None):
            # a miss of any objective; or the breached tickets of a ticket objective
            count = len(result.breaches)
            amount, reason = penalty(
                rule, timedelta(0), count, result.met is False, counted="breached ticket"
            )
            owed.append((amount, prefix + reason))
            continue
        pieces = split(start, end, rule.period.kind)
        for first, begin, finish in pieces:
            opened = first
            if agreement.effective is not None:  # nothing before the agreement counts
                opened = datetime.combine(agreement.effective.start, time(), first.tzinfo)
                first = max(first, opened)
            if rule.per == "incident":  # the incidents that began in this period
                count = _incidents_begun(
                    agreement, objective, evidence, calendars, max(begin, first), finish, opened
                )
                amount, reason = penalty(rule, timedelta(0), count)
            else:
                amount, reason = penalty(
                    rule,
                    _downtime_to(agreement, objective, evidence, calendars, first, finish),
                    before=_downtime_to(agreement, objective, evidence, calendars, first, begin),
                )
            scope = f"{begin:%Y-%m-%d} to {finish:%Y-%m-%d}: " if len(pieces) > 1 else ""
            owed.append((amount, prefix + scope + reason))
    return owed


def _downtime_to(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    first: datetime,
    until: datetime,
) -> timedelta:
    """Downtime from ``first`` to ``until``, each of the objective's own periods judged from
    its own start (a maintenance allowance is so much a period, used from the period's start,
    not so much a year)."""
    if until <= first:
        return timedelta(0)
    total = timedelta(0)
    for start, end in _objective_spans(objective, first, until):
        total += _span(_availability(agreement, objective, data, calendars, start, end).downtime)
        if start < first:  # the part of this period before ``first`` is not asked for
            earlier = _availability(agreement, objective, data, calendars, start, first)
            total -= _span(earlier.downtime)
    return total


def _incidents_begun(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    begin: datetime,
    finish: datetime,
    floor: datetime,
) -> int:
    """Incidents that began in ``[begin, finish)``: runs of downtime with business time, each
    objective period judged from its own start (its maintenance allowance), the period before
    too so that an incident running into this one is known to have begun earlier. An incident
    begins at its first business time; one that began before ``floor`` (the agreement's start)
    begins at ``floor``."""
    if finish <= begin:
        return 0
    earlier = begin - timedelta(microseconds=1)
    if objective.period.kind != "rolling":
        earlier = enclosing(
            enclosing(begin, objective.period.kind)[0] - _TICK, objective.period.kind
        )[0]
    pieces = [
        piece
        for start, end in _objective_spans(objective, earlier, finish)
        for piece in _availability(agreement, objective, data, calendars, start, end).intervals
    ]
    window = calendars[objective.calendar]
    began = (
        max(floor, start if window.is_open(start) else window.next_open(start))
        for start in incidents_of(pieces, timedelta(0)).starts
    )
    return sum(1 for start in began if begin <= start < finish)


def _objective_spans(
    objective: Objective, first: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The objective's own periods that overlap ``[first, until)``, each from its start (which
    may come before ``first``) to its end or ``until``; one span for a rolling period."""
    kind = objective.period.kind
    if kind == "rolling":
        return [(first, until)]
    spans = []
    cursor = enclosing(first, kind)[0]
    while cursor < until:
        start, end = enclosing(cursor, kind)
        spans.append((start, min(end, until)))
        cursor = end
    return spans


_TICK = timedelta(microseconds=1)


def _burning(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    end: datetime,
    tier: str | None,
    result: ObjectiveResult,
) -> ObjectiveResult:
    """An availability result with its burn rate over the period and the workbook's alerts:
    the objective judged again over each alert's long and short window ending at ``end``."""
    if objective.metric != "availability" or result.actual is None or result.margin is None:
        return result
    target = result.actual - result.margin
    alerts = tuple(
        _alert(agreement, objective, data, calendars, end, tier, target, *alert)
        for alert in WORKBOOK_ALERTS
    )
    return replace(result, burn_rate=_burn(result.actual, target), burn_alerts=alerts)


def burn_alert(
    agreement: Agreement,
    objective: str,
    data: Data,
    moment: datetime,
    long: timedelta,
    short: timedelta,
    threshold: Decimal,
    tier: str | None = None,
    calendars: Mapping[str, BusinessCalendar] | None = None,
) -> BurnAlert | None:
    """One burn-rate alert of an availability objective as of ``moment``: its long and short
    windows ending then, judged by the objective's method and calendar (None when the
    objective has no percent target to burn against; ``calendars``: the agreement's, when the
    caller has them built already)."""
    found = agreement.objective(objective)
    target = found.target
    override = found.tiers.get(tier or "")
    if override is not None and override.target is not None:
        target = override.target
    if found.metric != "availability" or not isinstance(target, Decimal):
        return None
    built = calendars if calendars is not None else calendars_of(agreement)
    return _alert(agreement, found, data, built, moment, tier, target, long, short, threshold)


def _alert(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    end: datetime,
    tier: str | None,
    target: Decimal,
    long: timedelta,
    short: timedelta,
    threshold: Decimal,
) -> BurnAlert:
    rates = []
    end = end.astimezone(UTC)  # the last hour is 60 minutes, even across a change of clocks
    for span in (long, short):
        part = _judge(agreement, objective, data, calendars, end - span, end, tier)
        rates.append(None if part.actual is None else _burn(part.actual, target))
    return BurnAlert(long, short, threshold, rates[0], rates[1])


def _burn(actual: Decimal, target: Decimal) -> Decimal:
    """(100 - actual) / (100 - target): the share of the error budget spent per share of time."""
    if target >= _HUNDRED:
        return Decimal("Infinity") if actual < _HUNDRED else Decimal(0)
    rate = (_HUNDRED - actual) / (_HUNDRED - target)
    return rate if rate else Decimal(0)


def _termination(
    agreement: Agreement,
    rule: Termination,
    results: Sequence[ObjectiveResult],
    data: Data,
    calendars: Mapping[str, BusinessCalendar],
    start: datetime,
    end: datetime,
    tier: str | None,
) -> tuple[TerminationRight, ...]:
    """Misses of the clause's objectives (all, when it names none) in the periods that end
    within ``within`` up to ``end``: each objective judged over its own periods (a month unless
    it says otherwise), for all providers together and, when objectives are measured across
    providers, for each provider on its own evidence."""
    since = _termination_since(rule, end)
    if agreement.effective is not None:  # nothing before the agreement counts
        since = max(since, datetime.combine(agreement.effective.start, time(), since.tzinfo))
    chosen = [agreement.objective(i) for i in rule.objectives] or list(agreement.objectives)
    providers = list(dict.fromkeys(p for o in chosen for p in o.providers))
    known = {r.objective: r for r in results}
    rights = []
    for provider in [None, *providers]:
        evidence = data if provider is None else _for_provider(agreement, data, provider)
        misses = []
        for objective in chosen:
            if provider is not None and provider not in objective.providers:
                continue
            kind = _judged_by(objective)
            key = objective.id if provider is None else f"{objective.id}@{provider}"
            first = enclosing(since, kind)[0]
            while (after := enclosing(first, kind)[1]) <= end:
                if after > since and in_force(agreement.effective, first, after):
                    result = (
                        known[key]
                        if (first, after) == (start, end)
                        else _judge(agreement, objective, evidence, calendars, first, after, tier)
                    )
                    if result.met is False:
                        misses.append(f"{objective.id} {_period_label(first, kind)}")
                first = after
        name = None if provider is None else _provider_name(agreement, provider)
        rights.append(
            TerminationRight(rule.after_misses, str(rule.within), since, end, tuple(misses), name)
        )
    return tuple(rights)


def _termination_since(rule: Termination, end: datetime) -> datetime:
    if rule.within.kind == "rolling":
        return end - timedelta(days=rule.within.days)
    return enclosing(end - timedelta(microseconds=1), rule.within.kind)[0]


def _judged_by(objective: Objective) -> str:
    """The calendar periods an objective is judged over when its misses are counted."""
    return "month" if objective.period.kind == "rolling" else objective.period.kind


def evidence_since(agreement: Agreement, start: datetime, end: datetime) -> datetime:
    """The earliest instant ``evaluate`` over ``[start, end)`` reads evidence from: the burn-rate
    windows before the end, the year (or other period) of a penalty's threshold, the periods a
    termination clause counts misses over. A store loads data from here (outages it reads
    whole: one may have begun long before)."""
    since = min(start, end - max(long for long, _, _ in WORKBOOK_ALERTS))
    remedies = agreement.remedies
    if remedies is None:
        return since
    for rule in remedies.penalties:
        since = min(since, enclosing(start, rule.period.kind)[0])
    if remedies.termination is not None:
        first = _termination_since(remedies.termination, end)
        chosen = [agreement.objective(i) for i in remedies.termination.objectives]
        for objective in chosen or agreement.objectives:
            since = min(since, enclosing(first, _judged_by(objective))[0])
    return since


def _period_label(first: datetime, kind: str) -> str:
    if kind == "month":
        return f"{first:%Y-%m}"
    if kind == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if kind == "year":
        return f"{first.year}"
    return f"week of {first:%Y-%m-%d}"


def _incidents_text(found: Incidents) -> str:
    if not found.count:
        return "; no incident"
    recover, between = found.time_to_recover, found.time_between_failures
    assert recover is not None
    assert between is not None
    return (
        f"; {found.count} incident{'s' if found.count > 1 else ''}, mean time to recover "
        f"{format_timedelta(_whole_seconds(recover))}, mean time between failures "
        f"{format_timedelta(_whole_seconds(between))}"
    )


def _whole_seconds(span: timedelta) -> timedelta:
    return timedelta(seconds=span // timedelta(seconds=1))


def _span(microseconds: Decimal) -> timedelta:
    """Exact microseconds as a duration (to the whole microsecond, toward zero)."""
    return timedelta(microseconds=int(microseconds))


def _provider_name(agreement: Agreement, provider: str) -> str:
    parties = agreement.parties.all_providers if agreement.parties else ()
    return next((p.name for p in parties if p.id == provider), provider)


def _for_provider(agreement: Agreement, data: Data, provider: str) -> Data:
    """The evidence of one provider: its services' outages, probes and requests, the tickets and
    measurements of its services (or marked with its id in a ``provider`` field)."""
    services = {s.id for s in agreement.services if s.provider == provider}

    def mine(fields: Mapping[str, str]) -> bool:
        return fields.get("provider") == provider or fields.get("service") in services

    tickets = {e.ticket for e in data.tickets if mine(e.fields)}
    return Data(
        outages=tuple(o for o in data.outages if o.service in services),
        maintenance=tuple(m for m in data.maintenance if m.service in services),
        tickets=tuple(e for e in data.tickets if e.ticket in tickets),
        measurements=tuple(m for m in data.measurements if mine(m.fields)),
        probes=tuple(p for p in data.probes if p.service in services),
        requests=tuple(r for r in data.requests if r.service in services),
    )


def _condition(value: str | None, wanted: Bound | str) -> bool:
    if value is None:
        return False
    if isinstance(wanted, Bound):
        try:
            return wanted.holds(Decimal(value))
        except ArithmeticError:
            return False
    return value == wanted


def _statistic(values: Sequence[Decimal], statistic: str) -> Decimal:
    if statistic.startswith("p"):
        rank = max(1, -(-int(Decimal(statistic[1:]) * len(values)) // 100))
        return values[min(rank, len(values)) - 1]
    if statistic == "median":
        return _statistic(values, "p50")
    if statistic == "mean":
        return sum(values, Decimal(0)) / Decimal(len(values))
    if statistic == "sum":
        return sum(values, Decimal(0))
    return values[0] if statistic == "min" else values[-1]
