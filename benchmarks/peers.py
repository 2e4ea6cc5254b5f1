"""Adapters for peer business-time libraries, for Accord's differential tests
and benchmarks.

Runs in the project venv (`make test` installs every peer).

Usage::

    import peers
    cal = peers.make("workclock", "office")        # or peers.workclock_calendar("office")
    peers.elapsed(cal, start, end)                  # -> timedelta
    peers.add(cal, start, timedelta(hours=3))       # -> aware datetime (start's tzinfo)
    peers.elapsed_many(cal, starts_ns, ends_ns)     # -> int64 ns   (batch peers only)
    peers.add_many(cal, starts_ns, durations_ns)    # -> int64 ns UTC (batch peers only)

Every scalar function takes and returns *aware* datetimes; each adapter
converts to what its peer needs (see ``PeerCal.input_form``). Batch functions
take int64 nanoseconds since the Unix epoch (UTC instants) or datetime64[ns]
arrays, and return int64 ns.

The adapters are deliberately thin: they do NOT correct a peer's semantics
(sign of differences, closing-time roll, holiday attribution...). FINDINGS.md
records where each peer is wrong. The exceptions are pandas and numpy, which
have no "elapsed" function at all: their ``elapsed`` is an idiom built here
from the library's primitives (documented on the functions).

Calendars (``SPECS``):

* ``office``   Mon-Fri 09:00-17:00 America/New_York, US-NY holidays 2019-2031
* ``night``    every day 22:00-06:00(+1) America/New_York, no holidays
* ``always``   24x7 UTC
* variants used by FINDINGS: ``night_us`` (night + the office holidays),
  ``office7`` (09:00-17:00 every day, NY, no holidays).

A peer that cannot express a calendar raises ``UnsupportedError`` from the
factory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as _holidays
import numpy as np

UTC = UTC
NY = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
NS_PER_US = 1_000
NS_PER_S = 1_000_000_000
NS_PER_HOUR = 3600 * NS_PER_S
NS_PER_DAY = 24 * NS_PER_HOUR


class UnsupportedError(Exception):
    """The peer cannot express this calendar or this operation."""


# --------------------------------------------------------------------------
# Calendar specs
# --------------------------------------------------------------------------


def _office_holidays() -> tuple[date, ...]:
    # observed=True is the default; snapshot the keys once, BEFORE any lookup,
    # because a python-holidays object with expand=True grows on `in` tests.
    h = _holidays.country_holidays("US", subdiv="NY", years=range(2019, 2032))
    assert h.observed
    return tuple(sorted(h.keys()))


OFFICE_HOLIDAYS: tuple[date, ...] = _office_holidays()  # 197 dates, 2019-01-01..2031-12-25


@dataclass(frozen=True)
class CalSpec:
    name: str
    start: time  # local wall-clock opening
    end: time  # local closing; end <= start means overnight (next day);
    # start == end means a 24 h shift
    days: tuple[int, ...]  # weekdays the shift STARTS on, 0 = Monday
    tz: str
    holidays: tuple[date, ...] = ()

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


ALL_DAYS = (0, 1, 2, 3, 4, 5, 6)
SPECS: dict[str, CalSpec] = {
    "office": CalSpec(
        "office", time(9), time(17), (0, 1, 2, 3, 4), "America/New_York", OFFICE_HOLIDAYS
    ),
    "night": CalSpec("night", time(22), time(6), ALL_DAYS, "America/New_York"),
    "always": CalSpec("always", time(0), time(0), ALL_DAYS, "UTC"),
    # variants for FINDINGS.md
    "night_us": CalSpec(
        "night_us", time(22), time(6), ALL_DAYS, "America/New_York", OFFICE_HOLIDAYS
    ),
    "office7": CalSpec("office7", time(9), time(17), ALL_DAYS, "America/New_York"),
}


@dataclass
class PeerCal:
    """A peer's native calendar object plus what the adapter needs."""

    peer: str
    spec: CalSpec
    native: Any  # the library's own object
    input_form: str  # how datetimes are handed to the peer
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<PeerCal {self.peer}:{self.spec.name} ({self.input_form})>"


