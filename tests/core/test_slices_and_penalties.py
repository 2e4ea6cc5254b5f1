"""Availability from probes and requests, burn rates, fixed penalties and claim deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from accord import BusinessCalendar
from accord.core.agreement.model import Claim, Penalty
from accord.core.credits import claim_deadline, penalty
from accord.core.slices import (
    burn_alerts,
    burn_rate,
    occurrences,
    ratio_slices,
    slice_availability,
    slice_availability_many,
)

DAY = (datetime(2026, 4, 14, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC))  # 1,440 minutes


def probes(
    minutes_down: set[int], missing: set[int] = frozenset()
) -> tuple[np.ndarray, np.ndarray]:
    """Two probes a minute (at :00 and :30) over the day; both fail in the minutes down."""
    at, ok = [], []
    for minute in range(1440):
        if minute in missing:
            continue
        for second in (0, 30):
            at.append(np.datetime64("2026-04-14T00:00") + np.timedelta64(minute * 60 + second, "s"))
            ok.append(minute not in minutes_down)
    return np.array(at, dtype="datetime64[ns]"), np.array(ok)


def test_bad_slices_count_as_down() -> None:
    at, ok = probes(set(range(100, 130)))
    result = slice_availability(at, ok, *DAY)
    assert (result.good, result.bad, result.counted, result.down) == (1410, 30, 1440, 30)
    assert result.percent == Decimal(1410) / Decimal(1440) * 100
    assert result.downtime == timedelta(minutes=30)


def test_a_slice_with_half_its_probes_failing_against_a_threshold() -> None:
    at, ok = probes(set())
    ok[::2][:10] = False  # the :00 probe fails in the first 10 minutes
    assert slice_availability(at, ok, *DAY).bad == 10  # 100% of probes must pass by default
    assert slice_availability(at, ok, *DAY, threshold=Decimal(50)).bad == 0


@pytest.mark.parametrize(
    ("unknown", "counted", "down"), [("excluded", 1380, 0), ("up", 1440, 0), ("down", 1440, 60)]
)
def test_slices_without_data_are_never_silently_up(unknown: str, counted: int, down: int) -> None:
    at, ok = probes(set(), missing=set(range(600, 660)))
    result = slice_availability(at, ok, *DAY, unknown=unknown)  # type: ignore[arg-type]
    assert (result.unknown, result.counted, result.down) == (60, counted, down)


def test_only_runs_of_consecutive_bad_slices_count_when_asked() -> None:
    at, ok = probes({10, 11, 12, 13, 14, 50, 51, 90})
    assert slice_availability(at, ok, *DAY, bad_run=5).down == 5
    assert slice_availability(at, ok, *DAY, bad_run=2).down == 7


def test_only_slices_in_the_window_count() -> None:
    prime = BusinessCalendar.from_spec({"timezone": "UTC", "hours": {"daily": "08:00-18:00"}})
    at, ok = probes(set(range(0, 60)) | set(range(600, 610)))  # 00:00-01:00 and 10:00-10:10
    result = slice_availability(at, ok, *DAY, window=prime)
    assert (result.counted, result.down) == (600, 10)


def test_occurrences_and_ratio_slices() -> None:
    assert occurrences(999, 1000) == Decimal("99.9")
    assert occurrences(0, 0) == 100
    with pytest.raises(ValueError, match="good <= total"):
        occurrences(5, 4)
    # S3: the mean of five-minute error rates, not the overall ratio
    assert ratio_slices([90, 1000], [100, 1000]) == Decimal(95)
    assert ratio_slices([0], [0]) == 100


def test_burn_rates_and_the_workbook_alerts() -> None:
    assert burn_rate(999, 1000, Decimal("99.9")) == 1  # spending exactly the budget
    assert burn_rate(980, 1000, Decimal("99.9")) == 20
    now = datetime(2026, 4, 14, 12, tzinfo=UTC)
    minutes = np.arange(-72 * 60, 0)
    at = (np.datetime64("2026-04-14T12:00") + minutes.astype("timedelta64[m]")).astype(
        "datetime64[ns]"
    )
    total = np.full(len(minutes), 1000)
    good = np.where(minutes >= -30, 970, 1000)  # 3% errors for the last half hour
    alerts = burn_alerts(at, good, total, now, Decimal("99.9"))
    fast, medium, slow = alerts
    assert fast[3] == 15
    assert fast[4] == 30
    assert fast[5] is True
    assert medium[4] == 30
    assert medium[5] is False
    assert slow[3] < 1
    assert slow[5] is False  # 3 days at 0.21x: the slow alert needs both windows at 1x or more


def test_isp_over_its_annual_downtime_threshold() -> None:
    rule = Penalty.model_validate(
        {
            "objective": "availability",
            "amount": {"amount": "50", "currency": "EUR"},
            "per": "hour",
            "beyond": "8h",
            "period": "year",
        }
    )
    amount, reason = penalty(rule, timedelta(hours=12, minutes=30))
    assert amount == Decimal("225.00")
    assert "12h30m of downtime, 8h allowed a year: 4.5 hour(s) over at 50 EUR" in reason
    assert penalty(rule, timedelta(hours=7))[0] == 0


def test_claim_deadlines() -> None:
    end_of_october = datetime(2026, 11, 1, tzinfo=UTC)
    assert claim_deadline(Claim.model_validate({"window": "30d"}), end_of_october) == datetime(
        2026, 12, 1, tzinfo=UTC
    )
    assert claim_deadline(Claim.model_validate({"billing_cycles": 2}), end_of_october) == datetime(
        2027, 1, 1, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("threshold", "unknown", "bad_run", "windowed", "length", "chunk"),
    [
        (Decimal(100), "excluded", 1, False, 1, None),
        (Decimal(50), "down", 1, True, 1, 1000),
        (Decimal("66.7"), "up", 3, True, 5, None),
        (Decimal(100), "down", 4, False, 2, 4096),
        (Decimal(101), "excluded", 1, False, 1, None),
    ],
)
def test_many_services_equal_one_at_a_time(
    threshold: Decimal,
    unknown: str,
    bad_run: int,
    windowed: bool,
    length: int,
    chunk: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Random probes of five services, shuffled, some outside the period, with failure bursts
    and gaps: the column-wise table equals ``slice_availability`` service by service (also
    when its samples are taken in several steps)."""
    from accord.core import slices

    if chunk is not None:
        monkeypatch.setattr(slices, "_CHUNK", chunk)
    rng = np.random.default_rng(int(threshold) + bad_run)
    services = ["a", "b", "c", "d", "e"]
    samples = 30_000
    code = rng.integers(0, len(services) - 1, samples)  # "e" has no sample at all
    start = np.datetime64("2026-04-13T22:00", "ns")
    at = start + rng.integers(0, 28 * 3600 * 10**9, samples).astype("timedelta64[ns]")
    minute = (at - start).astype("timedelta64[m]").astype(np.int64)
    ok = (rng.random(samples) < 0.97) & ~((minute % 97 < 16) & (code == minute // 97 % 4))
    gap = (minute % 151 < 9) & (code == 1)
    code, at, ok = code[~gap], at[~gap], ok[~gap]
    window = (
        BusinessCalendar.from_spec({"timezone": "Europe/Berlin", "hours": {"daily": "08:00-20:00"}})
        if windowed
        else None
    )
    options = {
        "window": window,
        "slice_length": timedelta(minutes=length),
        "threshold": threshold,
        "unknown": unknown,
        "bad_run": bad_run,
    }
    table = slice_availability_many(services, code, at, ok, *DAY, **options)  # type: ignore[arg-type]
    for index in range(len(services)):
        mine = code == index
        one = slice_availability(at[mine], ok[mine], *DAY, **options)  # type: ignore[arg-type]
        assert table.result(index) == one, services[index]
    assert table.result(4).good == 0
