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

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accord.core.agreement.model import TICKET_METRICS, Agreement, EscalationLevel, Objective
from accord.core.agreement.units import parse_duration
from accord.core.calendar import BusinessCalendar
from accord.core.clocks import calendars_of
from accord.core.escalation import burn_level, levels_for
from accord.core.periods import enclosing, in_force
from accord.core.report import Data, burn_alert, judge

_HUNDRED = Decimal(100)
_SHARE = re.compile(r"^(\d+(?:\.\d+)?)%$")
_BREACH = re.compile(r"^breach(?:\s*\+\s*(.+))?$")


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


def watch(
    agreement: Agreement, data: Data, moment: datetime, not_before: datetime | None = None
) -> list[Watched]:
    """Every escalation level of the agreement's objectives that have no ticket clock, judged
    at ``moment`` on ``data`` (which must reach back to ``watch_since``). Periods outside the
    agreement's effective dates, or over before ``not_before`` (when it was first in force
    where it is watched), are not judged."""
    calendars = calendars_of(agreement)
    effective = agreement.effective
    found = []
    for objective, number, level in watched_levels(agreement):
        burn = burn_level(level)
        if burn is not None:
            here = moment.astimezone(ZoneInfo(calendars[objective.calendar].spec.timezone))
            if not in_force(
                effective.start if effective else None,
                effective.end if effective else None,
                here,
                here + _TICK,
                not_before,
            ):
                continue  # the agreement is not in force now
            alert = burn_alert(
                agreement, objective.id, data, moment, burn.long, burn.short, burn.threshold
            )
            if alert is not None:
                found.append(Watched(objective.id, number, level, alert.firing, None, alert.text))
            continue
        share, delay = _share(level)
        if share is None:
            continue
        zone = calendars[objective.calendar].spec.timezone
        if _budgeted(objective):
            # ``breach + D``: the budget was gone D ago, in the period that held that instant
            then = moment - (delay or timedelta(0))
            periods = [_period(objective, zone, then)]
            # and the last period: a share reached in its last minutes, or told late
            periods.insert(0, _period(objective, zone, periods[0][0] - _TICK))
            judged = [
                _budget_level(
                    agreement, calendars, objective, data, start, end, then, number, level, share
                )
                for start, end in periods
                if in_force(
                    effective.start if effective else None,
                    effective.end if effective else None,
                    start,
                    end,
                    not_before,
                )
            ]
        else:
            if share >= 1 and delay is None:
                delay = timedelta(0)  # ``100%`` of the period: the period ended missed
            judged = [
                _period_level(
                    agreement, calendars, objective, data, moment, number, level, share, delay
                )
            ]
            period_end = _period(objective, zone, judged[0].period or moment)[1]
            if not in_force(
                effective.start if effective else None,
                effective.end if effective else None,
                judged[0].period or moment,
                period_end,
                not_before,
            ):
                judged = []
        found.extend(judged)
    return found


def watch_since(agreement: Agreement, moment: datetime) -> datetime:
    """The earliest instant ``watch`` reads evidence from at ``moment``."""
    since = moment
    calendars = calendars_of(agreement)
    for objective, _, level in watched_levels(agreement):
        burn = burn_level(level)
        if burn is not None:
            since = min(since, moment - burn.long)
            continue
        share, delay = _share(level)
        if share is None:
            continue
        zone = calendars[objective.calendar].spec.timezone
        start, _ = _period(objective, zone, moment - (delay or timedelta(0)))
        start = _period(objective, zone, start - _TICK)[0]  # both look back a period
        since = min(since, start)
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


def _budgeted(objective: Objective) -> bool:
    """Whether the objective has an error budget: availability with a percent target."""
    return objective.metric == "availability" and isinstance(objective.target, Decimal)


def _share(level: EscalationLevel) -> tuple[Decimal | None, timedelta | None]:
    """A level's share (1 for ``breach``) and, for ``breach``, its delay after the breach."""
    text = level.at.strip()
    share = _SHARE.match(text)
    if share is not None:
        return Decimal(share.group(1)) / _HUNDRED, None
    breach = _BREACH.match(text)
    if breach is None:
        return None, None
    if breach.group(1) is None:
        return Decimal(1), timedelta(0)
    return Decimal(1), parse_duration(breach.group(1).replace(" ", "")).time


def _period(objective: Objective, zone: str, moment: datetime) -> tuple[datetime, datetime]:
    """The objective's calendar period holding ``moment``, in its calendar's time zone."""
    return enclosing(moment.astimezone(ZoneInfo(zone)), objective.period.kind)


def _budget_level(
    agreement: Agreement,
    calendars: Mapping[str, BusinessCalendar],
    objective: Objective,
    data: Data,
    start: datetime,
    end: datetime,
    then: datetime,
    number: int,
    level: EscalationLevel,
    wanted: Decimal,
) -> Watched:
    """An availability level: the share of the error budget of the period ``[start, end)``
    used by ``then`` (or by its end, when it is over)."""
    calendar = calendars[objective.calendar]
    moment = min(then, end)
    whole = calendar.elapsed(start, end)
    so_far = judge(agreement, objective, data, start, moment, calendars=calendars)
    if so_far.actual is None or so_far.margin is None or whole <= timedelta(0):
        return Watched(objective.id, number, level, False, start, "nothing measured yet")
    allowed = _HUNDRED - (so_far.actual - so_far.margin)
    gone = Decimal(calendar.elapsed(start, moment) // _TICK) / Decimal(whole // _TICK)
    if allowed:
        used = (_HUNDRED - so_far.actual) / allowed * gone
    else:  # a 100% target: any downtime spends the whole (empty) budget
        used = Decimal("Infinity") if so_far.actual < _HUNDRED else Decimal(0)
    return Watched(
        objective.id,
        number,
        level,
        used >= wanted,
        start,
        f"{used * _HUNDRED:.1f}% of the error budget of the period from {start:%Y-%m-%d} used",
    )


def _period_level(
    agreement: Agreement,
    calendars: Mapping[str, BusinessCalendar],
    objective: Objective,
    data: Data,
    moment: datetime,
    number: int,
    level: EscalationLevel,
    wanted: Decimal,
    delay: timedelta | None,
) -> Watched:
    """Another objective's level: ``N%`` of the period gone by and not met so far; ``breach``
    (``+ D``): the last period ended missed (D ago)."""
    zone = calendars[objective.calendar].spec.timezone
    start, end = _period(objective, zone, moment)
    if delay is not None:
        last_start, last_end = _period(objective, zone, start - _TICK)
        ended = judge(agreement, objective, data, last_start, last_end, calendars=calendars)
        return Watched(
            objective.id,
            number,
            level,
            ended.met is False and moment >= last_end + delay,
            last_start,
            f"the period from {last_start:%Y-%m-%d} ended missed: {ended.detail}",
        )
    # in UTC: a period's wall-clock length is not its length across a change of clocks
    gone = Decimal((_utc(moment) - _utc(start)) // _TICK) / Decimal(
        (_utc(end) - _utc(start)) // _TICK
    )
    so_far = judge(agreement, objective, data, start, moment, calendars=calendars)
    return Watched(
        objective.id,
        number,
        level,
        gone >= wanted and so_far.met is False,
        start,
        f"{gone * _HUNDRED:.0f}% of the period from {start:%Y-%m-%d} gone, so far {so_far.detail}",
    )


_TICK = timedelta(microseconds=1)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
