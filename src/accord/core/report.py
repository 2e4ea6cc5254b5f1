"""The period report: every objective of an agreement judged over a period, and the credits owed.

One value (:class:`Report`) computed once here and rendered by the CLI, the API and the portal
without recomputation. The flow reads top to bottom in :func:`evaluate`: each objective judged
(:mod:`accord.core.judging`, with its burn rate from :mod:`accord.core.burn`), the credits
(:mod:`accord.core.credits`), the fixed penalties (:mod:`accord.core.penalties`), the right to
terminate (:mod:`accord.core.termination`), the claim deadline.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import chain
from operator import attrgetter
from typing import Literal
from zoneinfo import ZoneInfo

from accord.core.agreement.model import Agreement, Claim, Objective, Tier
from accord.core.bonus import BonusSettlement, bonuses, netted
from accord.core.burn import BurnAlert, burn_alert, burning
from accord.core.calendar import BusinessCalendar
from accord.core.calendar.years import Caveat, holiday_caveats
from accord.core.caps import across_remedies, grid, origin
from accord.core.clocks import TICKET_METRICS, calendars_of
from accord.core.clocks_batch import EventColumns
from accord.core.credits import Settlement, claim_deadline
from accord.core.errors import AccordError
from accord.core.evidence import Data, Measurement, Probe, Requests, carried_fields
from accord.core.judging import (
    EXPLAINED,
    Breach,
    ClockCache,
    Consumed,
    Judging,
    ObjectiveResult,
    Status,
    TicketCounts,
    costliest,
    explained,
    for_provider,
    judge_objective,
    provider_name,
    reads_from,
)
from accord.core.penalties import judged_over, penalty_since
from accord.core.penalties import penalties as penalties_of
from accord.core.periods import enclosing, in_force_span
from accord.core.pool import PoolSettlement, at_risk_pool, pool_since
from accord.core.service_time import TimeCredit, service_time
from accord.core.settlement import credits_settled
from accord.core.slices import WORKBOOK_ALERTS
from accord.core.termination import (
    TerminationRight,
    judged_by,
    termination_rights,
    termination_since,
)

__all__ = [
    "EXPLAINED",
    "Breach",
    "BurnAlert",
    "ClockCache",
    "ClocksUsed",
    "Consumed",
    "Data",
    "Measurement",
    "ObjectiveResult",
    "Probe",
    "Report",
    "ReportError",
    "Requests",
    "Status",
    "TerminationRight",
    "TicketCounts",
    "burn_alert",
    "chosen_tier",
    "costliest",
    "evaluate",
    "evidence_since",
    "home_zone",
    "judge",
]


class ReportError(AccordError, ValueError):
    """A report that cannot be made as asked (an unknown tier...), saying what exists."""


@dataclass(frozen=True)
class ClocksUsed:
    """Which engine evaluated a report's ticket clocks, and how many tickets the column engine
    handed to the replay."""

    engine: str
    tickets: int
    fell_back: int

    @property
    def text(self) -> str:
        if self.engine == "replay":
            return f"clocks of {self.tickets} tickets by the replay (rule by rule)"
        return (
            f"clocks of {self.tickets} tickets by the column engine "
            f"({self.fell_back} fell back to the replay)"
        )


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
    limits: tuple[tuple[Decimal, str], ...] = ()
    """What the caps and floors across remedies (``remedies.limits``) took off (negative) or
    added to the period's penalties and credits (the service credits and the at-risk pool's
    net), each with its reason; what the period owes in all is :attr:`owed`."""
    as_of: datetime | None = None
    """The instant the report was judged at, with the evidence known then (None: the period's
    end, with all the evidence given)."""
    tier_assumed: bool = False
    """True when no tier was asked for and the report took the agreement's first."""
    clocks: ClocksUsed | None = None
    """The engine that evaluated the ticket clocks (None: no ticket objective was judged)."""
    in_force_until: datetime | None = None
    """The end of the period, or of the agreement when it ends first (None: the period's)."""
    observed_until: datetime | None = None
    """The end of the span the evidence declares it covers (None: not declared)."""
    zone: str = "UTC"
    """The agreement's own time zone (:func:`home_zone`): where its readers are, the zone
    a report for people tells its times in unless another is asked for."""
    pool: PoolSettlement | None = None
    """The at-risk amount and its allocation (:mod:`accord.core.pool`), with earn-back."""
    bonus: BonusSettlement | None = None
    """Bonuses owed to the provider (:mod:`accord.core.bonus`)."""
    service_time: tuple[TimeCredit, ...] = ()
    """Credits in service time (:mod:`accord.core.service_time`), never in money."""
    penalty_currency: str | None = None
    """The currency the agreement's penalties are charged in (None: it charges none)."""
    caveats: tuple[Caveat, ...] = ()
    """What the report cannot vouch for: the objectives measured in a calendar whose public
    holidays the ``holidays`` library does not know for part of the period, and the calendar
    does not list (:func:`accord.core.calendar.years.holiday_caveats`)."""

    def caveats_of(self, objective: str) -> tuple[int, ...]:
        """The caveats concerning an objective's line (by id), by their place in
        :attr:`caveats`."""
        return tuple(i for i, c in enumerate(self.caveats) if objective in c.objectives)

    @property
    def owed(self) -> tuple[Decimal, str] | None:
        """What the period owes the customer in all, and its currency: the parts of
        :attr:`owing` added up (negative: owed to the provider, a netted bonus passing the
        credits). None when the agreement has no remedy in money settled in the period."""
        parts = self.owing
        currency = self.currency
        if not parts or currency is None:
            return None
        return sum((amount for _, amount in parts), Decimal(0)), currency

    @property
    def owing(self) -> tuple[tuple[str, Decimal], ...]:
        """The parts of what the period owes in all, each named: the service credits, the
        penalties, the at-risk pool's net (its credits less those earned back), what the
        limits across remedies took off or added, and a bonus netted against the credits
        (``net: true``), negative. A bonus shown beside the credits is not a part of it."""
        parts: list[tuple[str, Decimal]] = []
        if self.settlement is not None:
            parts.append(("service credits", self.settlement.amount))
        if self.penalties:
            parts.append(("penalties", sum((a for a, _ in self.penalties), Decimal(0))))
        if self.pool is not None:
            parts.append(("at-risk net", self.pool.net))
        if self.limits:
            parts.append(("limits across remedies", sum((a for a, _ in self.limits), Decimal(0))))
        if self.bonus is not None and self.bonus.net:
            parts.append(("bonus netted", -self.bonus.amount))
        return tuple(parts)

    @property
    def currency(self) -> str | None:
        """The currency of the period's remedies in money (None: it has none)."""
        if self.settlement is not None:
            return self.settlement.currency
        if self.penalties and self.penalty_currency is not None:
            return self.penalty_currency
        if self.pool is not None:
            return self.pool.currency
        return self.bonus.currency if self.bonus is not None else None

    @property
    def missed(self) -> tuple[ObjectiveResult, ...]:
        return tuple(o for o in self.objectives if o.met is False)

    @property
    def judged_at(self) -> datetime:
        """The instant the figures stand at: ``as_of``, or the period's end."""
        return self.end if self.as_of is None else min(self.as_of, self.end)

    @property
    def final(self) -> bool:
        """Whether the period (or the agreement, when it ends first) was over at the instant
        judged at, and the evidence covers it to its end; else its figures are to date."""
        last = self.end if self.in_force_until is None else self.in_force_until
        known = self.observed_until is None or self.observed_until >= last
        return known and (self.as_of is None or self.as_of >= last)


