"""Where a customer stands now: the figures of the portal's Home page and of the provider's
console overview, one use case for the API and the pages alike (a figure on a page is the
figure the API returns).

For each agreement in force: each objective's standing in the period so far (the report of
the open month, judged to date by :func:`accord.service.reports.report`), its error budget
and its forecast for the period's end (:mod:`accord.core.burn`): where it would end if the
rest of the month goes as so far, not a verdict; 90 days of uptime per
service (:func:`accord.core.series.daily_availability`), the open tickets at risk or
breached (the clocks the service keeps, :class:`accord.store.schema.ClockRow`), the credits
owed this period and in the earlier months (their reports, kept once closed:
docs/stored-reports.md) and the next review. See docs/standing.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.agreement import Agreement, Objective
from accord.core.burn import BurnAlert, projection, ticket_projection
from accord.core.calendar import BusinessCalendar
from accord.core.clocks import TICKET_METRICS
from accord.core.judging import ObjectiveResult, target_of
from accord.core.periods import in_force, months_before, period_holding
from accord.core.report import Report
from accord.core.series import Day, DayLevel, daily_availability, day_level
from accord.service import agreements as agreement_store
from accord.service import reports, tracking
from accord.service.errors import NotFoundError
from accord.service.tenants import Principal, now
from accord.store.schema import AgreementRow, AgreementVersion, ClockRow, TicketRow

UPTIME_DAYS = 90
"""Days of uptime bars per service, today included."""
EARLIER_MONTHS = 12
"""Months before the open one whose credits are listed (each a report kept once closed)."""
OPEN_TICKETS = 50
"""Open tickets at risk or breached listed per customer (the counts are of all of them)."""
_HUNDRED = Decimal(100)
_OPEN = ("running", "paused", "breached")


@dataclass(frozen=True)
class ObjectiveStanding:
    """One objective in the period so far, as the report judged to date has it."""

    objective: str
    name: str
    metric: str
    target: str
    status: str
    """The report's: final, to date, no data, not in force."""
    attained: Decimal | None
    """The figure so far (the report's ``actual``): for availability in time in the open
    period, the least the period ends at (its downtime so far over the whole period's window),
    the figure over the part elapsed being ``pace``."""
    met: bool | None
    """Whether ``attained`` meets the target: for availability in time in the open period, a
    miss is then certain (the downtime so far is over the whole period's budget)."""
    margin: Decimal | None
    budget: timedelta | None
    """Availability in time: the downtime the target allows over the whole period."""
    downtime: timedelta | None
    """Availability in time: the downtime counted so far."""
    budget_left: timedelta | None
    """``budget`` less ``downtime``: negative once spent."""
    burn_rate: Decimal | None
    projected: Decimal | None
    """The forecast for the period's end (see docs/standing.md): availability in time, the
    figure if the rest of the month goes as so far; a ticket objective, the best share the
    month can still end at; any other, the figure so far, were nothing to change."""
    projected_met: bool | None
    """Whether that forecast would meet the target (None: no verdict): a forecast, not a
    verdict."""
    projected_budget_left: timedelta | None
    exhausted_at: datetime | None
    """When the budget ran out, or runs out at the pace so far before the period ends."""
    open_tickets: int | None
    at_risk: int | None
    breached_open: int | None
    pace: Decimal | None = None
    """Availability in time in the open period: the figure over the part elapsed (the pace
    the burn rate and the projection go by); None elsewhere (``attained`` is then the
    figure)."""
    alerts: tuple[BurnAlert, ...] = ()
    """Availability: the SRE workbook's multi-window burn-rate alerts as of the instant
    judged (their long and short windows' burn rates)."""


@dataclass(frozen=True)
class UptimeDay:
    """One day of one service in the agreement's own zone (23 or 25 hours on the days its
    clocks change): the figures the report's uptime bars draw."""

    figures: Day
    level: DayLevel
    """up, minor (downtime within the day's share of the budget), major, unknown."""

    @property
    def day(self) -> date:
        return self.figures.start.date()

    @property
    def uptime(self) -> Decimal | None:
        return self.figures.uptime

    @property
    def downtime(self) -> timedelta:
        return self.figures.downtime

    @property
    def maintenance(self) -> timedelta:
        return self.figures.maintained

    @property
    def records(self) -> tuple[str, ...]:
        return self.figures.items


@dataclass(frozen=True)
class UptimeRow:
    """One service's days under one availability objective."""

    objective: str
    name: str
    service: str | None
    """None: the objective's whole scope."""
    uptime: Decimal | None
    """Over the days shown (None: nothing judged)."""
    days: tuple[UptimeDay, ...]


