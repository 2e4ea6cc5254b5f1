"""A ticket's clocks for people: each timer in words (time left, paused and why, breached and
by how much) and where a clock's business time went (by status, team and pause reason)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, tzinfo
from zoneinfo import ZoneInfo

from accord.core.clocks import Clock
from accord.core.series import clock_timeline
from accord.render import words
from accord.render.pictures import Picture
from accord.render.report_pictures import clock_picture

_ZERO = timedelta(0)


@dataclass(frozen=True)
class Timer:
    """A clock as a person reads it: a state (``running``, ``paused``, ``at risk``,
    ``breached``, ``met``...), a sentence and the instant that matters."""

    state: str
    words: str
    when: str


def pause_reason(clock: Clock) -> str:
    """Why a paused clock is paused now (the reason of its last stretch)."""
    last = clock.intervals[-1] if clock.intervals else None
    if last is None or last.running:
        return "paused"
    return last.reason or "other"


def timer(clock: Clock, at_risk: bool, zone: tzinfo, n: words.Numbers = words.ENGLISH) -> Timer:
    """The clock in words, at the instant it was computed for."""
    left = clock.left
    if clock.state == "not_started":
        return Timer("not started", "not started yet", "")
    if clock.state == "cancelled":
        return Timer("cancelled", "no longer applies", "")
    if clock.target is None or left is None:
        return Timer(clock.state, f"{words.business(clock.used)} used, no time target", "")
    if clock.breached_at is not None or left < _ZERO:
        by = words.business(-left) if left < _ZERO else "0 s"
        sentence = f"breached by {by}"
        if clock.state == "paused":
            sentence += f", paused: {pause_reason(clock)}"
        elif clock.stopped_at is None:
            sentence += ", still running"
        else:
            sentence += f", stopped {n.when(clock.stopped_at, zone)}"
        passed = clock.breached_at or clock.deadline
        return Timer(
            "breached", sentence, f"deadline passed {n.when(passed, zone)}" if passed else ""
        )
    if clock.state == "met":
        return Timer(
            "met",
            "met: {} of {} used".format(*words.business_against(clock.used, clock.target)),
            f"stopped {n.when(clock.stopped_at, zone)}" if clock.stopped_at else "",
        )
    if clock.state == "paused":
        return Timer(
            "at risk" if at_risk else "paused",
            f"paused ({pause_reason(clock)}): {words.business(left)} left",
            "no deadline while paused",
        )
    return Timer(
        "at risk" if at_risk else "running",
        "{} left of {}".format(*words.business_against(left, clock.target)),
        f"due {n.when(clock.deadline, zone)}" if clock.deadline else "",
    )


@dataclass(frozen=True)
class TimeWent:
    """Where a clock's business time went, each list largest first."""

    by_status: tuple[tuple[str, str], ...]
    by_team: tuple[tuple[str, str], ...]
    paused: tuple[tuple[str, str], ...]
    costliest: tuple[str, ...]
    """The running stretches that used most (``Clock.why``), in words, at most three."""


def _largest(totals: dict[str, timedelta]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, words.business(span))
        for name, span in sorted(totals.items(), key=lambda item: -item[1])
        if span > _ZERO
    )


def time_went(clock: Clock, zone: ZoneInfo, n: words.Numbers = words.ENGLISH) -> TimeWent:
    by_status: dict[str, timedelta] = {}
    by_team: dict[str, timedelta] = {}
    for segment in clock_timeline(clock):
        if not segment.running:
            continue
        status = segment.status or "(no status)"
        by_status[status] = by_status.get(status, _ZERO) + segment.business
        if segment.team:
            by_team[segment.team] = by_team.get(segment.team, _ZERO) + segment.business
    costliest = tuple(
        f"{words.business(i.business)} {n.between(i.start, i.end, zone)}"
        + (f" in status {i.fields['status']}" if i.fields.get("status") else "")
        for i in clock.why()[:3]
        if i.business > _ZERO
    )
    return TimeWent(
        _largest(by_status), _largest(by_team), _largest(dict(clock.paused_by)), costliest
    )


def picture(
    number: int, title: str, clock: Clock, zone: tzinfo, n: words.Numbers = words.ENGLISH
) -> Picture | None:
    """The clock's timeline (None: no business time has passed on it yet)."""
    if not clock_timeline(clock):
        return None
    return clock_picture(f"clock-{number}", title, clock, zone, n)
