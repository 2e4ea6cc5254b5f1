"""Escalation levels of objectives without a ticket clock, judged as time goes.

A ticket clock's levels fall due at moments known ahead (``accord.core.escalation``). The
levels of the other objectives depend on what has happened so far in the period, so they are
judged at a moment, by whoever checks (the service's workers, every minute or so):

- ``burn 14.4x over 1h/5m`` (availability with a percent target): the error budget's burn rate
  reaches 14.4 over both the last hour and the last five minutes. It fires while that holds.
- ``75%`` of an availability objective: three quarters of the period's error budget are used:
  the burn rate so far times the share of the window gone by (time-based, the downtime so far
  over the downtime the whole period allows). ``breach`` (the same as ``100%``): the whole
  budget is used, so the period is lost; ``breach + 2h``: it already was two hours ago.
- ``75%`` of any other objective (a count of qualified leads, a percentile, a ratio): three
  quarters of the period have gone by and the objective is not met so far. ``breach``: the last
  period ended missed; ``breach + 2h``: two hours after that end.

Each level fires at most once a period (``period``, its start); a burn-rate level fires once an
episode (``period`` None): the checker decides when an episode ends. Objectives judged over a
rolling period escalate by burn rate only: their period never ends, so shares of it do not
apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accord.core.agreement.model import TICKET_METRICS, Agreement, EscalationLevel, Objective
from accord.core.calendar import BusinessCalendar
from accord.core.clocks import calendars_of
from accord.core.escalation import burn_level, hold, levels_for, share_of
from accord.core.judging import reads_from
from accord.core.periods import enclosing, in_force
from accord.core.report import Data, burn_alert, judge

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Watched:
    """One level of one objective as of a moment."""

    objective: str
    level: int
    """The level's number (as ``levels_for`` numbers them)."""
    escalation: EscalationLevel
    firing: bool
    period: datetime | None
    """The start of the period the level belongs to (it fires once a period); None for a
    burn-rate level, which fires once an episode."""
    why: str
    due: datetime
    """When its notification may go: the moment judged, held to the level's
    ``respect_calendar``."""


def watch(
    agreement: Agreement, data: Data, moment: datetime, not_before: datetime | None = None
) -> list[Watched]:
    """Every escalation level of the agreement's objectives that have no ticket clock, judged
    at ``moment`` on ``data`` (which must reach back to ``watch_since``). Periods outside the
    agreement's effective dates, or over before ``not_before`` (when it was first in force
    where it is watched), are not judged. Watching is live: unless ``data`` says what span it
    observed, it is taken as all that happened up to ``moment`` (no lead recorded is no lead);
    the levels of objectives without an error budget judge only periods wholly watched."""
    observed = data.observed or (datetime.min.replace(tzinfo=UTC), moment)
    data = replace(data, observed=observed)
    # a count's share of a period means nothing for a period watched only in part
    watched_from = observed[0]
    calendars = calendars_of(agreement)
    effective = agreement.effective
    terminated = agreement.terminated
    found = []
    for objective, number, level in watched_levels(agreement):
        zone = calendars[objective.calendar].spec.timezone
        due = hold(level, calendars, moment)
        burn = burn_level(level)
        if burn is not None:
            here = moment.astimezone(ZoneInfo(zone))
            if not in_force(effective, here, here + _TICK, not_before, terminated):
                continue  # the agreement is not in force now
            alert = burn_alert(
                agreement,
                objective.id,
                data,
                moment,
                burn.long,
                burn.short,
                burn.threshold,
                calendars=calendars,
            )
            if alert is not None:
                found.append(
                    Watched(objective.id, number, level, alert.firing, None, alert.text, due)
                )
            continue
        parsed = share_of(level)
        if parsed is None:
            continue
        share, delay = parsed
        current = _period(objective, zone, moment - delay)
        # the last period too: a share reached in its last minutes, or told late
        last = _period(objective, zone, current[0] - _TICK)
        if _budgeted(objective):
            # ``breach + D``: the budget was gone D ago, in the period that held that instant
            judged = [
                _budget_level(agreement, calendars, objective, data, period, moment - delay, share)
                for period in (last, current)
                if in_force(effective, *period, not_before, terminated)
            ]
        elif share >= 1:  # ``breach`` or ``100%`` (``+ D``): the last period ended missed
            if last[0] < watched_from:  # a period not wholly watched: nothing to say of it
                continue
            ended = judge(agreement, objective, data, *last, calendars=calendars)
            judged = (
                [
                    (
                        ended.met is False,
                        last[0],
                        f"the period from {last[0]:%Y-%m-%d} ended missed: {ended.detail}",
                    )
                ]
                if in_force(effective, *last, not_before, terminated)
                else []
            )
        else:
            judged = (
                [_period_share(agreement, calendars, objective, data, current, moment, share)]
                if in_force(effective, *current, not_before, terminated)
                and current[0] >= watched_from
                else []
            )
        found.extend(
            Watched(objective.id, number, level, firing, start, why, due)
            for firing, start, why in judged
        )
    return found