@dataclass(frozen=True)
class OpenTicket:
    """An open ticket's clock at risk (past the objective's warning share of its target) or
    breached, as of the instant asked."""

    ticket: str
    customer: str | None
    agreement: str
    objective: str
    state: str
    """running or paused (at risk), breached."""
    target: timedelta | None
    used: timedelta
    left: timedelta | None
    """Business time left (negative: breached by that much)."""
    deadline: datetime | None
    breached_at: datetime | None


@dataclass(frozen=True)
class Credit:
    """What one period owes the customer in all (:attr:`accord.core.report.Report.owed`):
    the service credits, the penalties, the at-risk pool's net, the limits across remedies,
    less a netted bonus (negative: owed to the provider)."""

    period: str
    amount: Decimal
    currency: str
    final: bool
    """False: the open period, to date (it may still grow)."""
    claim_deadline: datetime | None
    parts: tuple[tuple[str, Decimal], ...] = ()
    """What ``amount`` adds up, each part named (``service credits``, ``at-risk net``...)."""
    bonus_beside: Decimal | None = None
    """A bonus owed to the provider, shown beside and not netted (None: none)."""

    @property
    def itemised(self) -> bool:
        """Whether the amount is more than the service credits alone (its parts say what)."""
        return [name for name, _ in self.parts] != ["service credits"]


@dataclass(frozen=True)
class AgreementStanding:
    key: str
    title: str
    version: str
    customer: str | None
    zone: str
    """The zone its periods are reckoned in and its times told in: the agreement's own."""
    period: str
    start: datetime
    end: datetime
    as_of: datetime
    objectives: tuple[ObjectiveStanding, ...]
    uptime: tuple[UptimeRow, ...]
    credit_now: Credit | None
    """Owed for the open period so far (None: the agreement has no remedy in money)."""
    credits_before: tuple[Credit, ...]
    """Owed for earlier periods (the last :data:`EARLIER_MONTHS`), only those owing either
    side, or with a bonus beside."""
    next_review: date | None


@dataclass(frozen=True)
class Standing:
    """A customer's (or every customer's, for a provider key) standing at an instant."""

    as_of: datetime
    customer: str | None
    agreements: tuple[AgreementStanding, ...]
    tickets: tuple[OpenTicket, ...]
    """The open tickets at risk or breached, breached first, then by deadline."""
    at_risk: int
    """Open tickets with a clock at risk (the Tickets page's "at risk" filter counts them)."""
    breached: int
    """Open tickets with a clock breached and still running."""

    @property
    def zone(self) -> str:
        """The zone its times are told in: its agreements' own when they share one, else
        UTC."""
        return agreement_store.shared_zone(a.zone for a in self.agreements)

    @property
    def missed(self) -> int:
        """Objectives missing their target so far."""
        return sum(1 for a in self.agreements for o in a.objectives if o.met is False)

    @property
    def projected_misses(self) -> int:
        """Objectives whose forecast would be missed if the rest of the month goes as so far
        (a ticket objective: that cannot be met, whatever happens next)."""
        return sum(1 for a in self.agreements for o in a.objectives if o.projected_met is False)

    @property
    def worst_margin(self) -> Decimal | None:
        margins = [o.margin for a in self.agreements for o in a.objectives if o.margin is not None]
        return min(margins, default=None)

    def owed(self) -> dict[str, Decimal]:
        """Credits owed, this period and before, per currency."""
        total: dict[str, Decimal] = {}
        for found in self.agreements:
            for credit in (
                *((found.credit_now,) if found.credit_now else ()),
                *found.credits_before,
            ):
                total[credit.currency] = total.get(credit.currency, Decimal(0)) + credit.amount
        return total


@dataclass(frozen=True)
class Overview:
    """Every customer at a glance, worst first, and the tickets at risk across them."""

    as_of: datetime
    customers: tuple[Standing, ...]
    tickets: tuple[OpenTicket, ...]
    at_risk: int
    breached: int


