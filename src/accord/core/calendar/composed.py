"""Calendars made of others: "every minute prime time is closed", "support or weekend cover".

A composed calendar's open time is interval algebra over the open time its calendars have laid
out (a union merges them, ``except`` takes them away), so it is laid out as the same sorted UTC
intervals with running totals, year by year when asked for, and every question a calendar answers
(elapsed, deadlines, opening and closing, the batch forms) is answered the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

from accord.core.calendar.timeline import Spans, difference, union_of

if TYPE_CHECKING:
    from accord.core.calendar.business import BusinessCalendar


@dataclass(frozen=True)
class Composition:
    """A calendar made of others: open while any of ``union`` is open (every instant when there is
    no union) and none of ``excluded`` is. ``timezone`` is the zone of its days and results."""

    timezone: str
    union: tuple[BusinessCalendar, ...]
    excluded: tuple[BusinessCalendar, ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def always_open(self) -> bool:
        """True when its calendars show it open at every instant: a union with a calendar that
        never closes, or with a calendar and the rest of it (``union: [prime, off-hours]`` where
        off-hours are ``except: prime``), and nothing taken away that ever opens."""
        if not all(c.spec.never_open for c in self.excluded):
            return False
        return (
            not self.union
            or any(c.spec.always_open for c in self.union)
            or any(
                isinstance(c.spec, Composition)
                and not c.spec.union
                and all(other in self.union for other in c.spec.excluded)
                for c in self.union
            )
        )

    @cached_property
    def never_open(self) -> bool:
        """True when its calendars show it can never open (taking away one that never closes)."""
        return bool(self.union and all(c.spec.never_open for c in self.union)) or any(
            c.spec.always_open for c in self.excluded
        )

    def spans(self, low: int, high: int) -> Spans:
        """The open intervals inside ``[low, high]`` (microseconds), from its calendars' own."""
        if self.union:
            kept = union_of([c.open_spans(low, high) for c in self.union])
        else:
            kept = (np.array([low], dtype=np.int64), np.array([high], dtype=np.int64))
        if not self.excluded:
            return kept
        return difference(kept, union_of([c.open_spans(low, high) for c in self.excluded]))

    def holidays_between(self, first: date, last: date) -> list[tuple[date, str]]:
        """Its calendars' holidays on dates ``first..last``, the first name given for each date.

        A holiday is a day off: the calendar shows only those on which it is itself closed all day
        (a holiday closing prime time opens every minute of ``except: prime``).
        """
        found: dict[date, str] = {}
        for calendar in (*self.union, *self.excluded):
            for day, name in calendar.holidays_between(first, last):
                found.setdefault(day, name)
        return sorted(found.items())

    @property
    def public_holiday_years(self) -> tuple[int, int] | None:
        """The years in which every calendar that has public holidays knows them."""
        known = [
            years
            for calendar in (*self.union, *self.excluded)
            if (years := calendar.public_holiday_years) is not None
        ]
        if not known:
            return None
        return max(first for first, _ in known), min(last for _, last in known)

    def __str__(self) -> str:
        parts = [f"timezone={self.timezone!r}"]
        if self.union:
            parts.append(f"union={list(self.union)!r}")
        if self.excluded:
            parts.append(f"except={list(self.excluded)!r}")
        return ", ".join(parts)
