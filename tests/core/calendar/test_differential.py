"""Accord against its peers on the same inputs.

Where a peer is correct, results must be identical (random inputs, fixed seed). Where a peer is
wrong, a named test pins the class: Accord's answer, the peer's answer, and why the peer is wrong.
The adapters live in ``benchmarks/peers.py`` and are shared with ``benchmarks/calendar.py``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import peers
import pytest

from accord import BusinessCalendar

NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)
SPECS = {
    "office": {
        "timezone": "America/New_York",
        "hours": {"mon-fri": "09:00-17:00"},
        "holidays": {"dates": list(peers.OFFICE_HOLIDAYS)},
    },
    "night": {"timezone": "America/New_York", "hours": {"daily": "22:00-06:00"}},
    "always": {"timezone": "UTC", "hours": "24x7"},
    "night_us": {
        "timezone": "America/New_York",
        "hours": {"daily": "22:00-06:00"},
        "holidays": {"dates": list(peers.OFFICE_HOLIDAYS)},
    },
}
# peers.OFFICE_HOLIDAYS covers 2019-2031: keep inputs inside it
LOW = datetime(2020, 1, 1, tzinfo=NY)
HIGH = datetime(2031, 6, 1, tzinfo=NY)


def accord(name: str) -> BusinessCalendar:
    return BusinessCalendar.from_spec(SPECS[name])


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold)  # type: ignore[misc]


def random_instants(rng: random.Random, count: int, step_minutes: int = 1) -> list[datetime]:
    minutes = int((HIGH - LOW) / timedelta(minutes=1)) // step_minutes
    return [
        (LOW + timedelta(minutes=rng.randrange(minutes) * step_minutes)).astimezone(NY)
        for _ in range(count)
    ]


def random_pairs(
    rng: random.Random, count: int, max_span: timedelta
) -> list[tuple[datetime, datetime]]:
    starts = random_instants(rng, count)
    spans = [timedelta(minutes=rng.randrange(int(max_span / timedelta(minutes=1)))) for _ in starts]
    return [(a, a + s) for a, s in zip(starts, spans, strict=True)]


def random_durations(rng: random.Random, count: int, whole_hours: bool = False) -> list[timedelta]:
    if whole_hours:
        return [timedelta(hours=rng.randrange(1, 200)) for _ in range(count)]
    return [timedelta(minutes=rng.randrange(1, 200 * 60)) for _ in range(count)]


# ---------------------------------------------------------------- agreement where peers are correct


@pytest.mark.parametrize("name", ["office", "night", "always"])
def test_workclock_agrees_everywhere_without_night_holidays(name: str) -> None:
    rng = random.Random(f"workclock-{name}")
    ours, theirs = accord(name), peers.make("workclock", name)
    for a, b in random_pairs(rng, 400, timedelta(days=40)) + random_pairs(
        rng, 100, timedelta(days=3000)
    ):
        assert ours.elapsed(a, b) == peers.elapsed(theirs, a, b), (a, b)
        assert ours.elapsed(b, a) == peers.elapsed(theirs, b, a), (b, a)
    for start, duration in zip(random_instants(rng, 400), random_durations(rng, 400), strict=True):
        assert ours.add(start, duration) == peers.add(theirs, start, duration), (start, duration)


def _ns(moments: list[datetime]) -> np.ndarray:
    return np.array(
        [m.astimezone(UTC).replace(tzinfo=None) for m in moments], dtype="datetime64[ns]"
    )


def assert_same_batches(
    ours: BusinessCalendar, theirs: peers.PeerCal, rng: random.Random, both_ways: bool
) -> None:
    pairs = random_pairs(rng, 20_000, timedelta(days=400))
    starts, ends = _ns([a for a, _ in pairs]), _ns([b for _, b in pairs])
    directions = [(starts, ends), (ends, starts)] if both_ways else [(starts, ends)]
    for first, second in directions:
        assert np.array_equal(
            ours.elapsed_many(first, second).view(np.int64),
            peers.elapsed_many(theirs, first, second),
        )
    durations = np.array(random_durations(rng, len(pairs)), dtype="timedelta64[ns]")
    assert np.array_equal(
        ours.add_many(starts, durations).view(np.int64), peers.add_many(theirs, starts, durations)
    )


def assert_same_forward_answers(peer: str, count: int, max_span: timedelta) -> None:
    rng = random.Random(peer)
    ours, theirs = accord("office"), peers.make(peer, "office")
    for a, b in random_pairs(rng, count, max_span):
        assert ours.elapsed(a, b) == peers.elapsed(theirs, a, b), (a, b)
    starts, durations = random_instants(rng, count), random_durations(rng, count)
    for start, duration in zip(starts, durations, strict=True):
        assert ours.add(start, duration) == peers.add(theirs, start, duration), (start, duration)


@pytest.mark.parametrize("name", ["office", "night", "always"])
def test_workclock_batch_agrees_with_accord_batch(name: str) -> None:
    rng = random.Random(f"workclock-batch-{name}")
    assert_same_batches(accord(name), peers.make("workclock", name), rng, both_ways=False)


def test_numpy_busday_idiom_agrees_on_the_plain_office() -> None:
    rng = random.Random("numpy")
    assert_same_batches(accord("office"), peers.make("numpy", "office"), rng, both_ways=True)


def test_businesstimedelta_agrees_forward_on_day_hours() -> None:
    """Compared where it is right: end after start, positive durations, day (not night) hours."""
    assert_same_forward_answers("businesstimedelta", 60, timedelta(days=20))


def test_timegrid_agrees_forward_away_from_dst_nights() -> None:
    """timegrid has no zones and refuses end < start; compared on forward spans of day hours."""
    assert_same_forward_answers("timegrid", 150, timedelta(days=60))


def test_pandas_agrees_where_the_deadline_is_not_at_closing_time() -> None:
    """pandas adds whole business hours only, and rolls a deadline at 17:00 to 09:00 next day."""
    rng = random.Random("pandas")
    ours, theirs = accord("office"), peers.make("pandas", "office")
    compared = 0
    for start, duration in zip(
        random_instants(rng, 150), random_durations(rng, 150, whole_hours=True), strict=True
    ):
        deadline = ours.add(start, duration)
        if deadline.time() == datetime.min.time().replace(hour=17):
            continue  # the closing-time class, pinned below
        assert deadline == peers.add(theirs, start, duration), (start, duration)
        compared += 1
    assert compared > 100


# -------------------------------------------------- named classes where peers are wrong


def test_end_before_start_is_negative() -> None:
    """-13 h; businesstimedelta sorts its arguments (+13 h) and timegrid raises."""
    a, b = ny(2026, 3, 10, 15), ny(2026, 3, 9, 10)
    assert accord("office").elapsed(a, b) == -13 * H
    assert peers.elapsed(peers.make("businesstimedelta", "office"), a, b) == 13 * H
    with pytest.raises(ValueError, match="End must be greater"):
        peers.elapsed(peers.make("timegrid", "office"), a, b)


def test_deadline_exactly_at_closing_time() -> None:
    """16:00 + 1 h is 17:00 that day; pandas rolls onto the next morning's opening."""
    start = ny(2026, 3, 10, 16)
    assert accord("office").add(start, H) == ny(2026, 3, 10, 17)
    assert peers.add(peers.make("pandas", "office"), start, H) == ny(2026, 3, 11, 9)


