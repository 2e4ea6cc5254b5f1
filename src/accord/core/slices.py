"""Availability from measurements: probe samples in time slices, request counts, burn rates.

* **Time slices** (probes): the period is cut into slices (one minute by default); a slice with
  samples is good when its share of ok samples reaches the threshold, bad otherwise; a slice with
  no sample is *unknown*, and the agreement says whether unknown counts as up, down, or is left
  out — never silently up. Optionally only runs of N consecutive bad slices count as down (as
  GCP's "downtime periods"). Only slices that start while the window's calendar is open count.
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
from typing import Literal

import numpy as np
import numpy.typing as npt

from accord.core.calendar import BusinessCalendar, to_nanos

_HUNDRED = Decimal(100)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Unknown = Literal["up", "down", "excluded"]
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
) -> SliceAvailability:
    """Availability of ``[start, end)`` from probe samples (UTC ``datetime64`` and ok flags).

    A slice is good when at least ``threshold`` percent of its samples are ok. With ``bad_run``
    above 1, only runs of that many consecutive bad slices count as down.
    """
    at = np.asarray(instants).astype("datetime64[ns]").view(np.int64)
    passed = np.asarray(ok, dtype=bool)
    first, length = to_nanos(start), slice_length // timedelta(microseconds=1) * 1000
    count = -(-(to_nanos(end) - first) // length)
    inside = (at >= first) & (at < to_nanos(end))
    index = (at[inside] - first) // length
    total = np.bincount(index, minlength=count)
    good_samples = np.bincount(index, weights=passed[inside], minlength=count).astype(np.int64)
    known = total > 0
    # good: good_samples / total >= threshold / 100, compared in integers
    numerator, denominator = threshold.as_integer_ratio()
    is_good = known & (good_samples * 100 * denominator >= total * numerator)
    is_bad = known & ~is_good
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
    down = is_bad.copy()
    if bad_run > 1:
        down = _runs_of(is_bad, bad_run)
    unknown_here = ~known & open_
    if unknown == "down":
        down |= ~known
    counted = open_ if unknown != "excluded" else open_ & known
    return SliceAvailability(
        good=int((is_good & open_).sum()),
        bad=int((is_bad & open_).sum()),
        unknown=int(unknown_here.sum()),
        counted=int(counted.sum()),
        down=int((down & counted).sum()),
        slice=slice_length,
    )


def _runs_of(flags: npt.NDArray[np.bool_], length: int) -> npt.NDArray[np.bool_]:
    """Flags that belong to a run of at least ``length`` consecutive true flags."""
    padded = np.concatenate(([False], flags, [False]))
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    starts, stops = changes[::2], changes[1::2]
    result = np.zeros(len(flags), dtype=bool)
    for begin, finish in zip(starts.tolist(), stops.tolist(), strict=True):
        if finish - begin >= length:
            result[begin:finish] = True
    return result


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