def standing(
    session: Session,
    principal: Principal,
    moment: datetime | None = None,
    *,
    customer: str | None = None,
    uptime: bool = True,
    earlier: bool = True,
) -> Standing:
    """The standing of the principal's customer (a key scoped to one), or of ``customer``
    (NotFoundError when the key may not see it, or it has no agreement), or of every
    agreement the key sees. ``uptime``: with the 90 days of bars; ``earlier``: with the
    credits of the months before the open one (``/metrics`` needs neither)."""
    moment = now() if moment is None else moment
    scope = principal.customer if principal.customer is not None else customer
    if customer is not None and not principal.sees(customer):
        raise NotFoundError(f"no customer {customer!r}", "customer")
    rows = [
        row
        for row in agreement_store.visible(session, principal)
        if scope is None or row.customer == scope
    ]
    if customer is not None and not rows:
        raise NotFoundError(f"no customer {customer!r}", "customer")
    mark = reports.data_mark(session, principal.organisation_id)
    return _standing(session, principal, moment, scope, rows, uptime, mark, earlier)


def _standing(
    session: Session,
    principal: Principal,
    moment: datetime,
    scope: str | None,
    rows: list[AgreementRow],
    uptime: bool,
    mark: tuple[Any, ...],
    earlier: bool = True,
) -> Standing:
    """The standing of the agreements ``rows`` in force at ``moment``, their open tickets
    those of customer ``scope`` (None: of any customer). ``mark``: the organisation's
    :func:`reports.data_mark`, read once per page."""
    found = []
    calendars: dict[str, tuple[Agreement, dict[str, BusinessCalendar]]] = {}
    for row in rows:
        stored = agreement_store.versions(session, row)  # read once per agreement
        agreement = _in_force(session, principal, stored, moment)
        if agreement is None:
            continue
        calendars[row.key] = (agreement, tracking.calendars(agreement))
        found.append(
            _agreement(session, principal, row, stored, agreement, moment, uptime, mark, earlier)
        )
    tickets, at_risk, breached = _open_tickets(session, principal, scope, calendars, moment)
    return Standing(moment, scope, tuple(found), tickets, at_risk, breached)


def overview(session: Session, principal: Principal, moment: datetime | None = None) -> Overview:
    """Every customer the key sees (each with an agreement in force), worst first: most
    objectives missed so far, then most whose forecast would be missed if the rest of the
    month goes as so far, most tickets breached, most at risk, the lowest margin; and the open
    tickets at risk or breached across them."""
    moment = now() if moment is None else moment
    mark = reports.data_mark(session, principal.organisation_id)
    groups: dict[str | None, list[AgreementRow]] = {}
    for row in agreement_store.visible(session, principal):
        groups.setdefault(row.customer, []).append(row)
    customers = []
    for name, rows in sorted(groups.items(), key=lambda group: group[0] or ""):
        # agreements made for no one customer (None): the tickets of any customer they govern
        found = _standing(session, principal, moment, name, rows, False, mark)
        if found.agreements:
            customers.append(found)
    customers.sort(key=_worst_first)
    tickets = sorted((t for c in customers for t in c.tickets), key=_ticket_order)
    return Overview(
        moment,
        tuple(customers),
        tuple(tickets[:OPEN_TICKETS]),
        sum(c.at_risk for c in customers),
        sum(c.breached for c in customers),
    )


def _worst_first(found: Standing) -> tuple[int, int, int, int, Decimal, str]:
    margin = found.worst_margin
    return (
        -found.missed,
        -found.projected_misses,
        -found.breached,
        -found.at_risk,
        margin if margin is not None else Decimal("Infinity"),
        found.customer or "",
    )


def _in_force(
    session: Session,
    principal: Principal,
    stored: Sequence[AgreementVersion],
    moment: datetime,
) -> Agreement | None:
    """The agreement's version in force at ``moment`` (of its ``stored`` versions), None when
    the agreement is not in force then (not begun, ended, or terminated)."""
    chosen = agreement_store.chosen_version(stored, moment)
    agreement = agreement_store.resolved_version(session, principal.organisation_id, chosen)
    instant = moment.astimezone(UTC)
    after = instant + timedelta(microseconds=1)
    if not in_force(agreement.effective, instant, after, terminated=agreement.terminated):
        return None
    return agreement