def _spec(name_or_spec: str | CalSpec) -> CalSpec:
    return SPECS[name_or_spec] if isinstance(name_or_spec, str) else name_or_spec


def _need_aware(dt: datetime) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{dt!r} is naive; pass aware datetimes")


def _naive_local(dt: datetime, zone: ZoneInfo) -> datetime:
    """Aware -> naive wall-clock time in `zone` (fold is dropped)."""
    _need_aware(dt)
    return dt.astimezone(zone).replace(tzinfo=None, fold=0)


def _from_naive_local(naive: datetime, zone: ZoneInfo, like: datetime) -> datetime:
    """Naive wall-clock in `zone` (fold=0, i.e. the first/DST reading) -> aware,
    expressed in the tzinfo of `like`."""
    return naive.replace(tzinfo=zone).astimezone(like.tzinfo)


# --------------------------------------------------------------------------
# workclock 0.1.2
# --------------------------------------------------------------------------


def workclock_calendar(name: str | CalSpec) -> PeerCal:
    """workclock.Schedule. Expresses all calendars exactly (start == end is a
    24 h shift; end < start is overnight, attributed to its start date)."""
    import workclock as wc

    spec = _spec(name)
    rules: list = [wc.WorkDay(spec.start, spec.end, days=spec.days)]
    if spec.holidays:
        rules.append(wc.Holidays(list(spec.holidays)))
    sched = wc.Schedule(rules, time_zone=spec.tz)
    return PeerCal(
        "workclock", spec, sched, "aware datetimes (any tz); batch: datetime64[ns] UTC arrays"
    )


def _wc_elapsed(cal: PeerCal, start: datetime, end: datetime) -> timedelta:
    return cal.native.between(start, end)


def _wc_add(cal: PeerCal, start: datetime, duration: timedelta) -> datetime:
    return cal.native.add(start, duration)


def _as_dt64ns(a: Any) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind == "M":
        return a.astype("datetime64[ns]")
    return a.astype(np.int64).view("datetime64[ns]")


def _as_td64ns(a: Any) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind == "m":
        return a.astype("timedelta64[ns]")
    return a.astype(np.int64).view("timedelta64[ns]")


def _wc_elapsed_many(cal: PeerCal, starts: Any, ends: Any) -> np.ndarray:
    """Schedule.between_many on datetime64[ns] arrays (read as UTC).
    Returns int64 ns. workclock works in microseconds; inputs with sub-µs
    digits raise ValueError."""
    out = cal.native.between_many(_as_dt64ns(starts), _as_dt64ns(ends))  # timedelta64[us]
    return out.astype("timedelta64[ns]").view(np.int64)


def _wc_add_many(cal: PeerCal, starts: Any, durations: Any) -> np.ndarray:
    """Schedule.add_many on datetime64[ns] + timedelta64[ns] arrays. Returns int64 ns UTC."""
    out = cal.native.add_many(_as_dt64ns(starts), _as_td64ns(durations))  # datetime64[us]
    return out.astype("datetime64[ns]").view(np.int64)


# --------------------------------------------------------------------------
# businesstimedelta 1.0.1
# --------------------------------------------------------------------------


