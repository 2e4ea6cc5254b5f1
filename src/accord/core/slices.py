"""Availability from measurements: probe samples in time slices, request counts, burn rates.

* **Time slices** (probes): the period is cut into slices (one minute by default); a slice with
  samples is good when its share of ok samples reaches the threshold, bad otherwise; a slice with
  no sample is *unknown*, and the agreement says whether unknown counts as up, down, or is left
  out — never silently up. Optionally only runs of N consecutive bad slices count as down (as
  GCP's "downtime periods"). Only slices that start while the window's calendar is open count.
  A slice that starts inside maintenance the agreement excuses is neither good nor bad: left
  out of the counted slices (maintenance excluded), or counted as up (maintenance counted as
  up), whatever its probes say, as availability in time leaves the same maintenance out.
* **Occurrences**: good / total requests.
* **Ratio slices** (as S3's five-minute error rates): 100% minus the mean error rate of the slices
  that had traffic.
* **Burn rates**: how fast the error budget is spent over a trailing window, and the multi-window
  states of the SRE workbook (1h and 5m at 14.4, 6h and 30m at 6, 3d and 6h at 1).

Counts are integers and percentages ``Decimal``, so comparisons with targets are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from accord.core.calendar import BusinessCalendar, to_nanos

_HUNDRED = Decimal(100)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Unknown = Literal["up", "down", "excluded"]
Excused = Literal["excluded", "up"]
# (long window, short window, burn rate threshold): the SRE workbook's multi-window alerts
WORKBOOK_ALERTS = (
    (timedelta(hours=1), timedelta(minutes=5), Decimal("14.4")),
    (timedelta(hours=6), timedelta(minutes=30), Decimal(6)),
    (timedelta(days=3), timedelta(hours=6), Decimal(1)),
)


@dataclass(frozen=True)
class SliceAvailability:
    """Slices of a period: good, bad, unknown, and how many counted; availability in percent."""

    good: int
    bad: int
    unknown: int
    counted: int
    down: int
    slice: timedelta
    maintenance: int = 0
    """Slices in the window that start inside excused maintenance: not among ``good``,
    ``bad`` and ``unknown``; counted (as up) only when maintenance counts as up."""

    @property
    def percent(self) -> Decimal:
        if self.counted == 0:
            return _HUNDRED
        return Decimal(self.counted - self.down) / Decimal(self.counted) * _HUNDRED

    @property
    def downtime(self) -> timedelta:
        return self.slice * self.down


def slice_availability(
    instants: npt.ArrayLike,
    ok: npt.ArrayLike,
    start: datetime,
    end: datetime,
    window: BusinessCalendar | None = None,
    slice_length: timedelta = timedelta(minutes=1),
    threshold: Decimal = Decimal(100),
    unknown: Unknown = "excluded",
    bad_run: int = 1,
    services: npt.ArrayLike | None = None,
    service_count: int = 1,
    maintenance: Sequence[tuple[datetime, datetime]] = (),
    maintenance_counts: Excused = "excluded",
) -> SliceAvailability:
    """Availability of ``[start, end)`` from probe samples (UTC ``datetime64`` and ok flags).

    A slice is good when at least ``threshold`` percent of its samples are ok. With ``bad_run``
    above 1, only runs of that many consecutive bad slices count as down. With ``services``
    (each sample's service, codes from 0), the services must all be up: each slice is judged
    per service, and is bad when one service's is bad, unknown when none is bad and one has no
    sample, good when every service's is good; ``service_count`` services (a service with no
    sample at all leaves every slice at best unknown). ``maintenance``: spans the agreement
    excuses (:func:`accord.core.availability.excused_maintenance`); a slice starting inside
    one is left out (``maintenance_counts`` ``excluded``) or counted as up (``up``), never
    bad, and a run of bad slices stops at it.
    """
    at = np.asarray(instants).astype("datetime64[ns]").view(np.int64)
    passed = np.asarray(ok, dtype=bool)
    first, length = to_nanos(start), slice_length // timedelta(microseconds=1) * 1000
    count = -(-(to_nanos(end) - first) // length)
    inside = (at >= first) & (at < to_nanos(end))
    index = (at[inside] - first) // length
    members = 1
    if services is not None:
        codes = np.asarray(services, dtype=np.int64)[inside]
        members = max(service_count, int(codes.max(initial=0)) + 1)
        index += codes * count
    total = np.bincount(index, minlength=members * count).reshape(members, count)
    good_samples = (
        np.bincount(index, weights=passed[inside], minlength=members * count)
        .astype(np.int64)
        .reshape(members, count)
    )
    # good: good_samples / total >= threshold / 100, compared in integers
    numerator, denominator = threshold.as_integer_ratio()
    each_good = (total > 0) & (good_samples * 100 * denominator >= total * numerator)
    is_bad = np.any((total > 0) & ~each_good, axis=0, keepdims=True)[0]
    is_good = np.all(each_good, axis=0, keepdims=True)[0]
    known = is_good | is_bad
    slice_starts = first + np.arange(count, dtype=np.int64) * length
    if window is None:
        open_ = np.ones(count, dtype=bool)
    else:
        ends = np.minimum(slice_starts + 1, to_nanos(end))
        open_ = (
            window.elapsed_many(
                slice_starts.view("datetime64[ns]"), ends.view("datetime64[ns]")
            ).view(np.int64)
            > 0
        )
    excused = _inside(slice_starts, maintenance)
    is_bad &= ~excused
    down = is_bad.copy()
    if bad_run > 1:
        down = _runs_of(is_bad, bad_run)
    judged = open_ & ~excused
    unknown_here = ~known & judged
    if unknown == "down":
        down |= ~known
    counted = judged if unknown != "excluded" else judged & known
    down &= counted
    if maintenance_counts == "up":
        counted = counted | (open_ & excused)
    return SliceAvailability(
        good=int((is_good & judged).sum()),
        bad=int((is_bad & judged).sum()),
        unknown=int(unknown_here.sum()),
        counted=int(counted.sum()),
        down=int(down.sum()),
        slice=slice_length,
        maintenance=int((open_ & excused).sum()),
    )


def _inside(
    instants: npt.NDArray[np.int64], spans: Sequence[tuple[datetime, datetime]]
) -> npt.NDArray[np.bool_]:
    """Whether each instant (UTC ns) lies in one of ``spans`` (``[start, end)``, in any order,
    overlapping or not): more spans begun than ended at or before it."""
    if not spans:
        return np.zeros(len(instants), dtype=bool)
    begins = np.sort(np.array([to_nanos(a) for a, _ in spans], dtype=np.int64))
    ends = np.sort(np.array([to_nanos(b) for _, b in spans], dtype=np.int64))
    begun = np.searchsorted(begins, instants, side="right")
    ended = np.searchsorted(ends, instants, side="right")
    return np.asarray(begun > ended)


@dataclass(frozen=True)
class SliceTable:
    """``slice_availability`` for many services: per service, counts of slices."""

    services: list[str]
    good: npt.NDArray[np.int64]
    bad: npt.NDArray[np.int64]
    unknown: npt.NDArray[np.int64]
    counted: npt.NDArray[np.int64]
    down: npt.NDArray[np.int64]
    slice: timedelta

    def result(self, index: int) -> SliceAvailability:
        return SliceAvailability(
            good=int(self.good[index]),
            bad=int(self.bad[index]),
            unknown=int(self.unknown[index]),
            counted=int(self.counted[index]),
            down=int(self.down[index]),
            slice=self.slice,
        )

    def percent(self, index: int) -> Decimal:
        return self.result(index).percent


def slice_availability_many(
    services: list[str],
    codes: npt.ArrayLike,
    instants: npt.ArrayLike,
    ok: npt.ArrayLike,
    start: datetime,
    end: datetime,
    window: BusinessCalendar | None = None,
    slice_length: timedelta = timedelta(minutes=1),
    threshold: Decimal = Decimal(100),
    unknown: Unknown = "excluded",
    bad_run: int = 1,
) -> SliceTable:
    """``slice_availability`` for many services at once: probe samples with service codes
    (indices into ``services``), UTC ``datetime64`` instants and ok flags, in any order.

    Column-wise: one count of samples per (service, slice) and one of failed samples, the
    window's open slices computed once for all services; the same figures as
    ``slice_availability`` service by service (tests compare them)."""
    at = np.asarray(instants).astype("datetime64[ns]", copy=False).view(np.int64)
    code = np.asarray(codes)
    passed = np.asarray(ok, dtype=bool)
    first, last = to_nanos(start), to_nanos(end)
    length = slice_length // timedelta(microseconds=1) * 1000
    count = -(-(last - first) // length)
    rows = len(services)
    flat = _flat_slices(code, at, first, last, length, count)
    if flat is None:  # some samples outside the period: leave them out
        inside = (at >= first) & (at < last)
        code, at, passed = code[inside], at[inside], passed[inside]
        flat = _flat_slices(code, at, first, last, length, count)
        assert flat is not None
    total = np.bincount(flat, minlength=rows * count)
    # failures are few: their slices and counts, instead of a second count over every slice
    failed_at, failed = np.unique(flat[~passed], return_counts=True)
    del flat
    known = (total > 0).reshape(rows, count)
    numerator, denominator = threshold.as_integer_ratio()
    if numerator > 100 * denominator:  # above 100%: no slice can be good
        is_good = np.zeros_like(known)
    else:  # a slice without failures is good; one with failures when its share still reaches
        is_good = known.copy()
        there = total[failed_at]
        is_good.flat[failed_at] = (there - failed) * 100 * denominator >= there * numerator
    del total
    is_bad = known ^ is_good
    if window is None:  # every slice is open: counts per row from two or three reductions
        known_n = np.count_nonzero(known, axis=1)
        good_n = np.count_nonzero(is_good, axis=1)
        bad_n = known_n - good_n
        down_n = np.count_nonzero(_runs_of(is_bad, bad_run), axis=1) if bad_run > 1 else bad_n
        return SliceTable(
            services=services,
            good=good_n,
            bad=bad_n,
            unknown=count - known_n,
            counted=known_n if unknown == "excluded" else np.full(rows, count),
            # bad slices are known, so unknown ones counted down add to them
            down=down_n + (count - known_n) if unknown == "down" else down_n,
            slice=slice_length,
        )
    down = _runs_of(is_bad, bad_run) if bad_run > 1 else is_bad
    if unknown == "down":
        down = down | ~known
    slice_starts = first + np.arange(count, dtype=np.int64) * length
    ends = np.minimum(slice_starts + 1, last)
    open_ = (
        window.elapsed_many(slice_starts.view("datetime64[ns]"), ends.view("datetime64[ns]")).view(
            np.int64
        )
        > 0
    )
    counted = (known & open_) if unknown == "excluded" else np.broadcast_to(open_, known.shape)
    return SliceTable(
        services=services,
        good=np.count_nonzero(is_good & open_, axis=1),
        bad=np.count_nonzero(is_bad & open_, axis=1),
        unknown=np.count_nonzero(~known & open_, axis=1),
        counted=np.count_nonzero(counted, axis=1),
        down=np.count_nonzero(down & counted, axis=1),
        slice=slice_length,
    )


_CHUNK = 1 << 18  # samples per step: the step's scratch stays in the processor's cache


def _flat_slices(
    code: npt.NDArray[Any],
    at: npt.NDArray[np.int64],
    first: int,
    last: int,
    length: int,
    count: int,
) -> npt.NDArray[np.int64] | None:
    """Each sample's (service, slice) as one index, ``code * count + slice``; None when a sample
    lies outside ``[first, last)``. Computed in cache-sized steps: one pass over the columns
    instead of one per arithmetic operation."""
    flat = np.empty(len(at), dtype=np.int64)
    scratch = np.empty(min(_CHUNK, len(at)), dtype=np.int64)
    span = last - first
    for begin in range(0, len(at), _CHUNK):
        end = min(begin + _CHUNK, len(at))
        offset = scratch[: end - begin]
        np.subtract(at[begin:end], first, out=offset)
        # before the start wraps to a huge unsigned number: one check for both bounds
        if int(offset.view(np.uint64).max()) >= span:
            return None
        offset //= length
        out = flat[begin:end]
        np.multiply(code[begin:end], count, out=out, casting="unsafe")
        out += offset
    return flat


def _runs_of(flags: npt.NDArray[np.bool_], length: int) -> npt.NDArray[np.bool_]:
    """Flags that belong to a run of at least ``length`` consecutive true flags (along the last
    axis: a run never continues from one row into the next)."""
    rows = flags.reshape(-1, flags.shape[-1])
    padded = np.zeros((rows.shape[0], rows.shape[1] + 1), dtype=bool)
    padded[:, :-1] = rows  # a false flag after each row ends its last run
    line = np.concatenate(([False], padded.ravel()))
    changes = np.flatnonzero(line[1:] != line[:-1])
    starts, stops = changes[::2], changes[1::2]
    long = stops - starts >= length
    marks = np.zeros(len(line), dtype=np.int64)
    np.add.at(marks, starts[long], 1)
    np.add.at(marks, stops[long], -1)
    inside = np.cumsum(marks)[:-1] > 0
    return inside.reshape(padded.shape)[:, :-1].reshape(flags.shape)


def occurrences(good: int, total: int) -> Decimal:
    """Good requests over all requests, in percent (100 when there was no request)."""
    if total < 0 or good < 0 or good > total:
        raise ValueError(f"expected 0 <= good <= total, got good={good}, total={total}")
    return _HUNDRED if total == 0 else Decimal(good) / Decimal(total) * _HUNDRED


def ratio_slices(good: Sequence[int], total: Sequence[int]) -> Decimal:
    """100% minus the mean error rate of the slices that had traffic (S3's method)."""
    rates = [Decimal(t - g) / Decimal(t) for g, t in zip(good, total, strict=True) if t > 0]
    if not rates:
        return _HUNDRED
    return _HUNDRED - sum(rates, Decimal(0)) / Decimal(len(rates)) * _HUNDRED


def burn_rate(good: int, total: int, target: Decimal) -> Decimal:
    """How many times faster than allowed the error budget is being spent (1 = exactly on it)."""
    if total == 0:
        return Decimal(0)
    allowed = (_HUNDRED - target) / _HUNDRED
    if allowed == 0:
        return Decimal("Infinity") if good < total else Decimal(0)
    return (Decimal(total - good) / Decimal(total)) / allowed


def burn_alerts(
    instants: npt.ArrayLike,
    good: npt.ArrayLike,
    total: npt.ArrayLike,
    now: datetime,
    target: Decimal,
    alerts: Sequence[tuple[timedelta, timedelta, Decimal]] = WORKBOOK_ALERTS,
) -> list[tuple[timedelta, timedelta, Decimal, Decimal, Decimal, bool]]:
    """For each (long, short, threshold): both windows' burn rates and whether the alert fires
    (both at or above the threshold). Counts are per time slice starting at ``instants``."""
    at = np.asarray(instants).astype("datetime64[ns]").view(np.int64)
    g = np.asarray(good, dtype=np.int64)
    t = np.asarray(total, dtype=np.int64)
    moment = to_nanos(now)
    found = []
    for long, short, threshold in alerts:
        rates = []
        for span in (long, short):
            since = moment - span // timedelta(microseconds=1) * 1000
            here = (at >= since) & (at < moment)
            rates.append(burn_rate(int(g[here].sum()), int(t[here].sum()), target))
        found.append(
            (
                long,
                short,
                threshold,
                rates[0],
                rates[1],
                rates[0] >= threshold and rates[1] >= threshold,
            )
        )
    return found
