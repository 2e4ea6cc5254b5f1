"""A calendar's open time laid out as sorted UTC intervals with running totals.

Business time up to an instant, ``F(t)``, is a non-decreasing piecewise-linear function: it rises
one-for-one inside open intervals and stays flat while closed. With the intervals' starts, ends and
the business time before each one (``before``) in sorted arrays, ``F(t)`` is one binary search, so
``elapsed(a, b) = F(b) - F(a)`` costs the same for a one-hour span and a ten-year one, and a
deadline is the inverse search on the running totals. A :class:`Segment` covers a contiguous range
of years; calendars build segments lazily (see ``BusinessCalendar``).

Instants are integers: microseconds since the Unix epoch in the scalar lists (the resolution of
``datetime``), nanoseconds in the numpy arrays (the resolution of ``datetime64[ns]``). Both are
exact, so the scalar and batch forms agree to the microsecond.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Spans = tuple[I64, I64]  # sorted, disjoint, non-adjacent intervals: their starts and their ends
T = TypeVar("T", int, timedelta)
_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class Lists(Generic[T]):
    """A segment's figures in one unit: integer microseconds, or ``timedelta`` since the epoch.

    The scalar forms work on ``timedelta`` directly: subtracting the epoch from an aware datetime
    gives one, and skipping the conversion to an integer makes ``elapsed`` about 1.6 times faster.
    """

    starts: list[T]
    ends: list[T]
    before: list[T]
    upto: list[T]
    valid_from: T
    valid_to: T


@dataclass(frozen=True, eq=False)
class Segment:
    """Open intervals of local years ``first_year..last_year`` (by the local date each starts on).

    ``starts``/``ends`` are disjoint, sorted, non-adjacent UTC intervals (adjacent open time is
    merged); index 0 is an empty sentinel at the segment's origin so every search lands on an index.
    ``before[i]`` is the business time from the segment's start up to ``starts[i]``, and
    ``upto[i] = before[i] + ends[i] - starts[i]``. Answers are exact for instants in
    ``[valid_from, valid_to]``: no interval of a year outside the segment reaches in there.
    """

    first_year: int
    last_year: int
    valid_from: int
    valid_to: int
    starts: list[int] = field(repr=False)
    ends: list[int] = field(repr=False)
    before: list[int] = field(repr=False)
    upto: list[int] = field(repr=False)

    @classmethod
    def build(
        cls,
        first_year: int,
        last_year: int,
        origin: int,
        valid_from: int,
        valid_to: int,
        intervals: list[tuple[int, int]],
    ) -> Segment:
        """Merge raw ``(start, end)`` microsecond intervals (none before ``origin``)."""
        starts = [origin]
        ends = [origin]
        for start, end in sorted(intervals):
            if end <= start:
                continue  # an interval emptied by a DST gap
            if start <= ends[-1] and len(starts) > 1:
                if end > ends[-1]:
                    ends[-1] = end
                continue
            starts.append(start)
            ends.append(end)
        before = [0] * len(starts)
        upto = [0] * len(starts)
        total = 0
        for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
            before[i] = total
            total += end - start
            upto[i] = total
        return cls(first_year, last_year, valid_from, valid_to, starts, ends, before, upto)

    @cached_property
    def micros(self) -> Lists[int]:
        return Lists(self.starts, self.ends, self.before, self.upto, self.valid_from, self.valid_to)

    @cached_property
    def deltas(self) -> Lists[timedelta]:
        return Lists(
            [_US * x for x in self.starts],
            [_US * x for x in self.ends],
            [_US * x for x in self.before],
            [_US * x for x in self.upto],
            _US * self.valid_from,
            _US * self.valid_to,
        )

    def covers(self, low: int, high: int) -> bool:
        return self.valid_from <= low and high <= self.valid_to

    @property
    def total(self) -> int:
        return self.upto[-1]

    # numpy views for the batch forms, built on first batch use and kept with the segment

    @cached_property
    def fits_nanoseconds(self) -> bool:
        """Whether every instant and running total fits ``int64`` nanoseconds (years 1678-2261)."""
        return (
            self.starts[0] >= -_NS_LIMIT_US
            and self.ends[-1] <= _NS_LIMIT_US
            and self.total <= _NS_LIMIT_US
        )

    @property
    def valid_from_ns(self) -> int:
        return max(self.valid_from, -_NS_LIMIT_US) * 1000

    @property
    def valid_to_ns(self) -> int:
        return min(self.valid_to, _NS_LIMIT_US) * 1000

    @cached_property
    def starts_ns(self) -> I64:
        return np.asarray(self.starts, dtype=np.int64) * 1000

    @cached_property
    def ends_ns(self) -> I64:
        return np.asarray(self.ends, dtype=np.int64) * 1000

    @cached_property
    def before_ns(self) -> I64:
        return np.asarray(self.before, dtype=np.int64) * 1000

    @cached_property
    def upto_ns(self) -> I64:
        return np.asarray(self.upto, dtype=np.int64) * 1000

    @cached_property
    def find_start(self) -> SortedLookup:
        return SortedLookup(self.starts_ns)

    @cached_property
    def find_upto(self) -> SortedLookup:
        return SortedLookup(self.upto_ns)

    @cached_property
    def find_before(self) -> SortedLookup:
        return SortedLookup(self.before_ns)

    @cached_property
    def _after_ns(self) -> tuple[I64, I64]:
        # by ``right`` (one past the interval): business time before the interval's start,
        # less that start; and the interval's end
        base = self.before_ns - self.starts_ns
        return np.append(base[-1:], base), np.append(self.ends_ns[-1:], self.ends_ns)

    @cached_property
    def _micro_arrays(self) -> tuple[I64, I64, I64]:
        return (
            np.asarray(self.starts, dtype=np.int64),
            np.asarray(self.ends, dtype=np.int64),
            np.asarray(self.before, dtype=np.int64),
        )

    def business_before_us(self, instants: I64) -> I64:
        """``F(t)`` for each instant (microseconds, covered by the segment), from the origin."""
        starts, ends, before = self._micro_arrays
        i = np.maximum(np.searchsorted(starts, instants, side="right") - 1, 0)
        found: I64 = before[i] + np.minimum(instants, ends[i]) - starts[i]
        return found

    def spans(self, low: int, high: int) -> Spans:
        """The open intervals inside ``[low, high]`` (microseconds), clipped to it."""
        first = max(bisect_right(self.starts, low) - 1, 1)
        last = bisect_left(self.starts, high, lo=first)
        starts = np.maximum(np.asarray(self.starts[first:last], dtype=np.int64), low)
        ends = np.minimum(np.asarray(self.ends[first:last], dtype=np.int64), high)
        keep = ends > starts
        return starts[keep], ends[keep]

    def business_before_ns(self, instants: I64) -> I64:
        """``F(t)`` for each instant (nanoseconds, at or after the origin), from the origin."""
        base, ends = self._after_ns
        lookup = self.find_start
        result: I64 = np.empty(instants.shape, dtype=np.int64)
        flat, out = instants.reshape(-1), result.reshape(-1)
        below = lookup.any_below(flat)
        scratch = np.empty(min(len(flat), CHUNK), dtype=np.int64)
        for at in range(0, len(flat), CHUNK):
            queries, found = flat[at : at + CHUNK], out[at : at + CHUNK]
            spare = scratch[: len(queries)]
            right = lookup.walk(queries, spare, right=True, below=below)
            np.take(ends, right, out=found, mode="clip")  # in range: unbuffered
            np.minimum(found, queries, out=found)
            found += np.take(base, right, out=spare, mode="clip")
        return result


_NS_LIMIT_US = (2**63 - 1) // 1000 - 1
CHUNK = 65536  # batch lookups go in steps this long: a step's arrays stay in cache


class SortedLookup:
    """``np.searchsorted`` on fixed sorted keys, in a few vector steps instead of a binary search.

    The key range is cut into power-of-two buckets, about four per key; a table holds the answer
    at each bucket's start, and a query steps over the few keys inside its bucket. For the random
    instants of a data set this is several times faster than ``searchsorted``'s binary search.
    Answers are exact for any query.
    """

    def __init__(self, keys: I64) -> None:
        self.keys = keys
        self.low = int(keys[0])
        self.high = int(keys[-1])
        count = len(keys)
        width = max(1, (self.high - self.low) // (4 * count))
        self.shift = width.bit_length() - 1
        buckets = ((self.high - self.low) >> self.shift) + 1
        edges = self.low + (np.arange(buckets, dtype=np.int64) << self.shift)
        self._right = np.searchsorted(keys, edges, side="right")
        self._left = np.searchsorted(keys, edges, side="left")
        # keys strictly inside a bucket, plus the one at the next edge: the most steps a query takes
        self.steps = int(np.diff(np.append(self._left, count)).max(initial=0)) + 1
        self._padded = np.append(keys, np.iinfo(np.int64).max)

    def any_below(self, queries: I64) -> bool:
        return self.low > int(queries.min(initial=self.low))

    def walk(self, queries: I64, scratch: I64, *, right: bool, below: bool = True) -> I64:
        """The answers for ``queries`` (1-d), a new array; ``scratch`` (as long) is overwritten.
        ``below=False`` promises no query is below the first key."""
        np.clip(queries, self.low, self.high, out=scratch)
        scratch -= self.low
        scratch >>= self.shift
        found: I64 = np.take(self._right if right else self._left, scratch)
        step = np.empty(queries.shape, dtype=bool)
        compare = np.less_equal if right else np.less
        for _ in range(self.steps):
            np.take(self._padded, found, out=scratch, mode="clip")  # unbuffered; in range
            compare(scratch, queries, out=step)
            found += step
        if below:
            found[queries < self.low] = 0
        return found

    def _walk(self, queries: I64, *, right: bool) -> I64:
        # in cache-sized steps, on one scratch array: these run over millions of instants at
        # once, and a step's arrays stay in cache from one pass to the next
        flat = queries.reshape(-1)
        below = self.any_below(flat)
        result: I64 = np.empty(flat.shape, dtype=np.int64)
        scratch = np.empty(min(len(flat), CHUNK), dtype=np.int64)
        for at in range(0, len(flat), CHUNK):
            part = flat[at : at + CHUNK]
            result[at : at + CHUNK] = self.walk(
                part, scratch[: len(part)], right=right, below=below
            )
        return result.reshape(queries.shape)

    def right(self, queries: I64) -> I64:
        """``np.searchsorted(keys, queries, side="right")``."""
        return self._walk(queries, right=True)

    def left(self, queries: I64) -> I64:
        """``np.searchsorted(keys, queries, side="left")``."""
        return self._walk(queries, right=False)


# ---------------------------------------------------------------- interval algebra


def union_of(parts: Sequence[Spans]) -> Spans:
    """The instants inside any of ``parts`` (each sorted; they may overlap one another)."""
    none = np.empty(0, dtype=np.int64)
    times = np.concatenate([none, *(starts for starts, _ in parts), *(ends for _, ends in parts)])
    steps = np.concatenate(
        [none]
        + [np.ones(len(starts), dtype=np.int64) for starts, _ in parts]
        + [-np.ones(len(ends), dtype=np.int64) for _, ends in parts]
    )
    return _regions(times, steps, lambda level: level > 0)


def difference(kept: Spans, removed: Spans) -> Spans:
    """The instants of ``kept`` outside ``removed`` (each disjoint within itself)."""
    times = np.concatenate([kept[0], kept[1], removed[0], removed[1]])
    steps = np.concatenate(
        [
            np.ones(len(kept[0]), dtype=np.int64),
            -np.ones(len(kept[1]), dtype=np.int64),
            -np.ones(len(removed[0]), dtype=np.int64),
            np.ones(len(removed[1]), dtype=np.int64),
        ]
    )
    # inside kept and not removed is the one state where the level is 1
    return _regions(times, steps, lambda level: level == 1)


def _regions(times: I64, steps: I64, inside: Callable[[I64], npt.NDArray[np.bool_]]) -> Spans:
    """Where a step function that starts at 0 and moves by ``steps`` at ``times`` is ``inside``,
    as sorted intervals; touching ones are one, and every level returns to 0 at the end."""
    if times.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    order = np.argsort(times, kind="stable")
    times, steps = times[order], steps[order]
    edges, first = np.unique(times, return_index=True)
    now = inside(np.cumsum(np.add.reduceat(steps, first)))
    before = np.concatenate(([False], now[:-1]))
    return edges[now & ~before], edges[before & ~now]