def btd_calendar(name: str | CalSpec, *, approximate: bool = False) -> PeerCal:
    """businesstimedelta Rules([WorkDayRule, HolidayRule]) with a pytz zone.

    Input form: AWARE datetimes (converted to UTC). businesstimedelta treats
    a naive datetime as UTC (localize_unlocalized_dt), so naive local wall
    time would be wrong for the NY calendars.

    Holidays are passed as a plain list of dates (a documented form). A
    python-holidays object would auto-expand to years beyond 2031.

    24x7 ("always") cannot be expressed: start == end gives zero-length
    periods (difference() = 0, ``+`` loops forever) and 12:00-00:00 hits the
    overnight bug. With approximate=True it is built as 00:00-23:59:59.999999
    every day (1 µs lost per day; difference() also truncates to seconds).
    """
    import businesstimedelta as btd
    import pytz

    spec = _spec(name)
    tz = pytz.timezone(spec.tz)
    start, end = spec.start, spec.end
    if start == end:
        if not approximate:
            raise UnsupportedError("businesstimedelta cannot express a 24 h shift (start == end)")
        start, end = time(0), time.max
    workday = btd.WorkDayRule(start_time=start, end_time=end, working_days=list(spec.days), tz=tz)
    if spec.holidays:
        rule = btd.Rules([workday, btd.HolidayRule(list(spec.holidays), tz=tz)])
    else:
        rule = workday
    return PeerCal(
        "businesstimedelta",
        spec,
        rule,
        "aware datetimes, converted to UTC",
        {"approximate": start != spec.start or end != spec.end},
    )


def _btd_elapsed(cal: PeerCal, start: datetime, end: datetime) -> timedelta:
    """rule.difference(a, b).timedelta. NOTE: businesstimedelta sorts its
    arguments, so the result is never negative, and it drops microseconds."""
    _need_aware(start)
    _need_aware(end)
    return cal.native.difference(start.astimezone(UTC), end.astimezone(UTC)).timedelta


def _btd_add(cal: PeerCal, start: datetime, duration: timedelta) -> datetime:
    """start + BusinessTimeDelta(rule, timedelta=duration)."""
    import businesstimedelta as btd

    _need_aware(start)
    res = start.astimezone(UTC) + btd.BusinessTimeDelta(cal.native, timedelta=duration)
    return res.astimezone(start.tzinfo)


# --------------------------------------------------------------------------
# pandas 3.1.1 CustomBusinessHour
# --------------------------------------------------------------------------

_WEEKMASK = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def pandas_calendar(name: str | CalSpec) -> PeerCal:
    """pandas.offsets.CustomBusinessHour(start, end, weekmask, holidays).

    Input form: naive LOCAL wall-clock Timestamps (pandas also does wall-clock
    arithmetic on aware Timestamps). Overnight hours are supported;
    24x7 is not (start == end and touching intervals are rejected).
    """
    import pandas as pd

    spec = _spec(name)
    if spec.start == spec.end:
        raise UnsupportedError(
            "CustomBusinessHour rejects start == end and touching intervals: no 24x7"
        )
    cbh = pd.offsets.CustomBusinessHour(
        n=1,
        start=spec.start.strftime("%H:%M"),
        end=spec.end.strftime("%H:%M"),
        weekmask=" ".join(_WEEKMASK[d] for d in spec.days),
        holidays=list(spec.holidays),
    )
    return PeerCal("pandas", spec, cbh, "naive local wall-clock pd.Timestamp", {"mult": {}})


def _pd_offset(cal: PeerCal, n: int):
    cache = cal.extra["mult"]
    off = cache.get(n)
    if off is None:
        off = cache[n] = cal.native * n  # cheap: reuses the busdaycalendar
    return off


def _pd_hours(duration: timedelta) -> int:
    hours, rest = divmod(duration, HOUR)
    if rest:
        raise UnsupportedError("CustomBusinessHour only adds whole hours (n must be an integer)")
    return int(hours)


def _pd_add(cal: PeerCal, start: datetime, duration: timedelta) -> datetime:
    """Timestamp(naive local) + n * CustomBusinessHour; whole hours only."""
    import pandas as pd

    zone = cal.spec.zone
    res = pd.Timestamp(_naive_local(start, zone)) + _pd_offset(cal, _pd_hours(duration))
    return _from_naive_local(res.to_pydatetime(), zone, start)


