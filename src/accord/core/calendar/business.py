"""Business calendars: when is a team open, and how much open time lies between two instants.

Semantics (the rules every clock in Accord stands on):

* Hours are local wall-clock times in the calendar's zone, so a 09:00-17:00 day is 8 hours even on
  a DST day, and a 22:00-06:00 night shift is 7 or 9 hours on the nights the clocks change.
* A wall time that does not exist (in the spring-forward gap) is moved forward by the gap; an
  ambiguous one (in the repeated hour) takes its first occurrence.
* An interval belongs to the local date on which it starts; a holiday closes every interval that
  starts on that date (so the night shift starting the evening before a holiday runs in full).
  Observed holidays count as the ``holidays`` library reports them.
* ``elapsed(start, end)`` is the open time inside ``[start, end)``, negative when ``end < start``.
  ``add(start, duration)`` is the earliest instant ``t >= start`` with ``elapsed(start, t) ==
  duration`` (so 16:00 + 1 h on a 09:00-17:00 day is 17:00 that day); a negative duration gives the
  latest ``t <= start`` with ``elapsed(t, start) == -duration``.
* Datetimes must be aware; a naive one is an error, never a guess. Results are in the
  calendar's zone.
* Any year from 1 to 9999 works: years are laid out lazily (holidays included) when asked for.
* A calendar may be made of others (``union``, ``except``, see ``composed.py``): its open time is
  theirs combined, laid out the same way, so every question here has the same answer whichever
  way a calendar was defined. Its business days are the local dates on which it is open at all.
"""

from __future__ import annotations

import functools
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from accord.core.calendar.composed import Composition
from accord.core.calendar.spec import (
    BUILT_IN_CALENDARS,
    DAY_NAMES,
    CalendarRef,
    CalendarSpec,
    ComposedSpec,
    parse_calendar,
)
from accord.core.calendar.timeline import I64, Lists, Segment, Spans, T
from accord.core.errors import CalendarError, SpecError, did_you_mean, format_path

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_ZERO = timedelta(0)
_DAY_US = 86_400_000_000
_MINUTE_US = 60_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_ORDINAL = date.max.toordinal()
_MIN_YEAR, _MAX_YEAR = 1, 9999
_FAR_PAST = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // _US - 2 * _DAY_US
_FAR_FUTURE = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - _EPOCH) // _US + 2 * _DAY_US
_YEAR_ONE = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // _US  # no aware datetime is earlier
_NAT = np.iinfo(np.int64).min
_NS = timedelta(microseconds=1) / 1000
_NS_MAX = np.iinfo(np.int64).max
_NS_FIRST_YEAR, _NS_LAST_YEAR = 1678, 2261  # the years datetime64[ns] holds whole
_YEARS_AROUND = 2  # years laid out on each side of a query, so neighbouring queries reuse them
_MERGE_GAP = 16  # a query this many years from a laid-out range extends it instead of starting anew


def _naive_error(value: object) -> CalendarError:
    if isinstance(value, datetime):
        return CalendarError(
            f"naive datetime {value.isoformat()}: business time needs an aware datetime "
            "(with a tzinfo such as ZoneInfo('Europe/Paris') or UTC)"
        )
    return CalendarError(f"expected an aware datetime, got {type(value).__name__} {value!r}")