def chosen_tier(agreement: Agreement, tier: str | None) -> tuple[Tier | None, bool]:
    """The tier a report is made for, and whether it was assumed (none asked for: the first
    with a fee, else the first). An unknown tier is an error naming the known ones."""
    if tier is not None:
        found = next((t for t in agreement.tiers if t.id == tier), None)
        if found is None:
            known = ", ".join(t.id for t in agreement.tiers)
            raise ReportError(
                f"tier {tier!r}: agreement {agreement.id} has "
                + (f"tiers {known}" if known else "no tiers")
            )
        return found, False
    if not agreement.tiers:
        return None, False
    priced = next((t for t in agreement.tiers if t.fee is not None or t.fees), None)
    return priced or agreement.tiers[0], len(agreement.tiers) > 1


def evaluate(
    agreement: Agreement,
    data: Data,
    start: datetime,
    end: datetime,
    tier: str | None = None,
    *,
    as_of: datetime | None = None,
    engine: Literal["auto", "columns", "replay"] = "auto",
    strict: bool = True,
    cache: ClockCache | None = None,
    explain: int | None = EXPLAINED,
) -> Report:
    """Judge every objective of a (resolved) agreement over ``[start, end)``.

    ``as_of``: the instant to judge at, with the evidence known then (a period not over by then
    is judged to date); None judges the period at its end with all the evidence given.
    ``engine``: the clock engine for ticket objectives (see
    :func:`accord.core.clock_engines.evaluate_clocks`); ``replay`` also judges availability
    from outages by its scalar reference engine (see
    :func:`accord.core.availability.availability`). ``strict``: a field an objective's
    rules or filters read that no record carries is an error (files); the live service, whose
    evidence is still arriving, judges such records out of scope instead. ``cache``: shared
    by reports judged on the same evidence (a trend's months), which then build the ticket
    columns once and evaluate the clocks at each instant once. ``explain``: how many of each
    ticket objective's breaches (the costliest) say where their time went (None: all)."""
    chosen, assumed = chosen_tier(agreement, tier)
    if strict and cache is not None:
        cache.checked(agreement, data, check_fields)
    elif strict:
        check_fields(agreement, data)
    if as_of is not None:
        data = data.known_at(as_of) if cache is None else cache.known_at(data, as_of)
    judging = Judging(
        agreement,
        data,
        calendars_of(agreement) if cache is None else cache.calendars(agreement),
        chosen.id if chosen else None,
        as_of,
        engine,
        strict=strict,
        cache=cache,
    )
    results = []
    for objective in agreement.objectives:
        results.append(burning(judging, objective, judge_objective(judging, objective, start, end)))
        # several providers on a common metric: the same objective for each, side by side
        for provider in objective.providers:
            own = judging.of(for_provider(agreement, data, provider))
            result = burning(own, objective, judge_objective(own, objective, start, end))
            results.append(
                replace(
                    result,
                    objective=f"{objective.id}@{provider}",
                    name=f"{result.name} ({provider_name(agreement, provider)})",
                )
            )
    if explain != 0:
        results = [
            explained(
                judging,
                r,
                as_of if as_of is not None else (r.judged_until or end),
                explain,
            )
            for r in results
        ]
    known = {r.objective: r for r in results}
    settlement, settlements = credits_settled(judging, chosen, known, start, end)
    remedies = agreement.remedies
    owed: list[tuple[Decimal, str]] = []
    termination: tuple[TerminationRight, ...] = ()
    deadline = None
    limited: list[tuple[Decimal, str, str]] = []
    if remedies is not None:
        for rule in remedies.penalties:
            owed.extend(penalties_of(judging, rule, known, start, end))
        if remedies.limits:
            limited = _limited(judging, chosen, known, start, end)
        if remedies.termination is not None:
            termination = termination_rights(judging, remedies.termination, known, start, end)
        if remedies.claim is not None:
            cycle = "month" if chosen is None else chosen.per
            deadline = claim_deadline(remedies.claim, end, cycle)
    pool = at_risk_pool(judging, chosen, known, start, end)
    bonus = bonuses(judging, chosen, known, start, end)
    if bonus is not None:  # netted against the credits in its currency, when it says so
        credits = Decimal(0)
        if settlement is not None and settlement.currency == bonus.currency:
            credits += settlement.amount
        if pool is not None:
            credits += pool.net
        # the credits after their own limits across remedies (of: credits); a limit of all
        # remedies covers the penalties too and is not the credits'
        credits += sum((change for change, _, of in limited if of == "credits"), Decimal(0))
        bonus = netted(bonus, credits)
    added = tuple(
        service_time(judging, rule, start, end)
        for rule in (remedies.service_time if remedies is not None else ())
    )
    return Report(
        agreement=agreement.id,
        version=agreement.version,
        title=agreement.overview.title,
        start=start,
        end=end,
        tier=chosen.id if chosen is not None else None,
        objectives=tuple(results),
        settlement=settlement,
        penalties=tuple(owed),
        limits=tuple((change, reason) for change, reason, _ in limited),
        claim_deadline=deadline,
        settlements=tuple(settlements),
        claim=remedies.claim if remedies is not None else None,
        termination=termination,
        as_of=as_of,
        tier_assumed=assumed,
        clocks=_clocks_used(judging),
        in_force_until=in_force_span(agreement, start, end)[1],
        observed_until=data.observed[1] if data.observed is not None else None,
        zone=home_zone(agreement),
        pool=pool,
        bonus=bonus,
        service_time=added,
        penalty_currency=next((p.amount.currency for p in remedies.penalties), None)
        if remedies is not None
        else None,
        caveats=holiday_caveats(
            agreement,
            [(r.objective, measured_in(agreement, r.objective)) for r in results],
            *_years(start, end, home_zone(agreement)),
        ),
    )