def _pd_elapsed_naive(cal: PeerCal, s, e):
    """Business time in [s, e) for naive local Timestamps, built from pandas'
    own offset arithmetic, so it inherits pandas' calendar rules:

    t0 = cbh.rollforward(s); n = max whole hours with t0 + n*cbh <= e (found
    by exponential + binary search on pandas' add); the sub-hour remainder
    from the interval bounds (private ``_prev_opening_time`` /
    ``_get_closing_time`` / ``_next_opening_time``)."""
    import pandas as pd

    cbh = cal.native
    zero = pd.Timedelta(0)
    if e < s:
        return -_pd_elapsed_naive(cal, e, s)
    t0 = cbh.rollforward(s)
    if t0 >= e:
        return zero
    lo, hi = 0, 1
    while t0 + _pd_offset(cal, hi) <= e:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if t0 + _pd_offset(cal, mid) <= e:
            lo = mid
        else:
            hi = mid
    tn = t0 if lo == 0 else t0 + _pd_offset(cal, lo)
    opening = cbh._prev_opening_time(tn)
    closing = cbh._get_closing_time(opening)
    rem = max(zero, min(e, closing) - tn)
    if e > closing:
        o2 = cbh._next_opening_time(closing)
        c2 = cbh._get_closing_time(o2)
        rem += max(zero, min(e, c2) - o2)
    return pd.Timedelta(hours=lo) + rem


def _pd_elapsed(cal: PeerCal, start: datetime, end: datetime) -> timedelta:
    """pandas has NO business-time difference. This is the idiom above on
    naive local wall-clock times; the sign (negative if end < start) comes
    from the adapter, not pandas."""
    import pandas as pd

    zone = cal.spec.zone
    r = _pd_elapsed_naive(
        cal, pd.Timestamp(_naive_local(start, zone)), pd.Timestamp(_naive_local(end, zone))
    )
    return r.to_pytimedelta()