def watch_since(agreement: Agreement, moment: datetime) -> datetime:
    """The earliest instant ``watch`` reads evidence from at ``moment`` (a store loads records
    of an instant from here, and the outages and maintenance overlapping ``[since, moment)``):
    the burn-rate levels' long windows; for shares of a period, the current period and the
    last, and what judging the objective over them reads (``reads_from``: a count's whole
    period, a deliverable's previous due day)."""
    since = moment
    calendars = calendars_of(agreement)
    for objective, _, level in watched_levels(agreement):
        burn = burn_level(level)
        if burn is not None:
            since = min(since, moment - burn.long)
            continue
        parsed = share_of(level)
        if parsed is None:
            continue
        zone = calendars[objective.calendar].spec.timezone
        start, _ = _period(objective, zone, moment - parsed[1])
        last = _period(objective, zone, start - _TICK)[0]  # and the last period
        since = min(since, reads_from(objective, last))
    return since


def watched_levels(agreement: Agreement) -> list[tuple[Objective, int, EscalationLevel]]:
    """The levels ``watch`` judges: burn-rate levels of availability objectives, and shares of
    the period of objectives without a ticket clock judged over calendar periods."""
    found = []
    for objective in agreement.objectives:
        if objective.metric in TICKET_METRICS:
            continue
        for number, level in levels_for(agreement, objective.id):
            if burn_level(level) is None and objective.period.kind == "rolling":
                continue
            found.append((objective, number, level))
    return found


_Judged = tuple[bool, datetime, str]  # firing, the period's start, why


def _budgeted(objective: Objective) -> bool:
    """Whether the objective has an error budget: availability with a percent target."""
    return objective.metric == "availability" and isinstance(objective.target, Decimal)


def _period(objective: Objective, zone: str, moment: datetime) -> tuple[datetime, datetime]:
    """The objective's calendar period holding ``moment``, in its calendar's time zone."""
    return enclosing(moment.astimezone(ZoneInfo(zone)), objective.period.kind)


def _budget_level(
    agreement: Agreement,
    calendars: Mapping[str, BusinessCalendar],
    objective: Objective,
    data: Data,
    period: tuple[datetime, datetime],
    then: datetime,
    wanted: Decimal,
) -> _Judged:
    """An availability level: the share of the error budget of ``period`` used by ``then``
    (or by its end, when it is over)."""
    start, end = period
    calendar = calendars[objective.calendar]
    moment = min(then, end)
    whole = calendar.elapsed(start, end)
    so_far = judge(agreement, objective, data, start, end, calendars=calendars, as_of=moment)
    if so_far.actual is None or so_far.margin is None or whole <= timedelta(0):
        return False, start, "nothing measured yet"
    allowed = _HUNDRED - (so_far.actual - so_far.margin)
    gone = Decimal(calendar.elapsed(start, moment) // _TICK) / Decimal(whole // _TICK)
    # the figure over the part elapsed (to date, ``actual`` is the least the period ends at)
    pace = so_far.elapsed_actual
    assert pace is not None  # ``actual`` is
    if allowed:
        used = (_HUNDRED - pace) / allowed * gone
    else:  # a 100% target: any downtime spends the whole (empty) budget
        used = Decimal("Infinity") if pace < _HUNDRED else Decimal(0)
    why = f"{used * _HUNDRED:.1f}% of the error budget of the period from {start:%Y-%m-%d} used"
    return used >= wanted, start, why


def _period_share(
    agreement: Agreement,
    calendars: Mapping[str, BusinessCalendar],
    objective: Objective,
    data: Data,
    period: tuple[datetime, datetime],
    moment: datetime,
    wanted: Decimal,
) -> _Judged:
    """Another objective's ``N%``: that share of ``period`` gone by and not met so far."""
    start, end = period
    # in UTC: a period's wall-clock length is not its length across a change of clocks
    gone = Decimal((_utc(moment) - _utc(start)) // _TICK) / Decimal(
        (_utc(end) - _utc(start)) // _TICK
    )
    so_far = judge(agreement, objective, data, start, end, calendars=calendars, as_of=moment)
    why = f"{gone * _HUNDRED:.0f}% of the period from {start:%Y-%m-%d} gone, so far {so_far.detail}"
    return gone >= wanted and so_far.met is False, start, why


_TICK = timedelta(microseconds=1)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