def _years(start: datetime, end: datetime, zone: str) -> tuple[int, int]:
    """The first and last years the period ``[start, end)`` holds a day of, in the
    agreement's home zone ``zone``: the service gives a period as UTC instants, and a
    December in New York ends at 05:00 UTC on 1 January without holding a day of that year."""
    tz = ZoneInfo(zone)
    return start.astimezone(tz).year, (end - timedelta(microseconds=1)).astimezone(tz).year


def measured_in(agreement: Agreement, objective: str) -> list[str]:
    """The calendars an objective (by id, or ``id@provider``) may be measured in: its own, and
    when a ticket field names the calendar (``clock.calendar_from``), every calendar of the
    agreement, as any may be named."""
    found = agreement.objective(objective.partition("@")[0])
    if found.clock is not None and found.clock.calendar_from is not None:
        return [found.calendar, *(name for name in agreement.calendars if name != found.calendar)]
    return [found.calendar]


def home_zone(agreement: Agreement) -> str:
    """The agreement's time zone: that of the calendar most of its objectives are measured in
    (the first such, on a tie), else of its first calendar naming one, else UTC."""
    zones = {
        name: spec["timezone"]
        for name, spec in agreement.calendars.items()
        if isinstance(spec, dict) and isinstance(spec.get("timezone"), str)
    }
    used: dict[str, int] = {}
    for objective in agreement.objectives:
        if objective.calendar in zones:
            used[zones[objective.calendar]] = used.get(zones[objective.calendar], 0) + 1
    if used:
        return max(used, key=lambda zone: used[zone])  # the first of the most used on a tie
    return next(iter(zones.values()), "UTC")


