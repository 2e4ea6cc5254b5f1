"""Ticket clocks at scale: a generated event log in Parquet, read by pyarrow alone (the floor)
and evaluated by Accord from the same file.

    .venv/bin/python benchmarks/clocks.py                    # 100,000 tickets
    .venv/bin/python benchmarks/clocks.py --tickets 1000000 --write /tmp/log.parquet
    .venv/bin/python benchmarks/clocks.py --log /tmp/log.parquet   # the issue's size, memory alone

The log is realistic in shape: priorities P1-P4 under examples/servicenow/agreement.yaml (response
and resolution by priority; a business calendar and business-day targets for P3/P4, 24x7 for
P1/P2), pauses on the customer and on a vendor, agent replies, priority changes, reopens. Prints
the floor, Accord's time, their ratio, and the peak memory of the process.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/calendar.py is named like the standard library's `calendar`: keep this folder off
# the import path
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import TypeVar  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from accord import load_agreement  # noqa: E402
from accord.core.clocks import all_clocks, calendars_of  # noqa: E402
from accord.core.clocks_batch import evaluate  # noqa: E402
from accord.io.tickets import read_event_columns, read_events  # noqa: E402

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
AGREEMENT = ROOT / "examples" / "servicenow" / "agreement.yaml"
PRIORITIES = ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"]


def generate(tickets: int, path: Path, seed: int = 20261126) -> int:
    """Write a log of ``tickets`` tickets; return the number of events."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 5, tzinfo=UTC).timestamp()
    columns: dict[str, list[object]] = {
        k: [] for k in ("id", "ticket", "at", "kind", "fields", "author")
    }

    def add(
        ticket: str, at: float, kind: str, fields: dict[str, str] | None, author: str | None
    ) -> None:
        columns["id"].append(f"{ticket}-{len(columns['id'])}")
        columns["ticket"].append(ticket)
        columns["at"].append(datetime.fromtimestamp(at, UTC))
        columns["kind"].append(kind)
        columns["fields"].append(fields)
        columns["author"].append(author)

    opened = start + rng.uniform(0, 300 * 86400, tickets)
    priorities = rng.choice(len(PRIORITIES), tickets, p=[0.05, 0.15, 0.6, 0.2])
    for n in range(tickets):
        ticket = f"T{n}"
        at = float(opened[n])
        add(
            ticket,
            at,
            "created",
            {
                "priority": PRIORITIES[priorities[n]],
                "status": "New",
                "team": f"team-{n % 40}",
                "service": "service-desk",
            },
            None,
        )
        at += rng.exponential(3600)
        add(ticket, at, "updated", {"status": "Active"}, None)
        add(ticket, at + 60, "comment", None, "agent")
        if rng.random() < 0.4:  # waiting on the customer, then back
            at += rng.exponential(4 * 3600)
            add(ticket, at, "updated", {"status": "Awaiting User Info"}, None)
            at += rng.exponential(20 * 3600)
            add(ticket, at, "comment", None, "customer")
            add(ticket, at + 30, "updated", {"status": "Active"}, None)
        if rng.random() < 0.1:
            at += rng.exponential(6 * 3600)
            add(ticket, at, "updated", {"status": "Awaiting Vendor"}, None)
            at += rng.exponential(30 * 3600)
            add(ticket, at, "updated", {"status": "Active"}, None)
        if rng.random() < 0.15:
            at += rng.exponential(3 * 3600)
            add(ticket, at, "updated", {"priority": PRIORITIES[max(0, priorities[n] - 1)]}, None)
        at += rng.exponential(10 * 3600)
        add(ticket, at, "updated", {"status": "Resolved"}, None)
        if rng.random() < 0.05:
            at += rng.exponential(3 * 86400)
            add(ticket, at, "updated", {"status": "Active"}, None)
            at += rng.exponential(8 * 3600)
            add(ticket, at, "updated", {"status": "Resolved"}, None)
    fields_type = pa.struct(
        [(name, pa.string()) for name in ("priority", "status", "team", "service")]
    )
    table = pa.table(
        {
            "id": pa.array(columns["id"], pa.string()),
            "ticket": pa.array(columns["ticket"], pa.string()),
            "at": pa.array(columns["at"], pa.timestamp("us", tz="UTC")),
            "kind": pa.array(columns["kind"], pa.string()),
            "fields": pa.array(columns["fields"], fields_type),
            "author": pa.array(columns["author"], pa.string()),
        }
    )
    pq.write_table(table, path)
    return table.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument(
        "--replay", action="store_true", help="also time the per-event replay (slow)"
    )
    parser.add_argument(
        "--log", type=Path, help="evaluate this Parquet log (written by --write) instead"
    )
    parser.add_argument("--write", type=Path, help="only generate the log into this file")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="threads for the clocks, like pyarrow's read (default: the machine's cores)",
    )
    args = parser.parse_args()
    agreement = load_agreement(AGREEMENT)
    calendars = calendars_of(agreement)
    as_of = datetime(2027, 1, 1, tzinfo=UTC)
    if args.write is not None:
        written = generate(args.tickets, args.write)
        print(f"wrote {args.tickets:,} tickets, {written:,} events to {args.write}")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = args.log or Path(folder) / "events.parquet"
        began = time.perf_counter()
        if args.log is None:
            events_written = generate(args.tickets, path)
        else:
            events_written = pq.read_metadata(path).num_rows
        print(
            f"log of {events_written:,} events ({path.stat().st_size / 1e6:.1f} MB)"
            + ("" if args.log else f", generated in {time.perf_counter() - began:.1f} s")
        )
        calendars["24x7"].elapsed(as_of - timedelta(days=800), as_of)  # lay the years out
        for calendar in calendars.values():
            calendar.elapsed(as_of - timedelta(days=800), as_of)
        floor = min(_timed(lambda: pq.read_table(path))[0] for _ in range(3))
        read, columns = _timed(lambda: read_event_columns(path))
        clocks_time, result = _timed(
            lambda: evaluate(columns, agreement.objectives, calendars, as_of, workers=args.workers)
        )
        total = read + clocks_time
        print(f"pyarrow read (floor):        {floor:8.2f} s")
        print(
            f"Accord batch evaluation:     {total:8.2f} s  (reading {read:.2f} s, clocks "
            f"{clocks_time:.2f} s on {args.workers} thread(s); {len(result.table):,} clocks in "
            f"columns, {len(result.replayed):,} replayed)"
        )
        print(f"ratio Accord / floor:        {total / floor:8.1f}x   (target: at most 5x)")
        print(f"events per second:           {events_written / total:12,.0f}")
        if args.replay:
            replay, _ = _timed(
                lambda: all_clocks(read_events(path), agreement.objectives, calendars, as_of)
            )
            print(
                f"per-event replay (reference): {replay:7.2f} s  ({replay / floor:.0f}x the floor)"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak memory of the process:  {peak:8.0f} MB   (target: 4096 MB at 1M tickets)")
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}, pyarrow {pa.__version__}")


def _timed(work: Callable[[], T]) -> tuple[float, T]:
    began = time.perf_counter()
    result = work()
    return time.perf_counter() - began, result


if __name__ == "__main__":
    main()
