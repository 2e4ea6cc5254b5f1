"""The calendar mapping (``timezone``, ``hours``, ``holidays``), parsed into small immutable values.

A calendar may also be made of others (``union``, ``except``): :class:`ComposedSpec`. Every mistake
is reported as a :class:`SpecError` naming the key and the value found, and what was expected,
because people write these mappings by hand inside agreement YAML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.core.errors import SpecError, format_path

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_TITLES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FULL_DAY_NAMES = {title.lower(): i for i, title in enumerate(DAY_TITLES)}
_ALL_WEEK_WORDS = ("24x7", "24/7", "always")
BUILT_IN_CALENDARS = ("24x7",)  # names every agreement knows without defining them
_WEEKLY_KEYS = ("timezone", "hours", "holidays")
_COMPOSED_KEYS = ("union", "except", "timezone")
_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_EXPECTED_DAYS = (
    "expected days mon, tue, wed, thu, fri, sat, sun, ranges such as mon-fri, "
    "lists such as sat,sun, or 'daily'"
)


@dataclass(frozen=True, order=True)
class DailyHours:
    """One open interval of a weekday, in local wall-clock minutes after midnight.

    ``end`` may pass 1440: ``22:00-06:00`` is ``DailyHours(1320, 1800)``, an overnight shift that
    belongs to the day it starts on.
    """

    start: int
    end: int

    @property
    def overnight(self) -> bool:
        return self.end > MINUTES_PER_DAY

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end % MINUTES_PER_DAY or self.end)}"


@dataclass(frozen=True)
class HolidayRule:
    """Public holidays of a country (and subdivision) plus company closures on given dates."""

    country: str | None = None
    subdivision: str | None = None
    dates: Mapping[date, str] = field(default_factory=dict)
    listed_years: frozenset[int] = frozenset()
    """Years whose public holidays ``dates`` lists in full (``holidays.listed_years``): a
    year the ``holidays`` library does not know the country for is covered by these only
    (a company closure listed in a year says nothing of that year's public holidays)."""

    @property
    def empty(self) -> bool:
        return self.country is None and not self.dates


@dataclass(frozen=True)
class CalendarSpec:
    """A parsed, validated calendar: a zone, the hours of each weekday, and the holidays."""

    timezone: str
    week: tuple[tuple[DailyHours, ...], ...]
    holidays: HolidayRule = field(default_factory=HolidayRule)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def always_open(self) -> bool:
        """True when every minute of every day is open and no holiday ever closes it."""
        return self.holidays.empty and all(
            sum(h.end - h.start for h in day) == MINUTES_PER_DAY and day[0].start == 0
            for day in self.week
        )

    @property
    def never_open(self) -> bool:
        return not any(self.week)

    def to_mapping(self) -> dict[str, Any]:
        """The canonical mapping this spec was read from (one key per weekday)."""
        spec: dict[str, Any] = {
            "timezone": self.timezone,
            "hours": {
                DAY_NAMES[i]: [str(h) for h in day] for i, day in enumerate(self.week) if day
            },
        }
        if not self.holidays.empty:
            hol: dict[str, Any] = {}
            if self.holidays.country:
                hol["country"] = self.holidays.country
            if self.holidays.subdivision:
                hol["subdivision"] = self.holidays.subdivision
            if self.holidays.dates:
                hol["dates"] = {d.isoformat(): n for d, n in sorted(self.holidays.dates.items())}
            if self.holidays.listed_years:
                hol["listed_years"] = sorted(self.holidays.listed_years)
            spec["holidays"] = hol
        return spec


Path = tuple[str | int, ...]


@dataclass(frozen=True)
class CalendarRef:
    """One calendar a composed calendar is made of: another calendar's name, or one written out
    in place; ``path`` is where it was written (``("except",)``, ``("union", 1)``)."""

    path: Path
    calendar: str | CalendarSpec | ComposedSpec


@dataclass(frozen=True)
class ComposedSpec:
    """A calendar made of others: open while any of ``union`` is open (every instant when there is
    no union) and none of ``excluded`` (written ``except``) is. ``timezone`` is the zone of its
    days and results; None takes the zone of the first calendar named."""

    union: tuple[CalendarRef, ...]
    excluded: tuple[CalendarRef, ...]
    timezone: str | None = None

    def names(self) -> Iterator[tuple[Path, str]]:
        """Every other calendar this one names, those of calendars written in place included,
        with the path where each name was written."""
        for ref in (*self.union, *self.excluded):
            if isinstance(ref.calendar, str):
                yield ref.path, ref.calendar
            elif isinstance(ref.calendar, ComposedSpec):
                for path, name in ref.calendar.names():
                    yield (*ref.path, *path), name


def parse_calendar(spec: Mapping[str, Any]) -> CalendarSpec | ComposedSpec:
    """A calendar mapping of either form: weekly hours, or ``union``/``except`` of other calendars.

    Raises :class:`SpecError` naming the key, the value found and what was expected.
    """
    if isinstance(spec, Mapping) and ("union" in spec or "except" in spec):
        return _parse_composed(spec)
    return parse_calendar_spec(spec)


def parse_calendar_spec(spec: Mapping[str, Any]) -> CalendarSpec:
    """Validate a weekly calendar mapping and return its parsed form, or raise
    :class:`SpecError`."""
    if not isinstance(spec, Mapping):
        raise SpecError("", f"a calendar must be a mapping, got {_show(spec)}")
    _reject_unknown_keys(spec, _WEEKLY_KEYS, "", also=("union", "except"))
    if "timezone" not in spec:
        raise SpecError("timezone", "missing; expected an IANA zone such as 'Europe/Paris'")
    timezone = _parse_zone(spec["timezone"])
    if "hours" not in spec:
        raise SpecError(
            "hours",
            "missing; expected weekday hours such as {mon-fri: '09:00-17:00'}, "
            "or union/except to make this calendar of others",
        )
    week = _parse_week(spec["hours"])
    holidays = _parse_holidays(spec.get("holidays"))
    return CalendarSpec(timezone=timezone, week=week, holidays=holidays)


def _parse_composed(spec: Mapping[str, Any]) -> ComposedSpec:
    for key in ("hours", "holidays"):
        if key in spec:
            raise SpecError(
                key,
                f"a calendar made of others (union, except) takes its {key} from them; "
                f"write these {key} as a calendar of their own and name it under union",
            )
    _reject_unknown_keys(spec, _COMPOSED_KEYS, "")
    timezone = _parse_zone(spec["timezone"]) if "timezone" in spec else None
    union = _parse_refs(spec["union"], "union") if "union" in spec else ()
    excluded = _parse_refs(spec["except"], "except") if "except" in spec else ()
    seen: dict[str, Path] = {}
    for ref in (*union, *excluded):
        if not isinstance(ref.calendar, str):
            continue
        name, first = ref.calendar, seen.setdefault(ref.calendar, ref.path)
        if first == ref.path:
            continue
        if first[0] == ref.path[0]:
            raise SpecError(
                format_path(ref.path), f"{name!r} is named twice (also {format_path(first)})"
            )
        raise SpecError(
            format_path(ref.path),
            f"{name!r} is under both union and except: this calendar would be closed whenever "
            f"{name!r} is open; name it in one of them",
        )
    return ComposedSpec(union=union, excluded=excluded, timezone=timezone)


def _parse_refs(value: Any, key: str) -> tuple[CalendarRef, ...]:
    """One calendar or a list of them; each a name, or a calendar mapping written in place."""
    expected = (
        "expected a calendar's name such as prime, a list of names such as "
        "[prime, weekend-support], or a calendar mapping written in place"
    )
    if isinstance(value, list | tuple):
        if not value:
            raise SpecError(key, f"an empty list; {expected}")
        return tuple(_parse_ref(item, (key, i), expected) for i, item in enumerate(value))
    return (_parse_ref(value, (key,), expected),)


def _parse_ref(value: Any, path: Path, expected: str) -> CalendarRef:
    if isinstance(value, str) and value.strip():
        return CalendarRef(path, value.strip())
    if isinstance(value, Mapping):
        try:
            return CalendarRef(path, parse_calendar(value))
        except SpecError as error:
            inner = f"{format_path(path)}.{error.where}" if error.where else format_path(path)
            raise SpecError(inner, error.problem) from None
    raise SpecError(format_path(path), f"{expected}; got {_show(value)}")


def _parse_zone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(
            "timezone", f"expected an IANA zone name such as 'Europe/Paris', got {_show(value)}"
        )
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SpecError(
            "timezone",
            f"unknown time zone {name!r}; expected an IANA name such as 'America/New_York'",
        ) from None
    return name


def _parse_week(hours: Any) -> tuple[tuple[DailyHours, ...], ...]:
    if isinstance(hours, str) and hours.strip().lower() in _ALL_WEEK_WORDS:
        return tuple((DailyHours(0, MINUTES_PER_DAY),) for _ in DAY_NAMES)
    if not isinstance(hours, Mapping):
        raise SpecError(
            "hours", f"expected a mapping of days to hours or '24x7', got {_show(hours)}"
        )
    days: list[list[tuple[DailyHours, str]]] = [[] for _ in DAY_NAMES]
    for key, value in hours.items():
        where = f"hours.{key}"
        for day in parse_days(key, where):
            for interval in _parse_intervals(value, where):
                days[day].append((interval, str(key)))
    _check_overlaps(days)
    return tuple(tuple(sorted(h for h, _ in day)) for day in days)


def parse_days(key: Any, where: str) -> list[int]:
    """``mon-fri``, ``sat,sun``, ``tue``, ``daily``: the weekday numbers (Monday is 0) named."""
    if not isinstance(key, str) or not key.strip():
        raise SpecError(where, f"unknown day {_show(key)}; {_EXPECTED_DAYS}")
    text = key.strip().lower()
    if text in ("daily", "every day", "all"):
        return list(range(7))
    result: list[int] = []
    for part in text.split(","):
        bounds = [b.strip() for b in part.split("-")]
        if len(bounds) == 1:
            result.append(_day_number(bounds[0], where))
        elif len(bounds) == 2:
            first, last = (_day_number(b, where) for b in bounds)
            span = (last - first) % 7
            result.extend((first + i) % 7 for i in range(span + 1))
        else:
            raise SpecError(where, f"malformed day range {part!r}; {_EXPECTED_DAYS}")
    return sorted(set(result))


def _day_number(name: str, where: str) -> int:
    if name in DAY_NAMES:
        return DAY_NAMES.index(name)
    if name in _FULL_DAY_NAMES:
        return _FULL_DAY_NAMES[name]
    raise SpecError(where, f"unknown day {name!r}; {_EXPECTED_DAYS}")


def _parse_intervals(value: Any, where: str) -> list[DailyHours]:
    items = value if isinstance(value, list | tuple) else [value]
    if not items:
        return []
    return [parse_hours(item, where) for item in items]


def parse_hours(text: Any, where: str) -> DailyHours:
    """``"09:00-17:00"``; ``"22:00-06:00"`` runs into the next day; ``"00:00-24:00"`` is all day."""
    if not isinstance(text, str):
        raise SpecError(where, f"malformed hours {_show(text)}; expected a string 'HH:MM-HH:MM'")
    match = _HOURS_RE.match(text)
    if not match:
        raise SpecError(
            where, f"malformed hours {text!r}; expected 'HH:MM-HH:MM' such as '09:00-17:00'"
        )
    sh, sm, eh, em = (int(g) for g in match.groups())
    if sh > 23 or sm > 59:
        raise SpecError(
            where, f"malformed hours {text!r}: start {sh:02d}:{sm:02d} is not a time of day"
        )
    if eh > 24 or em > 59 or (eh == 24 and em != 0):
        raise SpecError(where, f"malformed hours {text!r}: end {eh:02d}:{em:02d} is after 24:00")
    start, end = sh * 60 + sm, eh * 60 + em
    if end == start:
        raise SpecError(
            where, f"empty hours {text!r}: start equals end (write '00:00-24:00' for the whole day)"
        )
    if end < start:
        end += MINUTES_PER_DAY
    return DailyHours(start, end)


def _check_overlaps(days: list[list[tuple[DailyHours, str]]]) -> None:
    """No two intervals may share a minute of the week, overnight ones included (Sunday wraps)."""
    spans = sorted(
        (d * MINUTES_PER_DAY + h.start, d * MINUTES_PER_DAY + h.end, d, h, key)
        for d, day in enumerate(days)
        for h, key in day
    )
    if not spans:
        return
    first_start, _, first_day, first_hours, first_key = spans[0]
    wrapped = (first_start + MINUTES_PER_WEEK, 0, first_day, first_hours, first_key)
    for (_, end, d1, h1, k1), (start, _, d2, h2, k2) in zip(
        spans, [*spans[1:], wrapped], strict=True
    ):
        if end <= start:
            continue
        if start >= (d1 + 1) * MINUTES_PER_DAY:
            raise SpecError(
                f"hours.{k1}",
                f"the overnight hours {h1} of {DAY_TITLES[d1]} run into {DAY_TITLES[d2]}'s "
                f"hours {h2} (from '{k2}'); end the shift earlier or start the next one later",
            )
        raise SpecError(
            f"hours.{k2}",
            f"hours {h2} on {DAY_TITLES[d2]} overlap {h1} (from '{k1}'); "
            "intervals of a day must not overlap",
        )


def _parse_holidays(value: Any) -> HolidayRule:
    if value is None:
        return HolidayRule()
    if not isinstance(value, Mapping):
        raise SpecError(
            "holidays",
            "expected a mapping with country, subdivision, dates, listed_years; "
            f"got {_show(value)}",
        )
    _reject_unknown_keys(value, ("country", "subdivision", "dates", "listed_years"), "holidays")
    country = value.get("country")
    subdivision = value.get("subdivision")
    if country is not None:
        country = _check_country(country)
    if subdivision is not None:
        if country is None:
            raise SpecError("holidays.subdivision", "a subdivision needs a country")
        subdivision = _check_subdivision(country, subdivision)
    dates = _parse_dates(value.get("dates"))
    listed = _parse_listed_years(value.get("listed_years"), dates)
    return HolidayRule(country=country, subdivision=subdivision, dates=dates, listed_years=listed)


def _parse_listed_years(value: Any, dates: Mapping[date, str]) -> frozenset[int]:
    """``listed_years: [2027]``: years whose public holidays ``dates`` lists in full; each
    must have a date of its own there."""
    if value is None:
        return frozenset()
    items = value if isinstance(value, list | tuple) else [value]
    years: set[int] = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 9999:
            raise SpecError(
                "holidays.listed_years",
                f"expected years such as [2027, 2028], got {_show(value)}",
            )
        if not any(day.year == item for day in dates):
            raise SpecError(
                "holidays.listed_years",
                f"{item} has no date under holidays.dates; list that year's public holidays "
                "there (a year named here is one whose holidays the dates list in full)",
            )
        years.add(item)
    return frozenset(years)


@lru_cache(maxsize=1)
def _supported_countries() -> dict[str, list[str]]:
    import holidays

    supported: dict[str, list[str]] = holidays.list_supported_countries()
    return supported


def _check_country(value: Any) -> str:
    code = str(value).strip().upper() if isinstance(value, str) else None
    supported = _supported_countries()
    if code is None or code not in supported:
        raise SpecError(
            "holidays.country",
            f"unknown country {_show(value)}; expected an ISO 3166 code known to the "
            "`holidays` library, such as US, GB, DE, FR, IN",
        )
    return code


def _check_subdivision(country: str, value: Any) -> str:
    subdivisions = _supported_countries()[country]
    text = str(value).strip() if isinstance(value, str | int) else ""
    matches = [s for s in subdivisions if s.upper() == text.upper()]
    if not matches:
        shown = ", ".join(subdivisions[:12]) + (", ..." if len(subdivisions) > 12 else "")
        raise SpecError(
            "holidays.subdivision",
            f"unknown subdivision {_show(value)} of {country}; expected one of {shown or 'none'}",
        )
    return matches[0]


def _parse_dates(value: Any) -> dict[date, str]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list | tuple):
        items = ((v, "Company holiday") for v in value)
    else:
        raise SpecError(
            "holidays.dates",
            f"expected a list of dates YYYY-MM-DD or a mapping date: name, got {_show(value)}",
        )
    dates: dict[date, str] = {}
    for index, (raw, name) in enumerate(items):
        day = _as_date(raw, f"holidays.dates[{index}]")
        dates[day] = str(name) if name is not None else "Company holiday"
    return dates


def _as_date(raw: Any, where: str) -> date:
    if isinstance(raw, date) and not hasattr(raw, "hour"):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise SpecError(where, f"expected a date YYYY-MM-DD, got {_show(raw)}")


def _reject_unknown_keys(
    mapping: Mapping[str, Any], allowed: tuple[str, ...], where: str, also: tuple[str, ...] = ()
) -> None:
    """Refuse keys not in ``allowed``; ``also`` lists the keys of the calendar's other form."""
    for key in mapping:
        if key not in allowed:
            other = f" (or {', '.join(also)} to make a calendar of others)" if also else ""
            raise SpecError(
                f"{where}.{key}" if where else str(key),
                f"unknown key; expected one of {', '.join(allowed)}{other}",
            )


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