def limit_kinds(agreement: Agreement) -> list[str]:
    """The periods the pieces of a report with limits across remedies are cut at: the limits',
    each penalty's (its threshold's and its own limits') and the tiers' billing periods."""
    remedies = agreement.remedies
    if remedies is None or not remedies.limits:
        return []
    kinds: list[str] = [limit.per for limit in remedies.limits]
    for rule in remedies.penalties:
        kinds += [rule.period.kind, *(limit.per for limit in rule.limits)]
    return [*kinds, *(tier.per for tier in agreement.tiers), "month"]


def _limited(
    judging: Judging,
    chosen: Tier | None,
    known: Mapping[str, ObjectiveResult],
    start: datetime,
    end: datetime,
) -> list[tuple[Decimal, str, str]]:
    """The caps and floors across remedies over ``[start, end)`` (:mod:`accord.core.caps`):
    each remedy's amounts piece by piece (after its own limits; the at-risk pool's net, after
    its own cap and earn-back, counted with the service credits) from the start of the longest
    limit period holding ``start``, then the limits applied in order of time."""
    agreement = judging.agreement
    remedies = agreement.remedies
    assert remedies is not None
    spans = grid(start, end, limit_kinds(agreement))
    penalties, credits = [], []
    for first, after in spans:
        here: dict[str, Mapping[str, ObjectiveResult]] = {}
        charged = Decimal(0)
        for rule in remedies.penalties:
            if (first, after) == (start, end):
                found = known
            else:
                if rule.objective not in here:
                    objective = agreement.objective(rule.objective)
                    here[rule.objective] = judged_over(judging, objective, first, after)
                found = here[rule.objective]
            charged += sum(
                (a for a, _ in penalties_of(judging, rule, found, first, after)), Decimal(0)
            )
        penalties.append(charged)
        settled = credits_settled(
            judging, chosen, known if (first, after) == (start, end) else {}, first, after
        )[0]
        pool = at_risk_pool(
            judging, chosen, known if (first, after) == (start, end) else {}, first, after
        )
        credits.append(
            (Decimal(0) if settled is None else settled.amount)
            + (Decimal(0) if pool is None else pool.net)
        )
    return across_remedies(
        spans, {"penalties": penalties, "credits": credits}, remedies.limits, start
    )


