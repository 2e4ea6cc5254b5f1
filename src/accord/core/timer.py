"""An open ticket clock judged at an instant: met, running, at risk or breached, how much time
is left (or over), and whether it is paused and why.

One rule for every page and figure that says so (the portal's Home and Tickets pages, the
provider's console, the reports' counts of open tickets at risk):

* **breached** when the business time used is over the target (``used > target``, the
  clock's own rule in :mod:`accord.core.clocks`), or when the clock was already found so;
* **at risk** when not breached, the target is positive and the time left is at most the
  agreement's warning threshold: ``used >= share * target``, ``share`` being the earliest
  warning the agreement's escalation names for the objective (75% when it names none, see
  :func:`accord.core.judging.warning_share`);
* a clock that was **running** when last computed keeps running: the business time of its
  calendar between then and ``now`` is counted as used (a paused clock's time stands still).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt

from accord.core.calendar import BusinessCalendar
from accord.core.clocks import Clock

Verdict = Literal["met", "cancelled", "running", "at risk", "breached"]

_ZERO = timedelta(0)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class Judgement:
    """A clock at an instant, as every page says it."""

    verdict: Verdict
    used: timedelta
    """Business time used by then (a running clock advanced to the instant)."""
    target: timedelta | None
    running: bool
    """Counting time at the instant (open and not paused)."""
    paused: bool
    """Open and not counting time."""
    reason: str | None
    """Why it is paused, when known."""

    @property
    def breached(self) -> bool:
        return self.verdict == "breached"

    @property
    def at_risk(self) -> bool:
        return self.verdict == "at risk"

    @property
    def open(self) -> bool:
        return self.running or self.paused

    @property
    def left(self) -> timedelta | None:
        """Business time left before the breach; negative: breached by that much."""
        return None if self.target is None else self.target - self.used

    @property
    def over(self) -> timedelta | None:
        """Business time past the target (None until breached)."""
        left = self.left
        return -left if left is not None and left < _ZERO else None


def warned(used: timedelta, target: timedelta | None, share: Decimal) -> bool:
    """Whether ``used`` of ``target`` has reached the warning ``share`` (compared to the
    microsecond, in exact decimals): the at-risk threshold, breach aside."""
    if target is None or target <= _ZERO:
        return False
    return Decimal(used // _MICRO) >= share * Decimal(target // _MICRO)


def at_risk_count(
    settled: npt.NDArray[np.bool_],
    used: npt.NDArray[np.int64],
    target: npt.NDArray[np.int64],
    share: Decimal,
) -> int:
    """How many open clocks :func:`judge` finds at risk at the instant their used time is
    as of (no running time added), from columns: ``settled``, whether each clock is met,
    cancelled or already found breached (never at risk); ``used`` and ``target`` in
    nanoseconds (compared to the microsecond, as :func:`judge` compares them). The same
    comparison as :func:`warned`, exact: ``share`` as a fraction of integers (in Python's
    integers when numpy's could overflow)."""
    used_us, target_us = used // 1000, target // 1000
    numerator, denominator = share.as_integer_ratio()
    if not len(used_us):
        return 0
    largest = max(int(np.abs(used_us).max()), int(np.abs(target_us).max()))
    if (largest + 1) * max(abs(numerator), denominator) >= 1 << 62:  # exact in Python's ints
        left = used_us.astype(object) * denominator
        right = target_us.astype(object) * numerator
    else:
        left, right = used_us * denominator, target_us * numerator
    warned = (~settled) & (used_us <= target_us) & (target_us > 0) & (left >= right)
    return int(np.count_nonzero(warned))


def judge(
    state: str,
    used: timedelta,
    target: timedelta | None,
    share: Decimal,
    now: datetime,
    *,
    running: bool | None = None,
    computed_at: datetime | None = None,
    calendar: BusinessCalendar | None = None,
    reason: str | None = None,
) -> Judgement:
    """The clock in ``state`` (running, paused, met, breached, cancelled) having used
    ``used`` of ``target`` when computed at ``computed_at`` (default ``now``), judged at
    ``now`` against the warning ``share`` of its target.

    ``running``: whether an open clock counts time (default: only in state ``running``; a
    clock found ``breached`` may be running on or paused, which its state alone does not
    say). A running clock's business time on ``calendar`` from ``computed_at`` to ``now`` is
    counted as used (none without a calendar). ``reason``: why a paused clock is paused."""
    counting = state == "running" if running is None else running
    since = now if computed_at is None else computed_at
    if counting and state not in ("met", "cancelled") and calendar is not None and now > since:
        used += calendar.elapsed(since, now)
    return _verdict(state, used, target, share, counting, reason)


def of_clock(clock: Clock, share: Decimal) -> Judgement:
    """:func:`judge` of a clock at the instant the clock engine computed it: an open clock
    runs when it has a deadline (the engine sets one only while a clock counts time); a
    paused one with the reason of its last interval."""
    if clock.stopped_at is not None:  # met, breached or cancelled: no longer open
        found = _verdict(clock.state, clock.used, clock.target, share, False, None)
        return replace(found, paused=False)
    running = clock.deadline is not None
    last = clock.intervals[-1] if clock.intervals else None
    reason = last.reason if last is not None and not last.running else None
    return _verdict(clock.state, clock.used, clock.target, share, running, reason)


def _verdict(
    state: str,
    used: timedelta,
    target: timedelta | None,
    share: Decimal,
    running: bool,
    reason: str | None,
) -> Judgement:
    if state in ("met", "cancelled"):
        done: Verdict = "met" if state == "met" else "cancelled"
        return Judgement(done, used, target, False, False, None)
    verdict: Verdict
    if state == "breached" or (target is not None and used > target):
        verdict = "breached"
    elif warned(used, target, share):
        verdict = "at risk"
    else:
        verdict = "running"
    return Judgement(verdict, used, target, running, not running, None if running else reason)
