"""Availability at scale, each half against reading the same Parquet file with pyarrow alone
(the floor; the issue's target: Accord's read and evaluation at most 3x the floor).

1. Intervals: a year of outages and maintenance for 10,000 services (~1M intervals), evaluated
   in a business-hours window (``availability_many``).
2. Probes: a year of one-minute probe samples for 100 services (~52.6M samples), evaluated as
   one-minute slices around the clock (``slice_availability_many``).
3. Reports (``--part reports``): the period report (``evaluate``) of every example agreement
   with availability from outages, over a year of generated outages and maintenance on its
   services (``--outages`` of them, 10,000 and 100,000 by default): one month (2026-06) and
   a 12-month trend (one report a month, one cache, as ``accord report --trend`` makes them),
   CPU (``time.process_time``) and wall time, best of ``--runs``. With ``--check`` each
   agreement's months are also judged by the scalar engine (``engine="replay"``), and the run
   stops unless both give the same objectives, settlement and penalties. Run it with
   ``PYTHONPATH`` set to an older ``src`` for "before" (``--check`` needs this branch).

    .venv/bin/python benchmarks/availability.py                  # both halves
    .venv/bin/python benchmarks/availability.py --part intervals --services 10000
    .venv/bin/python benchmarks/availability.py --part probes --probe-services 100
    .venv/bin/python benchmarks/availability.py --part reports --outages 10000 100000 --check

Prints the floor, Accord's time (reading the columns and computing every service's availability
in exact decimals), and their ratio; the best of several runs of each.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/calendar.py is named like the standard library's `calendar`: keep this folder off
# the import path
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from accord import BusinessCalendar  # noqa: E402
from accord.core.availability import (  # noqa: E402
    MaintenanceWindow,
    Outage,
    availability_many,
)
from accord.core.slices import slice_availability_many  # noqa: E402

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
    # service and kind as dictionaries: their codes are what the evaluation needs
    table = pq.read_table(path, read_dictionary=["service", "kind"])
    encoded = table["service"].combine_chunks()
    services = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy()
    kind = table["kind"].combine_chunks()
    outage = kind.indices.to_numpy() == kind.dictionary.to_pylist().index("outage")
    start = table["start"].to_numpy().view(np.int64)
    end = table["end"].to_numpy().view(np.int64)
    weight = np.rint(table["impact"].to_numpy() * 1000).astype(np.int64)
    result = availability_many(services, codes, start, end, weight, ~outage, window, *YEAR)
    percents = result.percents()
    return len(percents), float(min(percents))


def generate_probes(services: int, path: Path, seed: int = 7) -> int:
    """One probe a minute per service for a year, at a jittered second; failures in bursts
    (about 60 a service, 1 to 30 minutes), 0.1% of samples lost. Grouped by service, in time
    order, as a monitoring export is; written one service per row group."""
    rng = np.random.default_rng(seed)
    minutes = 365 * 1440
    first = np.datetime64("2026-01-01", "ns").astype(np.int64)
    names = pa.array([f"probe-{i:03d}" for i in range(services)], pa.string())
    schema = pa.schema(
        [
            ("service", pa.dictionary(pa.int32(), pa.string())),
            ("at", pa.timestamp("ns", tz="UTC")),
            ("ok", pa.bool_()),
        ]
    )
    rows = 0
    with pq.ParquetWriter(path, schema) as writer:
        for service in range(services):
            at = first + np.arange(minutes, dtype=np.int64) * 60 * 10**9
            at += rng.integers(0, 60 * 10**9, minutes)
            down = np.zeros(minutes + 1, dtype=np.int64)
            starts = rng.integers(0, minutes - 30, 60)
            np.add.at(down, starts, 1)
            np.add.at(down, starts + rng.integers(1, 31, 60), -1)
            ok = np.cumsum(down)[:-1] == 0
            kept = rng.random(minutes) >= 0.001
            at, ok = at[kept], ok[kept]
            indices = pa.array(np.full(len(at), service, dtype=np.int32))
            writer.write_table(
                pa.table(
                    {
                        "service": pa.DictionaryArray.from_arrays(indices, names),
                        "at": pa.array(at, pa.timestamp("ns", tz="UTC")),
                        "ok": pa.array(ok),
                    },
                    schema=schema,
                )
            )
            rows += len(at)
    return rows


def evaluate_probes(path: Path) -> tuple[int, float]:
    table = pq.read_table(path)
    encoded = table["service"].unify_dictionaries().combine_chunks()
    services = encoded.dictionary.to_pylist()
    result = slice_availability_many(
        services,
        encoded.indices.to_numpy(),
        table["at"].to_numpy(),  # datetime64[ns], one copy of the chunks
        table["ok"].to_numpy(),
        *YEAR,
        unknown="excluded",
    )
    percents = [result.percent(i) for i in range(len(services))]
    return len(percents), float(min(percents))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", choices=["intervals", "probes", "both", "reports"], default="both"
    )
    parser.add_argument("--outages", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--agreements", nargs="*", help="example agreements (default: all)")
    parser.add_argument("--check", action="store_true", help="against the scalar engine")
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--probe-services", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    if args.part == "reports":
        reports(args.outages, args.agreements, args.runs, args.check)
        return
    with tempfile.TemporaryDirectory() as folder:
        if args.part in ("intervals", "both"):
            intervals(Path(folder) / "intervals.parquet", args.services, args.runs)
        if args.part in ("probes", "both"):
            probes(Path(folder) / "probes.parquet", args.probe_services, args.runs)


def intervals(path: Path, count: int, runs: int) -> None:
    window = BusinessCalendar.from_spec(
        {
            "timezone": "America/New_York",
            "hours": {"mon-fri": "09:00-17:00"},
            "holidays": {"country": "US"},
        }
    )
    window.elapsed(*YEAR)  # lay the year out first, as a service would
    rows = generate(count, path)
    as_codes = min(
        _timed(lambda: pq.read_table(path, read_dictionary=["service", "kind"]))
        for _ in range(runs)
    )
    floor, took, ratio = _paired(lambda: pq.read_table(path), lambda: evaluate(path, window), runs)
    services, worst = evaluate(path, window)
    print(f"{count:,} services, {rows:,} intervals (a year; business-hours window)")
    print(f"pyarrow read (floor):     {floor:7.3f} s   (best of {runs})")
    print(f"  (strings as dictionary: {as_codes:7.3f} s)")
    print(f"Accord read + evaluation: {took:7.3f} s   ({services:,} services; worst {worst:.3f}%)")
    print(
        f"ratio Accord / floor:     {ratio:7.1f}x   (target: at most 3x; "
        f"{took / as_codes:.1f}x the dictionary read)"
    )


def probes(path: Path, count: int, runs: int) -> None:
    began = time.perf_counter()
    rows = generate_probes(count, path)
    made = time.perf_counter() - began
    floor, took, ratio = _paired(lambda: pq.read_table(path), lambda: evaluate_probes(path), runs)
    services, worst = evaluate_probes(path)
    print(
        f"{count:,} services, {rows:,} probe samples (a year of one-minute slices, 24x7; "
        f"written in {made:.0f} s, {path.stat().st_size / 2**20:.0f} MiB)"
    )
    print(f"pyarrow read (floor):     {floor:7.3f} s   (best of {runs})")
    print(f"Accord read + evaluation: {took:7.3f} s   ({services:,} services; worst {worst:.3f}%)")
    print(f"ratio Accord / floor:     {ratio:7.1f}x   (target: at most 3x)")


def generate_records(
    services: list[str], count: int, seed: int = 7
) -> tuple[list[Outage], list[MaintenanceWindow]]:
    """``count`` outages over 2026 on ``services`` (20% partial, 5% customer-caused, 2% still
    open), and one maintenance window per 50 outages, most announced two days ahead."""
    rng = np.random.default_rng(seed)
    span = 365 * 86400
    first = YEAR[0]
    starts = rng.integers(0, span, count).tolist()
    lengths = rng.exponential(40 * 60, count).astype(np.int64).tolist()
    names = rng.integers(0, len(services), count).tolist()
    partial = (rng.random(count) < 0.2).tolist()
    customer = (rng.random(count) < 0.05).tolist()
    still_open = (rng.random(count) < 0.02).tolist()
    outages = [
        Outage(
            services[names[i]],
            first + timedelta(seconds=starts[i]),
            None if still_open[i] else first + timedelta(seconds=starts[i] + lengths[i] + 1),
            Decimal("0.5") if partial[i] else Decimal(1),
            "customer" if customer[i] else "provider",
            f"INC-{i}",
        )
        for i in range(count)
    ]
    works = []
    for i in range(max(1, count // 50)):
        at = first + timedelta(seconds=int(rng.integers(0, span)))
        ahead = timedelta(days=2) if rng.random() < 0.8 else timedelta(hours=3)
        works.append(
            MaintenanceWindow(
                services[int(rng.integers(0, len(services)))],
                at,
                at + timedelta(hours=float(rng.uniform(0.5, 4))),
                at - ahead,
                f"CHG-{i}",
            )
        )
    return outages, works


def reports(counts: list[int], names: list[str] | None, runs: int, check: bool) -> None:
    """Each example agreement with availability from outages: a month and a 12-month trend."""
    import os

    from accord import load_agreement
    from accord.core.agreement.model import Agreement
    from accord.core.evidence import Data
    from accord.core.report import ClockCache, evaluate

    root = HERE.parent / "examples" / "agreements"
    paths = sorted(root.rglob("*.yaml")) if not names else [Path(n) for n in names]
    months = [
        (datetime(2026, m, 1, tzinfo=UTC), datetime(2026 + m // 12, m % 12 + 1, 1, tzinfo=UTC))
        for m in range(1, 13)
    ]
    print(f"load average before: {os.getloadavg()}")
    for path in paths:
        try:
            agreement = load_agreement(path)
        except Exception:  # a part of a multi-level chain that does not stand alone
            continue
        timed = [
            o for o in agreement.objectives if o.metric == "availability" and o.method == "time"
        ]
        if not timed:
            continue
        scoped = {s for o in timed for s in o.scope.get("service", ())}
        services = sorted({s.id for s in agreement.services} | scoped) or ["everything"]
        for count in counts:
            outages, works = generate_records(services, count)
            data = Data(outages=tuple(outages), maintenance=tuple(works), observed=YEAR)

            def month(agreement: Agreement = agreement, data: Data = data) -> object:
                return evaluate(agreement, data, *months[5])

            def trend(agreement: Agreement = agreement, data: Data = data) -> object:
                cache = ClockCache()
                return [evaluate(agreement, data, a, b, cache=cache) for a, b in months]

            for label, work in (("month", month), ("trend", trend)):
                cpu, wall = _best(work, runs)
                print(
                    f"{path.name}: {count:,} outages, {len(timed)} availability "
                    f"objective(s), {label:5}: CPU {cpu:7.3f} s, wall {wall:7.3f} s"
                )
            if check:
                for a, b in months:
                    mine = evaluate(agreement, data, a, b)
                    theirs = evaluate(agreement, data, a, b, engine="replay")
                    same = (mine.objectives, mine.settlement, mine.penalties) == (
                        theirs.objectives,
                        theirs.settlement,
                        theirs.penalties,
                    )
                    if not same:
                        raise SystemExit(f"{path}: {a:%Y-%m} differs from the scalar engine")
                print("  12 months the same as the scalar engine's (objectives, credits)")
    print(f"load average after: {os.getloadavg()}")


def _best(work: Callable[[], object], runs: int) -> tuple[float, float]:
    """The best CPU time (this process, ``time.process_time``) and wall time of ``runs``."""
    cpu, wall = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    return min(cpu), min(wall)


def _paired(
    floor: Callable[[], object], accord: Callable[[], object], runs: int
) -> tuple[float, float, float]:
    """The best time of each, and the median ratio of runs taken in pairs (floor, then Accord),
    so that a busy moment of a shared machine weighs on both sides of a ratio."""
    pairs = [(_timed(floor), _timed(accord)) for _ in range(runs)]
    return (
        min(f for f, _ in pairs),
        min(a for _, a in pairs),
        statistics.median(a / f for f, a in pairs),
    )


def _timed(work: object) -> float:
    began = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - began


if __name__ == "__main__":
    main()