def test_zero_duration_returns_the_start() -> None:
    """A zero target from closed time is due at once; businesstimedelta and pandas roll forward."""
    start = ny(2026, 3, 10, 7)
    assert accord("office").add(start, timedelta(0)) == start
    for peer in ("businesstimedelta", "pandas"):
        assert peers.add(peers.make(peer, "office"), start, timedelta(0)) == ny(2026, 3, 10, 9)


def test_overnight_shift() -> None:
    """A 22:00-06:00 night is 8 h; businesstimedelta counts 0 and adds into the next night."""
    nights, theirs = accord("night"), peers.make("businesstimedelta", "night")
    assert nights.elapsed(ny(2026, 3, 9, 22), ny(2026, 3, 10, 6)) == 8 * H
    assert peers.elapsed(theirs, ny(2026, 3, 9, 22), ny(2026, 3, 10, 6)) == timedelta(0)
    assert nights.add(ny(2026, 3, 9, 22), 4 * H) == ny(2026, 3, 10, 2)
    assert peers.add(theirs, ny(2026, 3, 9, 22), 4 * H) == ny(2026, 3, 11, 2)


def test_dst_nights_are_seven_and_nine_hours() -> None:
    """Wall-clock libraries (pandas, timegrid) count 8 h on the 7- and 9-hour nights."""
    nights = accord("night")
    spring, fall = (
        (ny(2026, 3, 7, 22), ny(2026, 3, 8, 6)),
        (ny(2026, 10, 31, 22), ny(2026, 11, 1, 6)),
    )
    assert nights.elapsed(*spring) == 7 * H
    assert nights.elapsed(*fall) == 9 * H
    for peer in ("pandas", "timegrid"):
        theirs = peers.make(peer, "night")
        assert peers.elapsed(theirs, *spring) == 8 * H
        assert peers.elapsed(theirs, *fall) == 8 * H


def test_holiday_under_a_night_shift_closes_the_shift_starting_on_it() -> None:
    """The shift starting 24 Dec 22:00 runs in full into Christmas; the one starting on Christmas
    evening is off. workclock and timegrid cut the calendar day instead (2 h, then 6 h)."""
    nights = accord("night_us")
    eve, christmas = (
        (ny(2026, 12, 24, 22), ny(2026, 12, 25, 6)),
        (ny(2026, 12, 25, 22), ny(2026, 12, 26, 6)),
    )
    assert nights.elapsed(*eve) == 8 * H
    assert nights.elapsed(*christmas) == timedelta(0)
    for peer in ("workclock", "timegrid"):
        theirs = peers.make(peer, "night_us")
        assert peers.elapsed(theirs, *eve) == 2 * H
        assert peers.elapsed(theirs, *christmas) == 6 * H


def test_repeated_dst_hour_respects_fold() -> None:
    """01:30 EDT to 01:30 EST is an hour of the night shift; fold-blind peers count 0."""
    first, second = ny(2026, 11, 1, 1, 30), ny(2026, 11, 1, 1, 30, fold=1)
    assert accord("night").elapsed(first, second) == H
    for peer in ("businesstimedelta", "pandas", "timegrid"):
        assert peers.elapsed(peers.make(peer, "night"), first, second) == timedelta(0)


def test_queries_past_the_last_loaded_holiday() -> None:
    """Accord lays holidays out lazily; businesstimedelta crashes past its last holiday."""
    a, b = ny(2040, 1, 2, 9), ny(2040, 1, 9, 9)
    assert accord("office").elapsed(a, b) == 40 * H
    with pytest.raises(TypeError):
        peers.elapsed(peers.make("businesstimedelta", "office"), a, b)
