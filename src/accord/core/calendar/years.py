"""Years in which a calendar's public holidays are not known.

The ``holidays`` library knows each country only for some years (Sri Lanka 2003-2026 in holidays
0.109); outside them a calendar silently has no public holidays. :func:`unknown_holiday_years`
tells which years of a term fall outside, so ``accord validate`` can warn before reports and
clocks count a holiday as working time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from accord.core.agreement.model import Agreement
from accord.core.calendar.business import BusinessCalendar
from accord.core.calendar.composed import Composition


@dataclass(frozen=True)
class HolidayGap:
    """Years of a term in which a calendar's country has no known public holidays and the
    calendar lists none of its own (``dates``)."""

    country: str
    subdivision: str | None
    known: tuple[int, int]
    missing: tuple[int, ...]

    @property
    def where(self) -> str:
        """``LK``, or ``US-CA`` with a subdivision."""
        return self.country + (f"-{self.subdivision}" if self.subdivision else "")

    def missing_text(self) -> str:
        """``2027``, ``2027-2029`` or ``1999, 2027``: runs of years."""
        runs: list[tuple[int, int]] = []
        for year in self.missing:
            if runs and runs[-1][1] == year - 1:
                runs[-1] = (runs[-1][0], year)
            else:
                runs.append((year, year))
        return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def unknown_holiday_years(
    calendar: BusinessCalendar, first_year: int, last_year: int
) -> HolidayGap | None:
    """The years from ``first_year`` through ``last_year`` in which the calendar's country has
    no public holidays known to the ``holidays`` library, leaving out the years in which the
    calendar lists company dates of its own (whoever lists them is taken to have listed that
    year's holidays). None when every year is known, or the calendar has no country.

    A calendar made of others has no country of its own: its parts are checked by name.
    """
    if isinstance(calendar.spec, Composition):
        return None
    rule = calendar.spec.holidays
    known = calendar.public_holiday_years
    if rule.country is None or known is None:
        return None
    listed = {day.year for day in rule.dates}
    missing = tuple(
        year
        for year in range(first_year, last_year + 1)
        if not known[0] <= year <= known[1] and year not in listed
    )
    if not missing:
        return None
    return HolidayGap(rule.country, rule.subdivision, known, missing)


@dataclass(frozen=True)
class Term:
    """The years an agreement is in force, for checking what its calendars know of them."""

    first: int
    last: int
    ends: date | None
    """The day it ends (None: in force until ended; ``last`` is how far ahead it is
    checked)."""


def term_years(agreement: Agreement, today: date) -> Term:
    """The years of the agreement's term, by the rules that put it in force
    (:func:`accord.core.judging.in_force_span`): from its start through its end, unless that
    end renews by itself (``renewal: automatic``) or a termination comes first; in force until
    ended, through next year or its next review, whichever is later (a review date gone by
    does not end it)."""
    effective = agreement.effective
    first = effective.start.year if effective is not None else today.year
    end = effective.end if effective is not None and effective.renewal != "automatic" else None
    if agreement.terminated is not None:
        ended = agreement.terminated.date()
        end = ended if end is None else min(end, ended)
    if end is not None:
        return Term(first, max(first, end.year), ends=end)
    review = effective.review.next if effective is not None else None
    ahead = max(first, today.year + 1, review.year if review is not None else first)
    return Term(first, ahead, ends=None)


def _parts(calendar: BusinessCalendar) -> Iterator[BusinessCalendar]:
    """The calendar, or the calendars it is made of, down to those with hours of their own."""
    if isinstance(calendar.spec, Composition):
        for part in (*calendar.spec.union, *calendar.spec.excluded):
            yield from _parts(part)
    else:
        yield calendar


def holiday_caveats(
    calendars: Mapping[str, BusinessCalendar], used: list[str], first_year: int, last_year: int
) -> tuple[str, ...]:
    """What a report of these years must say of the calendars its objectives use (``used``,
    by name; a calendar made of others through its parts) whose public holidays are unknown
    for some of them: one sentence per country, in the order first used."""
    said: dict[str, str] = {}
    for name in used:
        for part in _parts(calendars[name]):
            gap = unknown_holiday_years(part, first_year, last_year)
            if gap is not None and gap.where not in said:
                said[gap.where] = (
                    f"The public holidays of {gap.where} (calendar {name!r}) are known only "
                    f"from {gap.known[0]} through {gap.known[1]}: in {gap.missing_text()} "
                    "this report counts them as working time, as the calendar lists no "
                    "holidays of its own then."
                )
    return tuple(said.values())
