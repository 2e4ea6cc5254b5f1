"""Years in which a calendar's public holidays are not known.

The ``holidays`` library knows each country only for some years (Sri Lanka 2003-2026 in holidays
0.109); outside them a calendar silently has no public holidays. :func:`holiday_gap` tells
which years of a term fall outside and are not listed by the calendar itself (a year is listed
only when named under ``holidays.listed_years``), so ``accord validate`` can warn before reports
and clocks count a holiday as working time; :func:`own_gaps` finds them in a calendar and in the
calendars written in place in one made of others; :func:`holiday_caveats` says which
objectives of a report they concern (:class:`Caveat`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from accord.core.agreement.model import Agreement
from accord.core.calendar.business import BusinessCalendar, known_years
from accord.core.calendar.composed import Composition
from accord.core.calendar.spec import CalendarSpec, ComposedSpec, HolidayRule, parse_calendar
from accord.core.errors import format_path
from accord.core.periods import in_force_span


@dataclass(frozen=True)
class HolidayGap:
    """Years of a term in which a calendar's country has no known public holidays and the
    calendar does not list them itself (``holidays.listed_years``)."""

    country: str
    subdivision: str | None
    known: tuple[int, int]
    missing: tuple[int, ...]
    dated: tuple[int, ...] = ()
    """Of the missing years, those in which the calendar lists some dates (company closures,
    or holidays not yet said to be all of that year's: not named under ``listed_years``)."""

    @property
    def where(self) -> str:
        """``LK``, or ``US-CA`` with a subdivision."""
        return self.country + (f"-{self.subdivision}" if self.subdivision else "")

    def missing_text(self) -> str:
        """``2027``, ``2027-2029`` or ``1999, 2027``: runs of years."""
        return years_text(self.missing)

    def fix(self, place: str) -> str:
        """What to do, in a sentence: list the missing years' holidays at ``place`` (``the
        calendar's``) and name those years as listed."""
        years = self.missing_text()
        text = (
            f"list the public holidays of {years} under {place} holidays.dates and name "
            f"{'those years' if len(self.missing) > 1 else years} under holidays.listed_years"
        )
        if self.dated:
            text += (
                f" (the dates already listed in {years_text(self.dated)} do not say that "
                "year's public holidays are all there)"
            )
        return text


def years_text(years: tuple[int, ...]) -> str:
    """``2027``, ``2027-2029`` or ``1999, 2027``: runs of years."""
    runs: list[tuple[int, int]] = []
    for year in years:
        if runs and runs[-1][1] == year - 1:
            runs[-1] = (runs[-1][0], year)
        else:
            runs.append((year, year))
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def holiday_gap(rule: HolidayRule, first_year: int, last_year: int) -> HolidayGap | None:
    """The years from ``first_year`` through ``last_year`` in which the ``holidays`` library
    does not know the public holidays of the rule's country and the rule does not list them:
    a year is covered by the calendar itself only when it names the year under
    ``holidays.listed_years`` (which needs dates of that year under ``holidays.dates``). A
    company date in a year does not cover it: one closure is not a country's holidays. None
    when every year is covered, or the rule has no country."""
    if rule.country is None:
        return None
    known = known_years(rule.country, rule.subdivision)
    missing = tuple(
        year
        for year in range(first_year, last_year + 1)
        if not known[0] <= year <= known[1] and year not in rule.listed_years
    )
    if not missing:
        return None
    listed = {day.year for day in rule.dates}
    dated = tuple(year for year in missing if year in listed)
    return HolidayGap(rule.country, rule.subdivision, known, missing, dated)


def unknown_holiday_years(
    calendar: BusinessCalendar, first_year: int, last_year: int
) -> HolidayGap | None:
    """:func:`holiday_gap` of a calendar with hours of its own. A calendar made of others has
    no country of its own: :func:`own_gaps` checks its parts."""
    if isinstance(calendar.spec, Composition):
        return None
    return holiday_gap(calendar.spec.holidays, first_year, last_year)


@dataclass(frozen=True)
class PartGap:
    """A calendar, or a part of one written in place, whose public holidays are unknown for
    some years: ``path`` is where in the calendar (``()``: its own ``holidays``;
    ``("union", 1)``: the second calendar of its union, written in place)."""

    calendar: str
    path: tuple[str | int, ...]
    gap: HolidayGap

    @property
    def at(self) -> str:
        """The path as people write it ('' for the calendar's own holidays)."""
        return format_path(self.path)

    def place(self, users: Sequence[str] = ()) -> str:
        """``calendar 'colombo' (part of 'support')``, or ``calendar 'off-hours' at except[0]
        (written in place)``: which calendar, and where in it; ``users``: calendars made of it."""
        return place_of(self.calendar, self.at, users)

    def fix(self) -> str:
        """What to do, in a sentence, at this place."""
        return self.gap.fix("the calendar's" if not self.path else f"{self.calendar}.{self.at}'s")


def place_of(calendar: str, at: str, users: Sequence[str] = ()) -> str:
    """:meth:`PartGap.place` of a calendar and where in it (``at``)."""
    text = f"calendar {calendar!r}" + (f" at {at} (written in place)" if at else "")
    through = [u for u in users if u != calendar]
    if through:
        text += " (part of " + ", ".join(repr(u) for u in through) + ")"
    return text


def own_gaps(
    name: str, spec: CalendarSpec | ComposedSpec, first_year: int, last_year: int
) -> list[PartGap]:
    """The gaps of a calendar's own holidays, or of the calendars written in place in it; the
    calendars it names are checked as calendars of their own."""
    found: list[PartGap] = []

    def walk(spec: CalendarSpec | ComposedSpec, path: tuple[str | int, ...]) -> None:
        if isinstance(spec, CalendarSpec):
            gap = holiday_gap(spec.holidays, first_year, last_year)
            if gap is not None:
                found.append(PartGap(name, path, gap))
            return
        for ref in (*spec.union, *spec.excluded):
            if not isinstance(ref.calendar, str):
                walk(ref.calendar, (*path, *ref.path))

    walk(spec, ())
    return found


def reached(parsed: Mapping[str, CalendarSpec | ComposedSpec], name: str) -> list[str]:
    """The named calendars a calendar is made of, through the calendars it names, itself
    first (a built-in such as 24x7, having no holidays, is left out); each visited once."""
    order: list[str] = []
    seen: set[str] = set()

    def walk(current: str) -> None:
        if current in seen or current not in parsed:
            return
        seen.add(current)
        order.append(current)
        spec = parsed[current]
        if isinstance(spec, ComposedSpec):
            for _, other in spec.names():
                walk(other)

    walk(name)
    return order


class AgreementCalendars:
    """An agreement version's calendars as the holiday checks read them: parsed once, and what
    each is made of (:func:`reached`), who is made of it and its gaps over some years found
    once each; kept for the next report of that version (:func:`agreement_calendars`)."""

    def __init__(self, agreement: Agreement) -> None:
        self.agreement = agreement
        self.parsed = {name: parse_calendar(spec) for name, spec in agreement.calendars.items()}
        self._reached: dict[str, list[str]] = {}
        self._users: dict[str, list[str]] | None = None
        self._gaps: dict[tuple[str, int, int], list[PartGap]] = {}

    def reached(self, name: str) -> list[str]:
        """:func:`reached` of a calendar."""
        found = self._reached.get(name)
        if found is None:
            found = self._reached[name] = reached(self.parsed, name)
        return found

    def users(self, name: str) -> list[str]:
        """The other calendars made of this one, directly or through others, in the
        agreement's order."""
        if self._users is None:
            users: dict[str, list[str]] = {each: [] for each in self.parsed}
            for other in self.parsed:
                for part in self.reached(other)[1:]:
                    users[part].append(other)
            self._users = users
        return self._users.get(name, [])

    def gaps(self, name: str, first_year: int, last_year: int) -> list[PartGap]:
        """:func:`own_gaps` of a calendar over these years."""
        key = (name, first_year, last_year)
        found = self._gaps.get(key)
        if found is None:
            found = self._gaps[key] = own_gaps(name, self.parsed[name], first_year, last_year)
        return found


def agreement_calendars(agreement: Agreement) -> AgreementCalendars:
    """The agreement's calendars read (:class:`AgreementCalendars`), once per version: kept
    by the agreement's identity (a frozen model) for the next call, a few versions at a time;
    :class:`~accord.core.errors.SpecError` when one cannot be read."""
    found = _READ.get(id(agreement))
    if found is None or found.agreement is not agreement:
        found = AgreementCalendars(agreement)
        if len(_READ) >= _KEEP:
            _READ.clear()
        _READ[id(agreement)] = found
    return found


_READ: dict[int, AgreementCalendars] = {}
_KEEP = 64


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
    (:func:`accord.core.periods.in_force_span`): from its start through its last day in force,
    unless it has none (an end that renews by itself, ``renewal: automatic``, and no
    termination); in force until ended, through next year or its next review, whichever is
    later (a review date gone by does not end it)."""
    effective = agreement.effective
    since = datetime(today.year, 1, 1, tzinfo=UTC) if effective is None else _EARLIEST
    begins, ends = in_force_span(agreement, since, _LATEST)
    first = begins.year
    if ends < _LATEST:
        last_day = (ends - timedelta(microseconds=1)).date()
        return Term(first, max(first, last_day.year), ends=last_day)
    review = effective.review.next if effective is not None else None
    ahead = max(first, horizon(today), review.year if review is not None else first)
    return Term(first, ahead, ends=None)


def horizon(today: date) -> int:
    """The last year a term with no end is checked through, at the least: the year after
    ``today``'s."""
    return today.year + 1


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Caveat:
    """What a report cannot vouch for: the objectives measured in a calendar whose public
    holidays, or those of a calendar it is made of, are unknown for years of the period; those
    holidays count as working time in their figures."""

    calendar: str
    """The calendar to fix: the one whose ``holidays`` lack the years."""
    part: str
    """Where in it ('' its own holidays; ``except[0]``: a calendar written in place)."""
    gap: HolidayGap
    """The country (with its subdivision), the years the ``holidays`` library knows it for,
    and those of the period it does not know and the calendar does not list."""
    used: tuple[str, ...]
    """The calendars the objectives concerned are measured in (the calendar itself, or
    calendars made of it)."""
    objectives: tuple[str, ...]
    """The objectives concerned, by id (``id@provider`` for a provider's own line)."""

    @property
    def text(self) -> str:
        """The caveat for people: which calendar, country and years, and the fix."""
        gap = self.gap
        part = PartGap(self.calendar, (self.part,) if self.part else (), gap)
        return (
            f"Public holidays unknown: the holidays library knows those of {gap.where} only "
            f"from {gap.known[0]} through {gap.known[1]}, and "
            f"{place_of(self.calendar, self.part, self.used)} does not list those of "
            f"{gap.missing_text()}: the figures marked count them as working time. Fix: "
            f"{part.fix()}."
        )


def holiday_caveats(
    agreement: Agreement,
    used: Sequence[tuple[str, Sequence[str]]],
    first_year: int,
    last_year: int,
) -> tuple[Caveat, ...]:
    """What a report of these years must say of the calendars its objectives are measured in
    (``used``: each objective's id with the calendars it may be measured in, by name) whose
    public holidays, or those of a calendar they are made of, are unknown for some of them:
    one caveat per calendar to fix, naming every objective concerned, in the order first
    used. The calendars are read once per agreement version (:func:`agreement_calendars`)."""
    calendars = agreement_calendars(agreement)
    parts: dict[str, list[PartGap]] = {}  # the gaps each calendar used is subject to
    found: dict[tuple[str, str], tuple[PartGap, dict[str, None], dict[str, None]]] = {}
    for objective, names in used:
        for calendar in names:
            if calendar not in parts:
                parts[calendar] = [
                    part
                    for name in calendars.reached(calendar)
                    for part in calendars.gaps(name, first_year, last_year)
                ]
            for part in parts[calendar]:
                _, users, objectives = found.setdefault((part.calendar, part.at), (part, {}, {}))
                users[calendar] = None  # a dict keeps the order first seen
                objectives[objective] = None
    return tuple(
        Caveat(
            calendar=part.calendar,
            part=where,
            gap=part.gap,
            used=tuple(users),
            objectives=tuple(objectives),
        )
        for (_, where), (part, users, objectives) in found.items()
    )