def to_micros(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the Unix epoch (exact, fold respected)."""
    try:
        return (moment - _EPOCH) // _US
    except TypeError:
        raise _naive_error(moment) from None


def to_nanos(moment: datetime) -> int:
    """An aware datetime as integer nanoseconds since the Unix epoch (for ``datetime64[ns]``)."""
    return to_micros(moment) * 1000


def _year_of(micros: int) -> int:
    if micros <= _FAR_PAST + 2 * _DAY_US:
        return _MIN_YEAR
    if micros >= _FAR_FUTURE - 2 * _DAY_US:
        return _MAX_YEAR
    return (_EPOCH + micros * _US).year


@dataclass(frozen=True)
class OpenInterval:
    """One stretch of open time, as aware datetimes in the calendar's zone."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        """Real time from start to end. Subtracting two datetimes that share a tzinfo subtracts
        wall times, an hour off across a change of daylight saving time: in UTC it is exact."""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)


class BusinessCalendar:
    """Open hours of a team or location, and business-time arithmetic over them.

    Build one with :meth:`from_spec` from the mapping that also appears inside agreement YAML::

        BusinessCalendar.from_spec({
            "timezone": "America/New_York",
            "hours": {"mon-fri": "09:00-17:00"},
            "holidays": {"country": "US", "subdivision": "NY", "dates": ["2026-12-24"]},
        })

    A calendar made of others (``{"except": "prime"}``) is built from the calendars it names,
    given by name in ``calendars`` (the built-in "24x7" is always known).

    A calendar is immutable; it lays out its open intervals lazily, year by year, and is safe to
    share between threads.
    """

    __slots__ = (
        "_day_table_cache",
        "_lock",
        "_segment",
        "_segments",
        "_year_holidays",
        "_year_intervals",
        "spec",
        "zone",
    )

    spec: CalendarSpec | Composition

    def __init__(self, spec: CalendarSpec | Composition) -> None:
        self.spec = spec
        self.zone = ZoneInfo(spec.timezone)
        self._lock = threading.Lock()
        self._year_intervals: dict[int, list[tuple[int, int]]] = {}
        self._year_holidays: dict[int, dict[date, str]] = {}
        self._segments: list[Segment] = []
        self._day_table_cache: dict[tuple[int, int], tuple[I64, I64, I64]] = {}
        self._segment = Segment.build(0, -1, 0, 1, 0, [])  # covers nothing; replaced on first use

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, Any], calendars: Mapping[str, BusinessCalendar] | None = None
    ) -> BusinessCalendar:
        """Validate a calendar mapping; bad input raises :class:`SpecError` naming key and value.

        ``calendars`` are those a calendar made of others may name, besides the built-in 24x7.
        """
        return cls.from_parsed(parse_calendar(spec), calendars or {})

    @classmethod
    def from_parsed(
        cls, spec: CalendarSpec | ComposedSpec, calendars: Mapping[str, BusinessCalendar]
    ) -> BusinessCalendar:
        """The calendar of a parsed mapping; the names a composed one uses looked up in
        ``calendars`` (a :class:`SpecError` at the name when it is not there)."""
        if isinstance(spec, CalendarSpec):
            return cls(spec)

        def member(ref: CalendarRef) -> BusinessCalendar:
            where = format_path(ref.path)
            if not isinstance(ref.calendar, str):
                try:
                    return cls.from_parsed(ref.calendar, calendars)
                except SpecError as error:
                    raise SpecError(f"{where}.{error.where}", error.problem) from None
            found = calendars.get(ref.calendar)
            if found is None and ref.calendar in BUILT_IN_CALENDARS:
                found = cls.always_open()
            if found is None:
                known = sorted({*calendars, *BUILT_IN_CALENDARS})
                raise SpecError(
                    where,
                    f"unknown calendar {ref.calendar!r}{did_you_mean(ref.calendar, known)}; "
                    f"defined: {', '.join(known)}"
                    + (
                        ""
                        if calendars
                        else " (a calendar standing alone names no other: write the calendar "
                        "itself in place, such as except: {timezone: ..., hours: ...})"
                    ),
                )
            return found

        union = tuple(member(ref) for ref in spec.union)
        excluded = tuple(member(ref) for ref in spec.excluded)
        zone = spec.timezone or (*union, *excluded)[0].spec.timezone
        return cls(Composition(zone, union, excluded))

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> BusinessCalendar:
        """The 24x7 calendar: every instant is open."""
        return cls.from_spec({"timezone": timezone, "hours": "24x7"})

    def __repr__(self) -> str:
        spec = self.spec
        if isinstance(spec, Composition):
            return f"BusinessCalendar({spec})"
        hours = {DAY_NAMES[i]: [str(h) for h in d] for i, d in enumerate(spec.week) if d}
        return f"BusinessCalendar(timezone={spec.timezone!r}, hours={hours})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BusinessCalendar) and other.spec == self.spec

    def __hash__(self) -> int:
        spec = self.spec
        return hash(spec) if isinstance(spec, Composition) else hash((spec.timezone, spec.week))

    # ------------------------------------------------------------------ scalar arithmetic

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time inside ``[start, end)``; negative when ``end`` is before ``start``."""
        try:
            a = start - _EPOCH
            b = end - _EPOCH
        except TypeError:
            to_micros(start)
            to_micros(end)
            raise
        seg = self._segment
        view = seg.deltas
        low, high = (a, b) if a <= b else (b, a)
        if not (view.valid_from <= low and high <= view.valid_to):
            view = self._cover(low // _US, high // _US).deltas
        starts, ends, before = view.starts, view.ends, view.before
        i = bisect_right(starts, a) - 1
        end_i = ends[i]
        business_a = before[i] + ((a if a < end_i else end_i) - starts[i])
        j = bisect_right(starts, b) - 1
        end_j = ends[j]
        return before[j] + ((b if b < end_j else end_j) - starts[j]) - business_a

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The deadline: the earliest instant ``t >= start`` with ``elapsed(start, t) == duration``.

        A zero duration returns ``start`` (in the calendar's zone) even when the calendar is closed;
        a negative one counts backwards. Raises :class:`CalendarError` when the calendar never
        opens.
        """
        try:
            a = start - _EPOCH
        except TypeError:
            to_micros(start)
            raise
        if not isinstance(duration, timedelta):
            raise CalendarError(
                f"expected a timedelta duration, got {type(duration).__name__} {duration!r}"
            )
        if not duration:
            return start.astimezone(self.zone)
        deadline = self._deadline(a, duration, duration > _ZERO, _deltas, a // _US)
        try:
            return (_EPOCH + deadline).astimezone(self.zone)
        except OverflowError:
            raise CalendarError(
                "the deadline falls outside the years 1-9999 that datetime can hold"
            ) from None

    def _deadline(
        self, a: T, step: T, forward: bool, view_of: Callable[[Segment], Lists[T]], at: int
    ) -> T:
        """Where ``step`` of business time from ``a`` ends, in the unit of ``view_of``."""
        seg = self._segment
        view = view_of(seg)
        if not (view.valid_from <= a <= view.valid_to):
            seg = self._cover(at, at)
            view = view_of(seg)
        while True:
            starts, ends, before, upto = view.starts, view.ends, view.before, view.upto
            i = bisect_right(starts, a) - 1
            end_i = ends[i]
            target = before[i] + ((a if a < end_i else end_i) - starts[i]) + step
            if forward:
                j = bisect_left(upto, target)
                if j < len(upto) and (t := starts[j] + (target - before[j])) <= view.valid_to:
                    return t
            else:
                j = bisect_right(before, target) - 1
                if j >= 1 and (t := starts[j] + (target - before[j])) >= view.valid_from:
                    return t
            seg = self._grow(seg, forward=forward)
            view = view_of(seg)

    def add_days(self, start: datetime, days: int) -> datetime:
        """``days`` business days after ``start``: the same local wall time on the ``days``-th
        following date the calendar opens (never ``days`` 24-hour blocks of business time).

        A start in closed time counts from the next opening. ``days`` must not be negative.
        """
        if days < 0:
            raise CalendarError(f"expected a number of business days >= 0, got {days}")
        opening = self.next_open(start)
        if days == 0:
            return opening
        day = opening.date()
        for _ in range(days):
            day = self._next_open_date(day)
        wall = datetime.combine(day, opening.timetz().replace(tzinfo=None))
        return wall.replace(tzinfo=self.zone)

    def add_days_many(self, starts: npt.ArrayLike, days: int) -> npt.NDArray[np.datetime64]:
        """``add_days`` over an array of UTC instants (``datetime64``), exactly as the scalar.

        Column-wise for the usual case; the few rows whose opening or result falls on a day with
        a clock change, or beyond the laid-out years, take the scalar path.
        """
        a = _as_ns(starts, "starts")
        result = np.full(a.shape, _NAT, dtype=np.int64)
        valid = a != _NAT
        if not valid.any():
            return result.view("datetime64[ns]")
        if days < 0:
            raise CalendarError(f"expected a number of business days >= 0, got {days}")
        low = int(a[valid].min()) // 1000
        high = int(a[valid].max()) // 1000 + (days // 5 + 3) * 7 * _DAY_US
        seg = self._batch_segment(low, high)
        slow = ~valid
        if seg is None or self.spec.never_open:
            slow = valid
        else:
            x = np.where(valid, a, seg.valid_from_ns)
            index = seg.find_start.right(x) - 1
            last = len(seg.starts) - 1
            following = np.minimum(index + 1, last)
            inside = x < seg.ends_ns[index]
            opening = np.where(inside, x, seg.starts_ns[following])
            slow |= ~inside & ((index + 1 > last) | (opening > seg.valid_to_ns))
            first_day = date(seg.first_year, 1, 1).toordinal()
            offsets, open_days, open_up_to = self._day_tables(seg.first_year, seg.last_year)
            day_ns = _DAY_US * 1000
            epoch_day = _EPOCH_ORDINAL - first_day
            span = len(offsets) - 1

            def local_day(instant: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
                guess = np.clip(instant // day_ns + epoch_day, 0, span - 1)
                local = instant + offsets[guess]
                return cast(I64, np.clip(local // day_ns + epoch_day, 0, span - 1))

            day = local_day(opening)
            tod = opening + offsets[day] - (day - epoch_day) * day_ns
            changing = offsets[day] != offsets[day + 1]
            k = open_up_to[day] + (days - 1)
            beyond = k >= len(open_days)
            target = open_days[np.minimum(k, len(open_days) - 1)] if days else day
            wall = (target - epoch_day) * day_ns + tod
            answer = wall - offsets[target]
            if days == 0:
                answer = opening
                beyond = np.zeros(a.shape, dtype=bool)
            slow |= changing | beyond | (offsets[target] != offsets[np.minimum(target + 1, span)])
            slow |= (tod < 0) | (tod >= day_ns)
            result = np.where(valid & ~slow, answer, result)
        for row in np.flatnonzero(slow & valid).tolist():
            moment = self.add_days(_EPOCH + (int(a.flat[row]) // 1000) * _US, days)
            result.flat[row] = (moment - _EPOCH) // _US * 1000
        return result.view("datetime64[ns]")

    def _day_tables(self, first_year: int, last_year: int) -> tuple[I64, I64, I64]:
        """For the days of these years (numbered from 1 January of the first): the UTC offset at
        each local midnight in nanoseconds (and the day after the last), the open days, and the
        number of open days up to each day. Kept: batches of deadlines reuse them."""
        key = (first_year, last_year)
        if key not in self._day_table_cache:
            first_day = date(first_year, 1, 1).toordinal()
            last_day = date(last_year, 12, 31).toordinal()
            found = self._offsets_at_midnight(first_day, last_day + 1)
            offsets = np.array([o if o is not None else 0 for o in found], dtype=np.int64)
            offsets *= 1000
            open_days = np.flatnonzero(self._business_days(first_day, last_day))
            # open days up to each day: a table read instead of a binary search per deadline
            open_up_to = np.searchsorted(open_days, np.arange(len(offsets)), side="right")
            self._day_table_cache[key] = (offsets, open_days, open_up_to)
        return self._day_table_cache[key]

    def _business_days(self, first: int, last: int) -> npt.NDArray[np.bool_]:
        """Whether each local date of ordinals ``first..last`` is a business day: one with hours
        that is no holiday, or for a calendar made of others one on which it is open at all."""
        spec = self.spec
        if isinstance(spec, Composition):
            midnights = np.array(
                [
                    (ordinal - _EPOCH_ORDINAL) * _DAY_US - (offset or 0)
                    for ordinal, offset in enumerate(
                        self._offsets_at_midnight(first, last + 1), start=first
                    )
                ],
                dtype=np.int64,
            )
            seg = self._cover(int(midnights[0]), int(midnights[-1]))
            open_days: npt.NDArray[np.bool_] = np.diff(seg.business_before_us(midnights)) > 0
            return open_days
        ordinals = np.arange(first, last + 1)
        week_open = np.array([bool(d) for d in spec.week])
        closed = np.array(
            sorted(
                d.toordinal()
                for year in range(date.fromordinal(first).year, date.fromordinal(last).year + 1)
                for d in self._holidays_of(spec, year)
            ),
            dtype=np.int64,
        )
        hours_on: npt.NDArray[np.bool_] = week_open[(ordinals - 1) % 7] & ~np.isin(ordinals, closed)
        return hours_on

    def _next_open_date(self, day: date) -> date:
        """The first local date after ``day`` that is a business day."""
        spec = self.spec
        if isinstance(spec, Composition):
            after = day.toordinal() + 1
            for first in range(after, min(after + 3660, _MAX_ORDINAL + 1), 31):
                last = min(first + 30, _MAX_ORDINAL)
                found = np.flatnonzero(self._business_days(first, last))
                if found.size:
                    return date.fromordinal(first + int(found[0]))
            raise CalendarError(f"{self!r} opens on no day within ten years after {day}")
        week = spec.week
        for _ in range(3660):
            day += timedelta(days=1)
            if week[day.weekday()] and day not in self._holidays_of(spec, day.year):
                return day
        raise CalendarError(f"{self!r} opens on no day within ten years after {day}")

    def is_open(self, moment: datetime) -> bool:
        """Whether the calendar is open at this instant (intervals are closed at their end)."""
        t = to_micros(moment)
        seg = self._cover(t, t)
        i = bisect_right(seg.starts, t) - 1
        return t < seg.ends[i]

    def next_open(self, moment: datetime) -> datetime:
        """The earliest instant at or after ``moment`` when the calendar is open."""
        t = to_micros(moment)
        seg = self._cover(t, t)
        while True:
            i = bisect_right(seg.starts, t) - 1
            if t < seg.ends[i]:
                return moment.astimezone(self.zone)
            if i + 1 < len(seg.starts) and seg.starts[i + 1] <= seg.valid_to:
                return self._to_datetime(seg.starts[i + 1])
            seg = self._grow(seg, forward=True)

    def next_close(self, moment: datetime) -> datetime | None:
        """The earliest instant at or after ``moment`` when the calendar is closed.

        ``None`` for a calendar that is always open (24x7 without holidays).
        """
        t = to_micros(moment)
        if self.spec.always_open:
            return None
        seg = self._cover(t, t)
        while True:
            i = bisect_right(seg.starts, t) - 1
            if t >= seg.ends[i]:
                return moment.astimezone(self.zone)
            if seg.ends[i] <= seg.valid_to:
                return self._to_datetime(seg.ends[i])
            if seg.last_year >= _MAX_YEAR:
                return None
            seg = self._grow(seg, forward=True)

    def open_intervals(self, start: datetime, end: datetime) -> list[OpenInterval]:
        """The open stretches that ``[start, end)`` crosses, clipped to it, in the calendar zone."""
        a, b = to_micros(start), to_micros(end)
        if b <= a:
            return []
        seg = self._cover(a, b)
        i = max(bisect_right(seg.starts, a) - 1, 1)
        result = []
        for s, e in zip(seg.starts[i:], seg.ends[i:], strict=True):
            if s >= b:
                break
            if e > a:
                result.append(
                    OpenInterval(self._to_datetime(max(s, a)), self._to_datetime(min(e, b)))
                )
        return result

    def holidays_between(self, first: date, last: date) -> list[tuple[date, str]]:
        """The holidays (public and company) on local dates ``first..last``, with their names.

        A calendar made of others has those of its calendars on which it is itself closed all
        day: none for ``except: prime``, which is open all day when prime time has a holiday.
        """
        spec = self.spec
        if isinstance(spec, Composition):
            listed = spec.holidays_between(first, last)
            if not listed:
                return []
            open_days = self._business_days(first.toordinal(), last.toordinal())
            return [(d, n) for d, n in listed if not open_days[d.toordinal() - first.toordinal()]]
        found: list[tuple[date, str]] = []
        for year in range(first.year, last.year + 1):
            found.extend(
                (d, n)
                for d, n in sorted(self._holidays_of(spec, year).items())
                if first <= d <= last
            )
        return found

    @property
    def public_holiday_years(self) -> tuple[int, int] | None:
        """The years for which the ``holidays`` library knows this country's public holidays.

        Outside them no public holiday is known (only the company dates close the calendar); an
        agreement running past them should list its own dates. A calendar made of others: the
        years in which all of its calendars know theirs.
        """
        if isinstance(self.spec, Composition):
            return self.spec.public_holiday_years
        rule = self.spec.holidays
        if not rule.country:
            return None
        return known_years(rule.country, rule.subdivision)

    # ------------------------------------------------------------------ batch arithmetic

    def elapsed_many(
        self, starts: npt.ArrayLike, ends: npt.ArrayLike
    ) -> npt.NDArray[np.timedelta64]:
        """``elapsed`` over arrays of UTC instants (``datetime64``); ``NaT`` in, ``NaT`` out."""
        a = _as_ns(starts, "starts")
        b = _as_ns(ends, "ends")
        if a.shape != b.shape:
            raise CalendarError(f"starts and ends differ in shape: {a.shape} and {b.shape}")
        valid = (a != _NAT) & (b != _NAT)
        all_valid = bool(valid.all())
        if not all_valid:
            a, b = np.where(valid, a, 0), np.where(valid, b, 0)
        if a.size == 0:
            return np.zeros(a.shape, dtype="timedelta64[ns]")
        low = min(int(a.min()), int(b.min())) // 1000
        high = -(-max(int(a.max()), int(b.max())) // 1000)
        seg = None if self.spec.always_open else self._batch_segment(low, high)
        if self.spec.always_open:  # every instant is open: business time is real time
            result = b - a
        elif seg is not None:
            result = seg.business_before_ns(b)
            result -= seg.business_before_ns(a)
        else:  # a data set spanning centuries of open time: exact, one by one
            result = np.array(
                [
                    self.elapsed(_EPOCH + (x // 1000) * _US, _EPOCH + (y // 1000) * _US) // _NS
                    + (y % 1000 - x % 1000)
                    for x, y in zip(a.tolist(), b.tolist(), strict=True)
                ],
                dtype=np.int64,
            ).reshape(a.shape)
        if not all_valid:
            result[~valid] = _NAT
        return result.view("timedelta64[ns]")

    def elapsed_since_many(
        self, origin: datetime, instants: npt.ArrayLike
    ) -> npt.NDArray[np.timedelta64]:
        """``elapsed(origin, t)`` for each UTC instant ``t`` (``datetime64``), negative before the
        origin; ``NaT`` in, ``NaT`` out. Exactly ``elapsed_many`` with every start at ``origin``,
        at about half its cost, and differences of two results are ``elapsed`` between them: the
        business time of many consecutive spans from one call."""
        o = to_nanos(origin)
        t = _as_ns(instants, "instants")
        if t.size == 0:
            return np.zeros(t.shape, dtype="timedelta64[ns]")
        least = int(t.min())  # NaT is the least int64: one pass finds both
        all_valid = least != _NAT
        if not all_valid:
            valid = t != _NAT
            t = np.where(valid, t, o)
            least = int(t.min())
        low = min(least, o) // 1000
        high = -(-max(int(t.max()), o) // 1000)
        seg = None if self.spec.always_open else self._batch_segment(low, high)
        if self.spec.always_open:  # every instant is open: business time is real time
            result = t - o
        elif seg is not None:
            base = seg.business_before_ns(np.array([o], dtype=np.int64))
            result = seg.business_before_ns(t)
            result -= base[0]
        else:  # a data set spanning centuries of open time: exact, one by one
            return self.elapsed_many(np.full(t.shape, o).view("datetime64[ns]"), instants)
        if not all_valid:
            result[~valid] = _NAT
        return result.view("timedelta64[ns]")

    def add_many(
        self, starts: npt.ArrayLike, durations: npt.ArrayLike
    ) -> npt.NDArray[np.datetime64]:
        """``add`` over arrays: UTC instants (``datetime64``) plus ``timedelta64`` durations."""
        a = _as_ns(starts, "starts")
        d = np.asarray(durations)
        if d.dtype.kind != "m":
            raise CalendarError(f"durations must be timedelta64, got dtype {d.dtype}")
        d = np.broadcast_to(d.astype("timedelta64[ns]").view(np.int64), a.shape)
        valid = (a != _NAT) & (d != _NAT)
        a = np.where(valid, a, 0)
        d = np.where(valid, d, 0)
        result = a.copy()
        if a.size:
            result = self._add_ns(a, d)
        result[~valid] = _NAT
        return result.view("datetime64[ns]")

    def _add_ns(self, a: I64, d: I64) -> I64:
        if self.spec.always_open:  # every instant is open: business time is real time
            result = a + d
            if ((d > 0) & (result < a)).any() or ((d < 0) & (result > a)).any():
                raise CalendarError(
                    "a deadline falls outside the years 1678-2261 of datetime64[ns]"
                )
            return result
        low, high = int(a.min()) // 1000, -(-int(a.max()) // 1000)
        seg = self._batch_segment(low, high)
        forward, backward = d > 0, d < 0
        any_backward = bool(backward.any())
        while seg is not None:
            target = seg.business_before_ns(a) + d
            last = len(seg.starts) - 1
            j = np.minimum(seg.find_upto.left(target), last + 1)
            ahead = seg.starts_ns[np.minimum(j, last)] + (
                target - seg.before_ns[np.minimum(j, last)]
            )
            short = forward & ((j > last) | (ahead > seg.valid_to_ns))
            if short.any():
                seg = self._grow_batch(seg, forward=True)
                continue
            if not any_backward:
                return np.where(forward, ahead, a)
            j_back = seg.find_before.right(target) - 1
            behind = seg.starts_ns[j_back] + (target - seg.before_ns[j_back])
            if (backward & ((j_back < 1) | (behind < seg.valid_from_ns))).any():
                seg = self._grow_batch(seg, forward=False)
                continue
            return np.where(forward, ahead, np.where(backward, behind, a))
        # beyond what nanoseconds can lay out: exact, one by one
        found = [
            self._deadline(x // 1000, (x % 1000 + y) // 1000, y > 0, _micros, x // 1000) * 1000
            + (x % 1000 + y) % 1000
            if y
            else x
            for x, y in zip(a.tolist(), d.tolist(), strict=True)
        ]
        if max(found) > _NS_MAX or min(found) < -_NS_MAX:
            raise CalendarError("a deadline falls outside the years 1678-2261 of datetime64[ns]")
        return np.array(found, dtype=np.int64).reshape(a.shape)

    def _batch_segment(self, low: int, high: int) -> Segment | None:
        """A segment for ``[low, high]`` whose figures fit nanoseconds, or None if none can."""
        seg = self._cover(low, high)
        if seg.fits_nanoseconds:
            return seg
        first = max(_NS_FIRST_YEAR, _year_of(low) - _YEARS_AROUND)
        last = min(_NS_LAST_YEAR, _year_of(high) + _YEARS_AROUND)
        seg = self._build(first, last)
        return seg if seg.fits_nanoseconds and seg.covers(low, high) else None

    def _grow_batch(self, seg: Segment, *, forward: bool) -> Segment | None:
        grown = self._grow(seg, forward=forward)
        return grown if grown.fits_nanoseconds else None

    # ------------------------------------------------------------------ laying out the years

    def _to_datetime(self, micros: int) -> datetime:
        seconds, rest = divmod(micros, 1_000_000)
        try:
            moment = datetime.fromtimestamp(seconds, self.zone)
        except (OverflowError, OSError, ValueError):
            try:
                return (_EPOCH + micros * _US).astimezone(self.zone)
            except OverflowError:
                raise CalendarError(
                    "the result falls outside the years 1-9999 that datetime can hold"
                ) from None
        return moment.replace(microsecond=rest) if rest else moment

    def _cover(self, low: int, high: int) -> Segment:
        """A segment answering exactly for every instant in ``[low, high]`` (microseconds)."""
        seg = self._segment
        if seg.valid_from <= low and high <= seg.valid_to:
            return seg
        with self._lock:
            for seg in self._segments:
                if seg.covers(low, high):
                    self._segment = seg
                    return seg
            first = max(_MIN_YEAR, _year_of(low) - _YEARS_AROUND)
            last = min(_MAX_YEAR, _year_of(high) + _YEARS_AROUND)
            return self._lay_out(first, last)

    def _grow(self, seg: Segment, *, forward: bool) -> Segment:
        """A wider segment than ``seg`` (doubling), for deadlines beyond what is laid out."""
        if self.spec.never_open:
            raise CalendarError(f"{self!r} never opens: no deadline can be computed")
        span = seg.last_year - seg.first_year + 1
        at_edge = seg.last_year >= _MAX_YEAR if forward else seg.first_year <= _MIN_YEAR
        if at_edge:
            raise CalendarError(
                f"no answer within the years 1-9999: {self!r} does not open often enough"
            )
        with self._lock:
            first = seg.first_year if forward else max(_MIN_YEAR, seg.first_year - span)
            last = min(_MAX_YEAR, seg.last_year + span) if forward else seg.last_year
            return self._lay_out(first, last)

    def _lay_out(self, first: int, last: int) -> Segment:
        # absorb laid-out segments that overlap or lie near, so long spans never straddle two
        kept = []
        for seg in self._segments:
            if seg.first_year <= last + _MERGE_GAP and seg.last_year >= first - _MERGE_GAP:
                first, last = min(first, seg.first_year), max(last, seg.last_year)
            else:
                kept.append(seg)
        seg = self._build(first, last)
        self._segments = [*kept, seg]
        self._segment = seg
        return seg

    def _build(self, first: int, last: int) -> Segment:
        origin = self._local_micros(date(first, 1, 1), 0) - _DAY_US
        valid_from = origin if first == _MIN_YEAR else self._local_micros(date(first, 1, 3), 0)
        valid_to = _FAR_FUTURE if last == _MAX_YEAR else self._local_micros(date(last, 12, 31), 0)
        spec = self.spec
        intervals: list[tuple[int, int]] = []
        if isinstance(spec, Composition):
            # exact from the origin to the end of the last year (its calendars are), and laid
            # out a day further, so that no open stretch seems to end where the layout does
            valid_from = origin
            if last < _MAX_YEAR:
                valid_to = self._local_micros(date(last + 1, 1, 1), 0)
            high = valid_to + (1 if last == _MAX_YEAR else _DAY_US)
            starts, ends = spec.spans(max(origin, _YEAR_ONE), high)
            intervals = list(zip(starts.tolist(), ends.tolist(), strict=True))
        else:
            self._prefetch_holidays(spec, first, last)
            for year in range(first, last + 1):
                intervals.extend(self._intervals_of(spec, year))
        return Segment.build(first, last, origin, valid_from, valid_to, intervals)

    def open_spans(self, low: int, high: int) -> Spans:
        """The open intervals inside ``[low, high]`` (microseconds since the epoch), clipped to
        it: what calendars made of this one are laid out from."""
        return self._cover(low, min(high, _FAR_FUTURE)).spans(low, high)

    def _intervals_of(self, spec: CalendarSpec, year: int) -> list[tuple[int, int]]:
        """Raw UTC intervals of every open period that starts on a local date of ``year``.

        Days whose UTC offset is the same at their midnight and two midnights later (every day
        but the few around a clock change) are converted with integer arithmetic; the others
        through ``zoneinfo``, which applies the gap and fold rules.
        """
        cached = self._year_intervals.get(year)
        if cached is not None:
            return cached
        closed = self._holidays_of(spec, year)
        week = spec.week
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        offsets = self._offsets_at_midnight(first, last + 2)
        intervals: list[tuple[int, int]] = []
        for ordinal in range(first, last + 1):
            day = date.fromordinal(ordinal)
            hours = week[day.weekday()]
            if not hours or day in closed:
                continue
            offset = offsets[ordinal - first]
            if offset is not None and offset == offsets[ordinal - first + 2]:
                midnight = (ordinal - _EPOCH_ORDINAL) * _DAY_US - offset
                intervals.extend(
                    (midnight + h.start * _MINUTE_US, midnight + h.end * _MINUTE_US) for h in hours
                )
            else:
                intervals.extend(
                    (self._local_micros(day, h.start), self._local_micros(day, h.end))
                    for h in hours
                )
        self._year_intervals[year] = intervals
        return intervals

    def _offsets_at_midnight(self, first: int, last: int) -> list[int | None]:
        """The zone's UTC offset (microseconds) at local midnight of days ``first..last``.

        Read once a week, and day by day only in the weeks where it changed: zones change
        offset a few times a year at most, never twice within a week.
        """
        weekly = {n: self._offset_at_midnight(n) for n in range(first, last + 8, 7)}
        offsets: list[int | None] = []
        for week_start in range(first, last + 1, 7):
            here, there = weekly[week_start], weekly[week_start + 7]
            days = range(week_start, min(week_start + 7, last + 1))
            if here == there:
                offsets.extend(here for _ in days)
            else:
                offsets.extend(self._offset_at_midnight(n) for n in days)
        return offsets

    def _offset_at_midnight(self, ordinal: int) -> int | None:
        """The zone's UTC offset (microseconds) at local midnight of a day; None past year 9999."""
        if ordinal > _MAX_ORDINAL:
            return None
        day = date.fromordinal(ordinal)
        offset = datetime(day.year, day.month, day.day, tzinfo=self.zone).utcoffset()
        return None if offset is None else offset // _US

    def _local_micros(self, day: date, minutes: int) -> int:
        """The instant of a local wall time (fold 0: gaps move forward, repeats take the first)."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        try:
            wall = midnight + timedelta(minutes=minutes)
        except OverflowError:
            return _FAR_FUTURE
        return (wall - _EPOCH) // _US

    def _prefetch_holidays(self, spec: CalendarSpec, first: int, last: int) -> None:
        """Read the public holidays of many years in one call (much faster than year by year)."""
        rule = spec.holidays
        missing = [y for y in range(first, last + 1) if y not in self._year_holidays]
        if not rule.country or len(missing) < 2:
            return
        found = _public_holidays(rule.country, rule.subdivision, missing)
        for year in missing:
            days = {d: n for d, n in found.items() if d.year == year}
            days.update((d, n) for d, n in rule.dates.items() if d.year == year)
            self._year_holidays[year] = days

    def _holidays_of(self, spec: CalendarSpec, year: int) -> dict[date, str]:
        cached = self._year_holidays.get(year)
        if cached is not None:
            return cached
        rule = spec.holidays
        found: dict[date, str] = {}
        if rule.country:
            found.update(_public_holidays(rule.country, rule.subdivision, [year]))
        found.update((d, n) for d, n in rule.dates.items() if d.year == year)
        self._year_holidays[year] = found
        return found


def _deltas(seg: Segment) -> Lists[timedelta]:
    return seg.deltas


def _micros(seg: Segment) -> Lists[int]:
    return seg.micros


def _public_holidays(country: str, subdivision: str | None, years: list[int]) -> dict[date, str]:
    import holidays

    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=years)
    except (
        NotImplementedError,
        ValueError,
        KeyError,
        OverflowError,
    ):  # pragma: no cover - rare years
        return {}
    return {d: str(n) for d, n in found.items()}


def _as_ns(values: npt.ArrayLike, name: str) -> I64:
    array = np.asarray(values)
    if array.dtype.kind != "M":
        raise CalendarError(
            f"{name} must be datetime64 UTC instants, got dtype {array.dtype} "
            "(convert aware datetimes to UTC first)"
        )
    return cast(I64, array.astype("datetime64[ns]", copy=False).view(np.int64))


@functools.cache
def known_years(country: str, subdivision: str | None) -> tuple[int, int]:
    """The years the ``holidays`` library knows a country's public holidays for (asked once a
    country: every report asks, for each calendar its objectives use)."""
    import holidays

    known = holidays.country_holidays(country, subdiv=subdivision)
    return int(known.start_year), int(known.end_year)
