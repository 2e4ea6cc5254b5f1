"""Availability at scale: a year of outages and maintenance for 10,000 services in Parquet, read
by pyarrow alone (the floor) and evaluated by Accord in a business-hours window.

    .venv/bin/python benchmarks/availability.py                # 10,000 services, ~1M intervals

Prints the floor, Accord's time (reading the columns and computing every service's availability
in exact decimals), and their ratio (the issue's target: at most 3x).
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/calendar.py is named like the standard library's `calendar`: keep this folder off
# the import path
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from accord import BusinessCalendar  # noqa: E402
from accord.core.availability import availability_many  # noqa: E402

YEAR = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def generate(services: int, path: Path, seed: int = 7) -> int:
    rng = np.random.default_rng(seed)
    outages, works = 90, 10
    first = np.datetime64("2026-01-01", "ns").astype(np.int64)
    span = 365 * 86400 * 10**9
    n = services * (outages + works)
    service = np.repeat(np.arange(services), outages + works)
    start = first + rng.integers(0, span, n)
    length = np.where(
        np.tile(np.arange(outages + works) < outages, services),
        rng.exponential(40 * 60, n),
        rng.exponential(3 * 3600, n),
    ).astype(np.int64)
    kind = np.tile(
        np.where(np.arange(outages + works) < outages, "outage", "maintenance"), services
    )
    impact = np.where(rng.random(n) < 0.2, 0.5, 1.0)
    table = pa.table(
        {
            "service": pa.array([f"svc-{i:05d}" for i in service.tolist()], pa.string()),
            "kind": pa.array(kind.tolist(), pa.string()),
            "start": pa.array(start, pa.timestamp("ns", tz="UTC")),
            "end": pa.array(start + length * 10**9, pa.timestamp("ns", tz="UTC")),
            "impact": pa.array(impact, pa.float64()),
        }
    )
    pq.write_table(table, path)
    return n


def evaluate(path: Path, window: BusinessCalendar) -> tuple[int, float]:
    table = pq.read_table(path)
    encoded = pc.dictionary_encode(table["service"]).combine_chunks()
    services = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    outage = table["kind"].to_numpy(zero_copy_only=False) == "outage"
    start = table["start"].to_numpy().astype("datetime64[ns]").view(np.int64)
    end = table["end"].to_numpy().astype("datetime64[ns]").view(np.int64)
    weight = np.rint(table["impact"].to_numpy() * 1000).astype(np.int64)
    result = availability_many(
        services,
        codes[outage],
        start[outage],
        end[outage],
        weight[outage],
        codes[~outage],
        start[~outage],
        end[~outage],
        window,
        *YEAR,
    )
    percents = [result.percent(i) for i in range(len(services))]
    return len(percents), float(min(percents))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    args = parser.parse_args()
    window = BusinessCalendar.from_spec(
        {
            "timezone": "America/New_York",
            "hours": {"mon-fri": "09:00-17:00"},
            "holidays": {"country": "US"},
        }
    )
    window.elapsed(*YEAR)  # lay the year out first, as a service would
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "intervals.parquet"
        rows = generate(args.services, path)
        floor = min(_timed(lambda: pq.read_table(path)) for _ in range(3))
        began = time.perf_counter()
        services, worst = evaluate(path, window)
        took = time.perf_counter() - began
    print(f"{args.services:,} services, {rows:,} intervals (a year; business-hours window)")
    print(f"pyarrow read (floor):     {floor:7.2f} s")
    print(f"Accord read + evaluation: {took:7.2f} s  ({services:,} services; worst {worst:.3f}%)")
    print(f"ratio Accord / floor:     {took / floor:7.1f}x   (target: at most 3x)")


def _timed(work: object) -> float:
    began = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - began


if __name__ == "__main__":
    main()