def _clocks_used(judging: Judging) -> ClocksUsed | None:
    """The account of the clocks behind the verdicts: those judged at the latest instant."""
    if not judging.evaluations:
        return None
    found = judging.evaluations[max(judging.evaluations)]
    return ClocksUsed(found.engine, found.tickets, found.fell_back_tickets)


MEASURED_METRICS = ("count", "throughput", "deliverable", "first_contact_resolution")


def check_fields(agreement: Agreement, data: Data) -> None:
    """Refuse an objective whose ticket scope, measurement filter or measured field names a
    field no record of the evidence carries: a misspelt field would otherwise match nothing
    and read as a period without tickets or measurements (or as zero)."""
    columns = data.ticket_columns
    ticket_fields: AbstractSet[str] = (
        set(chain.from_iterable(map(attrgetter("fields"), data.tickets)))
        if columns is None
        else _LazyFields(columns)
    )
    by_source: dict[str, set[str]] = {}
    for measurement in data.measurements:
        by_source.setdefault(measurement.source, set()).update(measurement.fields)
    for objective in agreement.objectives:
        if objective.metric in TICKET_METRICS and data.has_tickets:
            keys = [("scope", n) for n in objective.scope] + [("where", n) for n in objective.where]
            for key, name in keys:
                if name not in ticket_fields:
                    raise ReportError(_no_field(objective, key, name, ticket_fields, "ticket"))
        source = objective.source or objective.id
        carried = by_source.get(source)
        if carried is None or objective.metric not in MEASURED_METRICS:
            continue
        wanted = [("where", name) for name in objective.where]
        wanted += [("scope", name) for name in objective.scope]
        if objective.metric in ("throughput", "first_contact_resolution"):
            default = "first_contact" if objective.metric != "throughput" else None
            field = objective.field or default
            if field is not None:
                wanted.append(("field", field))
        for key, name in wanted:
            if name not in carried:
                raise ReportError(
                    _no_field(objective, key, name, carried, f"measurement of {source}")
                )