def _pd_add_many(cal: PeerCal, starts: Any, hours: int) -> np.ndarray:
    """DatetimeIndex(naive local) + hours * CustomBusinessHour (one n for the
    whole batch: an offset has a single n). pandas applies it element by
    element (PerformanceWarning 'Non-vectorized DateOffset'). Input: int64 ns
    UTC or datetime64[ns]; returns int64 ns UTC."""
    import warnings

    import pandas as pd

    zone = cal.spec.tz
    idx = pd.DatetimeIndex(_as_dt64ns(starts)).tz_localize("UTC").tz_convert(zone).tz_localize(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        out = idx + _pd_offset(cal, int(hours))
    out = out.tz_localize(zone, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
    return out.as_unit("ns").asi8


# --------------------------------------------------------------------------
# timegrid 0.1.6
# --------------------------------------------------------------------------


def timegrid_calendar(
    name: str | CalSpec, *, compile_range: tuple[datetime, datetime] | None = None
) -> PeerCal:
    """timegrid.TimeGridCalendar with one open rule per weekday and
    add_holiday() per date. timegrid has no time zones: input form is naive
    LOCAL wall-clock datetimes (aware datetimes raise TypeError).

    24x7: open rules need end != start, so "always" is an open *window*
    1900-01-01..2200-01-01 (UTC naive).

    compile_range=(naive_start, naive_end): also compile a read-only
    timeline; elapsed() then uses timeline.get_working_duration (faster,
    raises ValueError outside the range). add() always uses the calendar.
    """
    import timegrid as tg

    spec = _spec(name)
    days = [
        tg.DayOfWeek.MONDAY,
        tg.DayOfWeek.TUESDAY,
        tg.DayOfWeek.WEDNESDAY,
        tg.DayOfWeek.THURSDAY,
        tg.DayOfWeek.FRIDAY,
        tg.DayOfWeek.SATURDAY,
        tg.DayOfWeek.SUNDAY,
    ]
    cal = tg.TimeGridCalendar.create()
    if spec.start == spec.end:
        cal = cal.open(datetime(1900, 1, 1), datetime(2200, 1, 1))
    else:
        for d in spec.days:
            cal.add_open_rule(days[d], spec.start, spec.end)
    for h in spec.holidays:
        cal.add_holiday(h)
    week = timedelta(0)
    for _ in spec.days:
        s = datetime.combine(date(2000, 1, 1), spec.start)
        e = datetime.combine(date(2000, 1, 1 if not spec.overnight else 2), spec.end)
        week += e - s
    density = (timedelta(days=7) / week) if week else 1.0  # wall time per business time
    extra = {"density": density, "timeline": None}
    if compile_range is not None:
        extra["timeline"] = cal.compile(*compile_range)
    return PeerCal("timegrid", spec, cal, "naive local wall-clock datetime", extra)


def _tg_elapsed(cal: PeerCal, start: datetime, end: datetime) -> timedelta:
    """get_working_duration(naive_start, naive_end). Raises ValueError when
    end < start ("End must be greater than or equal to start.")."""
    zone = cal.spec.zone
    s, e = _naive_local(start, zone), _naive_local(end, zone)
    tl = cal.extra["timeline"]
    return (tl or cal.native).get_working_duration(s, e)


def _tg_add(cal: PeerCal, start: datetime, duration: timedelta) -> datetime:
    """add_work_duration(naive_start, duration, searchUntil). The default
    search bound is too small for multi-year amounts (RuntimeError), so
    searchUntil = start + duration * (wall/business ratio) * 1.1 + 400 days."""
    zone = cal.spec.zone
    s = _naive_local(start, zone)
    until = s + duration * (cal.extra["density"] * 1.1) + timedelta(days=400)
    res = cal.native.add_work_duration(s, duration, until)
    return _from_naive_local(res, zone, start)


# --------------------------------------------------------------------------
# numpy busday_count / busday_offset idiom (calendar "office" only)
# --------------------------------------------------------------------------


class _ZoneTable:
    """UTC offsets of a zone as sorted transition arrays, for vectorised
    UTC <-> local conversion with np.searchsorted (1970-2100)."""

    def __init__(self, zone: ZoneInfo, first: int = 1970, last: int = 2100):
        def off(t: int) -> int:
            return int(datetime.fromtimestamp(t, UTC).astimezone(zone).utcoffset().total_seconds())

        t = int(datetime(first, 1, 1, tzinfo=UTC).timestamp())
        stop = int(datetime(last, 1, 1, tzinfo=UTC).timestamp())
        trans, offs = [t], [off(t)]
        while t < stop:
            nxt = t + 86400
            if off(nxt) != offs[-1]:
                lo, hi = t, nxt  # offset changes in (lo, hi]
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if off(mid) == offs[-1]:
                        lo = mid
                    else:
                        hi = mid
                trans.append(hi)
                offs.append(off(hi))
            t = nxt
        self.trans_ns = np.array(trans, dtype=np.int64) * NS_PER_S
        self.offs_ns = np.array(offs, dtype=np.int64) * NS_PER_S

    def offset_at_utc(self, t_ns: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.trans_ns, t_ns, side="right") - 1
        return self.offs_ns[np.clip(i, 0, None)]

    def to_local(self, t_ns: np.ndarray) -> np.ndarray:
        return t_ns + self.offset_at_utc(t_ns)

    def to_utc(self, local_ns: np.ndarray) -> np.ndarray:
        # two-pass; exact for wall times outside the DST gap/overlap (always
        # true for 09:00-17:00 results in New York, where transitions are at 02:00)
        guess = local_ns - self.offset_at_utc(local_ns)
        return local_ns - self.offset_at_utc(guess)


def numpy_calendar(name: str | CalSpec) -> PeerCal:
    """The np.busday_count / np.busday_offset idiom for plain single-interval
    weekday hours (no overnight, no 24x7): only "office" (and office-like
    specs: 1 daytime interval, fixed days, holidays) is supported."""
    spec = _spec(name)
    if spec.overnight:
        raise UnsupportedError(
            "the busday idiom assumes a same-day opening interval; no overnight/24x7"
        )
    weekmask = "".join("1" if d in spec.days else "0" for d in range(7))
    bdc = np.busdaycalendar(
        weekmask=weekmask, holidays=np.array(spec.holidays, dtype="datetime64[D]")
    )
    open_ns = (spec.start.hour * 3600 + spec.start.minute * 60 + spec.start.second) * NS_PER_S
    close_ns = (spec.end.hour * 3600 + spec.end.minute * 60 + spec.end.second) * NS_PER_S
    return PeerCal(
        "numpy",
        spec,
        bdc,
        "int64 ns UTC arrays (local time via transition table)",
        {"zt": _ZoneTable(spec.zone), "open": open_ns, "close": close_ns},
    )


def _np_elapsed_many(cal: PeerCal, starts: Any, ends: Any) -> np.ndarray:
    """Business ns in [start, end), negative if end < start. Vectorised:
    8h * np.busday_count(start_day + 1, end_day) for the full days between,
    plus the clipped partial first and last days, all in local wall time."""
    zt, bdc, op, cl = cal.extra["zt"], cal.native, cal.extra["open"], cal.extra["close"]
    a = _as_dt64ns(starts).view(np.int64)
    b = _as_dt64ns(ends).view(np.int64)
    a, b = np.broadcast_arrays(a, b)
    neg = b < a
    lo = zt.to_local(np.where(neg, b, a))
    hi = zt.to_local(np.where(neg, a, b))
    d_lo = np.floor_divide(lo, NS_PER_DAY)
    d_hi = np.floor_divide(hi, NS_PER_DAY)
    day_lo_d = d_lo.astype("datetime64[D]")
    day_hi_d = d_hi.astype("datetime64[D]")

    def part(day: np.ndarray, day_d: np.ndarray) -> np.ndarray:
        base = day * NS_PER_DAY
        ov = np.minimum(hi, base + cl) - np.maximum(lo, base + op)
        return np.where(np.is_busday(day_d, busdaycal=bdc), np.maximum(ov, 0), 0)

    first = part(d_lo, day_lo_d)
    last = np.where(d_hi > d_lo, part(d_hi, day_hi_d), 0)
    mid_from = np.minimum(day_lo_d + 1, day_hi_d)
    full = np.busday_count(mid_from, day_hi_d, busdaycal=bdc).astype(np.int64)
    total = first + last + full * (cl - op)
    return np.where(neg, -total, total)


def _np_add_many(cal: PeerCal, starts: Any, durations: Any) -> np.ndarray:
    """Earliest t >= start with business time == duration (duration >= 0),
    vectorised with np.busday_offset. Returns int64 ns UTC."""
    zt, bdc, op, cl = cal.extra["zt"], cal.native, cal.extra["open"], cal.extra["close"]
    s_utc = _as_dt64ns(starts).view(np.int64)
    dur = _as_td64ns(durations).view(np.int64)
    s_utc, dur = np.broadcast_arrays(s_utc, dur)
    if (dur < 0).any():
        raise UnsupportedError("numpy idiom adapter only adds non-negative durations")
    s = zt.to_local(s_utc)
    d = np.floor_divide(s, NS_PER_DAY)
    tod = s - d * NS_PER_DAY
    day_d = d.astype("datetime64[D]")
    today = np.is_busday(day_d, busdaycal=bdc) & (tod < cl)
    nxt = np.busday_offset(day_d + 1, 0, roll="forward", busdaycal=bdc)
    first_d = np.where(today, day_d, nxt)
    d0 = first_d.astype(np.int64)
    pos = np.where(today, d0 * NS_PER_DAY + np.maximum(tod, op), d0 * NS_PER_DAY + op)
    avail = d0 * NS_PER_DAY + cl - pos
    span = cl - op
    rest = np.maximum(dur - avail, 0)
    q, r = np.divmod(rest, span)
    exact = r == 0
    k = np.where(exact, q, q + 1)
    last_d = np.busday_offset(first_d, k, roll="raise", busdaycal=bdc).astype(np.int64)
    later = np.where(exact, last_d * NS_PER_DAY + cl, last_d * NS_PER_DAY + op + r)
    local = np.where(dur <= avail, pos + dur, later)
    res = zt.to_utc(local)
    return np.where(dur == 0, s_utc, res)


def _dt_ns(dt: datetime) -> int:
    _need_aware(dt)
    return (
        (dt.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC))
        // timedelta(microseconds=1)
        * NS_PER_US
    )


def _np_elapsed(cal: PeerCal, start: datetime, end: datetime) -> timedelta:
    ns = int(_np_elapsed_many(cal, np.array([_dt_ns(start)]), np.array([_dt_ns(end)]))[0])
    return timedelta(microseconds=ns // NS_PER_US)


def _np_add(cal: PeerCal, start: datetime, duration: timedelta) -> datetime:
    dns = duration // timedelta(microseconds=1) * NS_PER_US
    ns = int(_np_add_many(cal, np.array([_dt_ns(start)]), np.array([dns]))[0])
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ns // NS_PER_US)).astimezone(
        start.tzinfo
    )


# --------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------

FACTORIES: dict[str, Callable[..., PeerCal]] = {
    "workclock": workclock_calendar,
    "businesstimedelta": btd_calendar,
    "pandas": pandas_calendar,
    "timegrid": timegrid_calendar,
    "numpy": numpy_calendar,
}
PEERS = tuple(FACTORIES)

_ELAPSED = {
    "workclock": _wc_elapsed,
    "businesstimedelta": _btd_elapsed,
    "pandas": _pd_elapsed,
    "timegrid": _tg_elapsed,
    "numpy": _np_elapsed,
}
_ADD = {
    "workclock": _wc_add,
    "businesstimedelta": _btd_add,
    "pandas": _pd_add,
    "timegrid": _tg_add,
    "numpy": _np_add,
}
_ELAPSED_MANY = {"workclock": _wc_elapsed_many, "numpy": _np_elapsed_many}
_ADD_MANY = {"workclock": _wc_add_many, "numpy": _np_add_many, "pandas": _pd_add_many}


def make(peer: str, calendar: str | CalSpec, **kwargs: Any) -> PeerCal:
    """Build `peer`'s calendar for "office" / "night" / "always" (or a variant
    or CalSpec). Raises UnsupportedError if the peer cannot express it."""
    return FACTORIES[peer](calendar, **kwargs)


def elapsed(cal: PeerCal, start: datetime, end: datetime) -> timedelta:
    """Business time from aware `start` to aware `end`, as the peer computes it."""
    return _ELAPSED[cal.peer](cal, start, end)


def add(cal: PeerCal, start: datetime, duration: timedelta) -> datetime:
    """`start` plus `duration` of business time, as the peer computes it;
    returned in start's tzinfo."""
    return _ADD[cal.peer](cal, start, duration)


def has_batch(cal: PeerCal) -> tuple[bool, bool]:
    """(has elapsed_many, has add_many)."""
    return cal.peer in _ELAPSED_MANY, cal.peer in _ADD_MANY


def elapsed_many(cal: PeerCal, starts: Any, ends: Any) -> np.ndarray:
    """Batch elapsed on int64 ns UTC (or datetime64[ns]) arrays -> int64 ns.
    workclock: between_many. numpy: busday idiom. (pandas/timegrid/btd: none.)"""
    if cal.peer not in _ELAPSED_MANY:
        raise UnsupportedError(f"{cal.peer} has no batch elapsed")
    return _ELAPSED_MANY[cal.peer](cal, starts, ends)


def add_many(cal: PeerCal, starts: Any, durations: Any) -> np.ndarray:
    """Batch add -> int64 ns UTC. workclock: add_many; numpy: busday_offset
    idiom; pandas: DatetimeIndex + n*CBH where `durations` must be ONE int
    number of hours for the whole batch."""
    if cal.peer not in _ADD_MANY:
        raise UnsupportedError(f"{cal.peer} has no batch add")
    return _ADD_MANY[cal.peer](cal, starts, durations)


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        p: version(p)
        for p in ("workclock", "businesstimedelta", "timegrid", "pandas", "numpy", "holidays")
    }