def _agreement(
    session: Session,
    principal: Principal,
    row: AgreementRow,
    stored: Sequence[AgreementVersion],
    agreement: Agreement,
    moment: datetime,
    with_uptime: bool,
    mark: tuple[Any, ...],
    with_earlier: bool = True,
) -> AgreementStanding:
    """``mark``: what moves when anything is stored: the evidence read for the same span is
    reused while it has not moved (read once per page)."""
    # the month holding ``moment`` in the agreement's own zone, as its reports and claims
    # reckon it (docs/periods.md)
    zone = agreement_store.own_zone(session, principal.organisation_id, row, moment)
    period = period_holding(moment, "month", zone)
    found = reports.report(
        session, principal, row.key, period, timezone=zone, moment=moment, held=mark
    )
    # the report judges the month by the version in force at its start
    judged_by = agreement_store.resolved_version(
        session, principal.organisation_id, agreement_store.chosen_version(stored, found.start)
    )
    calendars = tracking.calendars(judged_by)
    objectives = tuple(_objective(judged_by, found, o, calendars) for o in found.objectives)
    bars = (
        _uptime(
            session, principal, row, agreement, tracking.calendars(agreement), moment, mark, zone
        )
        if with_uptime
        else ()
    )
    before = []
    first = agreement.effective.start if agreement.effective is not None else None
    labels = [
        label
        for label in (months_before(moment, EARLIER_MONTHS, zone) if with_earlier else ())
        if first is None or label >= f"{first:%Y-%m}"
    ]
    # their credits only: the kept results' other fields are not decoded
    earlier = (
        reports.closed_totals(
            session, principal, row.key, labels, timezone=zone, moment=moment, held=mark
        )
        if labels
        else []
    )
    for label, totals in zip(labels, earlier, strict=True):
        credit = _credit(label, totals)
        if credit is not None and (credit.amount != 0 or credit.bonus_beside):
            before.append(credit)
    review = agreement.effective.review.next if agreement.effective is not None else None
    return AgreementStanding(
        row.key,
        found.title,
        found.version,
        row.customer,
        zone,
        period,
        found.start,
        found.end,
        moment,
        objectives,
        bars,
        _credit(period, reports.Totals.of(found)),
        tuple(before),
        review,
    )


def _credit(period: str, found: reports.Totals) -> Credit | None:
    if found.owed is None:
        return None
    amount, currency = found.owed
    return Credit(
        period,
        amount,
        currency,
        found.final,
        found.claim_deadline,
        found.owing,
        found.bonus_beside,
    )


def _objective(
    agreement: Agreement,
    found: Report,
    result: ObjectiveResult,
    calendars: dict[str, BusinessCalendar],
) -> ObjectiveStanding:
    base = result.objective.partition("@")[0]
    objective = agreement.objective(base)
    target = target_of(objective, found.tier)
    percent = target if isinstance(target, Decimal) else None
    end = found.in_force_until or found.end
    projected: Decimal | None = None
    projected_met: bool | None = None
    budget = left = projected_left = None
    exhausted = None
    if result.judged and objective.metric == "availability":
        ahead = projection(result, calendars[objective.calendar], end)
        if ahead is not None:
            budget, projected_left, exhausted = ahead.budget, ahead.left, ahead.exhausted_at
            left = ahead.budget - (result.downtime or timedelta(0))
            projected, projected_met = result.elapsed_actual, ahead.met
        else:  # the same pace to the end: the same share
            projected, projected_met = result.elapsed_actual, result.met
    elif result.judged and objective.metric in TICKET_METRICS:
        best = ticket_projection(result, percent)
        if best is not None:
            projected, projected_met = best.actual, best.met
    elif result.judged:
        projected, projected_met = result.actual, result.met
    counts = result.tickets
    return ObjectiveStanding(
        result.objective,
        result.name,
        result.metric,
        result.target,
        result.status,
        result.actual,
        result.met,
        result.margin,
        budget,
        result.downtime,
        left,
        result.burn_rate,
        projected,
        projected_met,
        projected_left,
        exhausted,
        counts.open if counts else None,
        counts.open_at_risk if counts else None,
        counts.open_breached if counts else None,
        result.pace,
        result.burn_alerts,
    )