class _LazyFields(AbstractSet[str]):
    """The fields some row of ticket columns sets, each name looked up when asked for (the
    whole set, decoding every field, only to name them in an error)."""

    def __init__(self, columns: EventColumns) -> None:
        self.columns = columns
        self.known: dict[str, bool] = {}
        self.every: set[str] | None = None

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if name not in self.known:
            self.known[name] = bool(carried_fields(self.columns, [name]))
        return self.known[name]

    def _all(self) -> set[str]:
        if self.every is None:
            self.every = carried_fields(self.columns)
        return self.every

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _no_field(objective: Objective, key: str, name: str, found: AbstractSet[str], what: str) -> str:
    known = ", ".join(sorted(found)) or "none"
    return (
        f"objective {objective.id}: {key}: field {name!r} is on no {what} in the evidence; "
        f"the fields there are: {known}"
    )


def judge(
    agreement: Agreement,
    objective: Objective,
    data: Data,
    start: datetime,
    end: datetime,
    tier: str | None = None,
    calendars: Mapping[str, BusinessCalendar] | None = None,
    as_of: datetime | None = None,
) -> ObjectiveResult:
    """One objective of a (resolved) agreement over ``[start, end)``, as ``evaluate`` judges it
    (``calendars``: the agreement's, when the caller has them built already; ``as_of``: the
    instant to judge at, with the evidence given)."""
    found = calendars if calendars is not None else calendars_of(agreement)
    judging = Judging(agreement, data, found, tier, as_of)
    return judge_objective(judging, objective, start, end)


def evidence_since(agreement: Agreement, start: datetime, end: datetime) -> datetime:
    """The earliest instant ``evaluate`` over ``[start, end)`` reads evidence from, ``end``
    being the instant judged until (the period's end, or the instant judged at if earlier;
    the evidence observed up to it). A store loads records of an instant from here, and the
    outages and maintenance that overlap ``[since, end)``: one that began earlier is clipped.

    What reaches back before ``start``: the burn-rate alerts (windows up to three days, ending
    where the objective is judged until, the agreement's end when that comes first); the
    billing periods holding ``start`` (a quarter's credits settled in its last month); fixed
    penalties (:func:`penalty_since`); the periods a termination clause counts misses over;
    and what judging an objective over any of those spans reads (:func:`reads_from`: a count's
    whole period, a deliverable's previous due day)."""
    kinds = limit_kinds(agreement)
    first = origin(start, kinds)
    if first < start:  # the limits across remedies add the pieces from their periods' start
        return min(first, evidence_since(agreement, first, end))
    until = min(end, in_force_span(agreement, start, end)[1])
    since = min(start, until - max(long for long, _, _ in WORKBOOK_ALERTS))
    for objective in agreement.objectives:
        since = min(since, reads_from(objective, start))
    remedies = agreement.remedies
    if remedies is None:
        return since
    credited = [agreement.objective(schedule.objective) for schedule in remedies.credits]
    for tier in agreement.tiers if credited else ():
        first = enclosing(start, tier.per)[0]
        since = min(since, *(reads_from(objective, first) for objective in credited))
    for rule in remedies.penalties:
        since = min(since, penalty_since(agreement.objective(rule.objective), rule, start))
    if remedies.at_risk is not None:  # its billing periods, and those earn-back follows
        for tier in agreement.tiers:
            first = pool_since(remedies.at_risk, tier.per, start)
            for allocation in remedies.at_risk.allocations:
                since = min(since, reads_from(agreement.objective(allocation.objective), first))
    bands = remedies.bonus.bands if remedies.bonus is not None else ()
    for tier in agreement.tiers if bands else ():
        first = enclosing(start, tier.per)[0]
        for band in bands:
            since = min(since, reads_from(agreement.objective(band.objective), first))
    for credit in remedies.service_time:  # downtime from the start of the year
        first = enclosing(start, "year")[0]
        since = min(since, reads_from(agreement.objective(credit.objective), first))
    if remedies.termination is not None:
        first = termination_since(remedies.termination, end)
        chosen = [agreement.objective(i) for i in remedies.termination.objectives]
        for objective in chosen or agreement.objectives:
            since = min(since, reads_from(objective, enclosing(first, judged_by(objective))[0]))
    return since