def _uptime(
    session: Session,
    principal: Principal,
    row: AgreementRow,
    agreement: Agreement,
    calendars: dict[str, BusinessCalendar],
    moment: datetime,
    mark: tuple[Any, ...],
    zone: str,
) -> tuple[UptimeRow, ...]:
    """The last :data:`UPTIME_DAYS` days (today included) of each time-based availability
    objective, per service in its scope, judged by the version in force now on the outages
    and maintenance stored (no ticket read). Days of ``zone`` (the agreement's own, in which
    its periods are reckoned and its times told): a day when its clocks change is 23 or 25
    hours."""
    measured = [
        o for o in agreement.objectives if o.metric == "availability" and o.method == "time"
    ]
    if not measured:
        return ()
    local = ZoneInfo(zone)
    today = moment.astimezone(local).date()
    start = datetime.combine(today - timedelta(days=UPTIME_DAYS - 1), time(), local)
    end = datetime.combine(today + timedelta(days=1), time(), local)
    # what stored_data(start, moment, moment, tickets=False) reads, held while nothing is
    # stored: read to the end of today, the records from ``moment`` on left out
    data = reports.held_data(
        session,
        principal.organisation_id,
        row.customer,
        start.astimezone(UTC),
        end.astimezone(UTC),
        moment,
        tickets=False,
        until=moment,
        mark=mark,
    )
    evidence = reports.watched(data, row, moment)
    since = evidence.observed[0] if evidence.observed is not None else moment
    if agreement.effective is not None:
        since = max(since, datetime.combine(agreement.effective.start, time(), local))
    judged = (since, moment)
    found = []
    for objective in measured:
        target = target_of(objective, None)
        percent = target if isinstance(target, Decimal) else None
        services: list[str | None] = list(objective.scope.get("service", ())) or [None]
        for service in services:
            figures, days = daily_availability(
                agreement, objective, evidence, calendars, service, start, end, judged
            )
            counted = any(d.known and d.counted > 0 for d in days)
            found.append(
                UptimeRow(
                    objective.id,
                    objective.name or objective.id,
                    service,
                    figures.percent if counted else None,
                    tuple(_day(d, percent) for d in days),
                )
            )
    return tuple(found)


def _day(found: Day, target: Decimal | None) -> UptimeDay:
    return UptimeDay(found, day_level(found, target))


def _open_tickets(
    session: Session,
    principal: Principal,
    customer: str | None,
    agreements: dict[str, tuple[Agreement, dict[str, BusinessCalendar]]],
    moment: datetime,
) -> tuple[tuple[OpenTicket, ...], int, int]:
    """The open clocks of the agreements at risk or breached at ``moment`` (the clocks as the
    service last computed them, running ones advanced to ``moment`` on their calendar), the
    first :data:`OPEN_TICKETS` of them, and how many tickets have one at risk and breached
    in all."""
    if not agreements:
        return (), 0, 0
    query = (
        select(ClockRow, TicketRow.refreshed_at, TicketRow.changed_at)
        .join(
            TicketRow,
            (TicketRow.organisation_id == ClockRow.organisation_id)
            & (TicketRow.ticket == ClockRow.ticket),
        )
        .where(
            ClockRow.organisation_id == principal.organisation_id,
            ClockRow.agreement.in_(sorted(agreements)),
            ClockRow.state.in_(_OPEN),
        )
    )
    if customer is not None:
        query = query.where(ClockRow.customer == customer)
    found = []
    for clock, computed_at, changed_at in session.execute(query):
        if not principal.sees(clock.customer):
            continue
        if clock.state == "breached" and clock.deadline is None:
            continue  # stopped (or paused) after its breach: not a running clock
        agreement = agreements[clock.agreement][0]
        objective = next((o for o in agreement.objectives if o.id == clock.objective), None)
        if objective is None:  # an objective the version in force no longer has
            continue
        as_of = tracking.as_of(clock, computed_at, changed_at)
        ticket = _judged_clock(clock, as_of, agreement, objective, moment)
        if ticket is not None:
            found.append(ticket)
    found.sort(key=_ticket_order)
    # tickets, not clocks (a ticket may have several): the Tickets page's filters count so
    at_risk = len({t.ticket for t in found if t.state != "breached"})
    breached = len({t.ticket for t in found if t.state == "breached"})
    return tuple(found[:OPEN_TICKETS]), at_risk, breached


def _judged_clock(
    clock: ClockRow,
    computed_at: datetime,
    agreement: Agreement,
    objective: Objective,
    moment: datetime,
) -> OpenTicket | None:
    """The clock at ``moment`` (as computed at its ticket's last recomputation,
    ``computed_at``), if at risk or breached then (:func:`tracking.judged_row`); None
    otherwise."""
    judged = tracking.judged_row(clock, computed_at, agreement, objective, moment)
    if not (judged.at_risk or judged.breached) or judged.left is None:
        return None
    deadline = _aware(clock.deadline) if clock.deadline is not None else None
    return OpenTicket(
        clock.ticket,
        clock.customer,
        clock.agreement,
        clock.objective,
        "breached" if judged.breached else clock.state,
        judged.target,
        judged.used,
        judged.left,
        deadline,
        _aware(clock.breached_at)
        if clock.breached_at is not None
        else deadline
        if judged.breached
        else None,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _ticket_order(ticket: OpenTicket) -> tuple[bool, datetime, str, str]:
    far = datetime.max.replace(tzinfo=UTC)
    return (ticket.state != "breached", ticket.deadline or far, ticket.ticket, ticket.objective)
