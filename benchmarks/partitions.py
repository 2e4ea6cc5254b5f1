"""A log larger than memory: generated in chunks, rewritten into buckets of whole tickets,
evaluated a bucket at a time (one process, or Dask's local schedulers), with the peak memory
of each step measured in its own process.

    .venv/bin/python benchmarks/partitions.py --tickets 2000000 --buckets 64 --dir /tmp/p2m
    .venv/bin/python benchmarks/partitions.py --dir /tmp/p2m --skip-generate --runner dask

Steps, each in a fresh process (its peak resident memory is its own, from getrusage):

1. generate: ``benchmarks/clocks.py``'s log (P1-P4 under examples/servicenow/agreement.yaml:
   the same events per ticket and distributions, drawn with numpy a column at a time),
   ``--chunk`` tickets at a time, each chunk written to one Parquet file as it is drawn
   (tickets named per chunk; memory: one chunk, at any number of tickets);
2. partition: ``accord.io.partitions.partition_log`` into ``--buckets`` buckets;
3. evaluate: ``evaluate_partitioned`` (attainment per objective and priority), and, with
   ``--whole``, the whole log at once as ``accord clocks`` evaluates it, for comparison.

Prints time, peak memory, the largest bucket and the bytes of kept durations.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))  # benchmarks.clocks, as a package

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

ROOT = HERE.parent
AGREEMENT = ROOT / "examples" / "servicenow" / "agreement.yaml"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# the events of one ticket, in order: (kind, status, author) of each slot, and which of the
# benchmarks/clocks.py generator's random branches it belongs to (None: always there)
SLOTS = [
    ("created", "New", None, None),
    ("updated", "Active", None, None),
    ("comment", None, "agent", None),
    ("updated", "Awaiting User Info", None, "customer"),  # waiting on the customer, then back
    ("comment", None, "customer", "customer"),
    ("updated", "Active", None, "customer"),
    ("updated", "Awaiting Vendor", None, "vendor"),
    ("updated", "Active", None, "vendor"),
    ("updated", None, None, "priority"),  # one priority up
    ("updated", "Resolved", None, None),
    ("updated", "Active", None, "reopen"),
    ("updated", "Resolved", None, "reopen"),
]
BRANCHES = {"customer": 0.4, "vendor": 0.1, "priority": 0.15, "reopen": 0.05}


def chunk_of(tickets: int, prefix: str, seed: int) -> Any:
    """``benchmarks/clocks.py``'s log (the same events per ticket, the same distributions of
    delays and branches), drawn with numpy a column at a time instead of a ticket at a time:
    ticket ``T<n>`` named ``<prefix>T<n>``, events in ticket order."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from benchmarks.clocks import PRIORITIES

    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 5, tzinfo=UTC).timestamp()
    opened = start + rng.uniform(0, 300 * 86400, tickets)
    priority = rng.choice(len(PRIORITIES), tickets, p=[0.05, 0.15, 0.6, 0.2])
    taken = {name: rng.random(tickets) < p for name, p in BRANCHES.items()}
    hour = 3600.0
    present = np.ones((tickets, len(SLOTS)), dtype=bool)
    for j, (_, _, _, branch) in enumerate(SLOTS):
        if branch is not None:
            present[:, j] = taken[branch]
    # the cursor moves by these delays (seconds) at the slots present, as clocks.generate
    # advances it; the agent's reply (a minute after) and the status set back after the
    # customer's answer (30 s after) do not move it
    delays = {1: 1, 3: 4, 4: 20, 6: 6, 7: 30, 8: 3, 9: 10, 10: 72, 11: 8}  # mean, hours
    advance = np.zeros((tickets, len(SLOTS)))
    for j, hours in delays.items():
        advance[:, j] = np.where(present[:, j], rng.exponential(hours * hour, tickets), 0.0)
    at = opened[:, None] + np.cumsum(advance, axis=1)
    at[:, 2] += 60
    at[:, 5] += 30
    rows, slot = np.nonzero(present)  # ticket-major: each ticket's events together, in order
    micros = np.round(at[rows, slot] * 1e6).astype(np.int64)
    count = len(rows)

    def pick(values: list[str | None], codes: Any) -> Any:
        """The string column of ``values[code]`` for each code (None: a missing value)."""
        return pc.take(pa.array(values, pa.string()), pa.array(codes))

    kinds = ["created", "updated", "comment"]
    kind = pick(kinds, np.array([kinds.index(s[0]) for s in SLOTS])[slot])
    statuses = [s[1] for s in SLOTS]
    status = pick(statuses, slot)
    author = pick([s[2] for s in SLOTS], slot)
    raised = np.maximum(0, priority - 1)
    level = np.where(slot == 0, priority[rows], np.where(slot == 8, raised[rows], -1))
    priorities = pa.array([*PRIORITIES, None], pa.string())
    priority_column = pc.take(priorities, pa.array(np.where(level < 0, len(PRIORITIES), level)))
    first = slot == 0
    team = pc.take(
        pa.array([*(f"team-{i}" for i in range(40)), None], pa.string()),
        pa.array(np.where(first, rows % 40, 40)),
    )
    service = pc.take(pa.array(["service-desk", None]), pa.array(np.where(first, 0, 1)))
    fields = pa.StructArray.from_arrays(
        [priority_column, status, team, service],
        names=["priority", "status", "team", "service"],
        mask=pa.array(np.isin(slot, [2, 4])),  # a comment carries no fields
    )
    ticket = pc.binary_join_element_wise(prefix + "T", pc.cast(pa.array(rows), pa.string()), "")
    ids = pc.binary_join_element_wise(ticket, pc.cast(pa.array(np.arange(count)), pa.string()), "-")
    return pa.table(
        {
            "id": ids,
            "ticket": ticket,
            "at": pa.array(micros, pa.timestamp("us", tz="UTC")),
            "kind": kind,
            "fields": fields,
            "author": author,
        }
    )


def generate(tickets: int, chunk: int, path: Path) -> dict[str, float]:
    """The log, ``chunk`` tickets at a time, each chunk written as row groups as it is drawn
    (memory: one chunk, whatever the number of tickets)."""
    import pyarrow.parquet as pq

    start = time.perf_counter()
    writer = None
    events = 0
    for k, first in enumerate(range(0, tickets, chunk)):
        table = chunk_of(min(chunk, tickets - first), f"c{k}-", seed=20261206 + k)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
        events += table.num_rows
        del table
    assert writer is not None
    writer.close()
    return {"events": events, "seconds": time.perf_counter() - start, "peak_mb": peak_mb()}


def partition(source: Path, target: Path, buckets: int) -> dict[str, float]:
    from accord.io.partitions import partition_log

    start = time.perf_counter()
    written = partition_log(source, target, buckets)
    return {
        "seconds": time.perf_counter() - start,
        "peak_mb": peak_mb(),
        "largest_bucket_events": max(written.events),
        "events": sum(written.events),
    }


def evaluate(target: Path, runner: str, scheduler: str) -> dict[str, float]:
    from accord import load_agreement
    from accord.io.partitions import evaluate_partitioned

    agreement = load_agreement(AGREEMENT)
    start = time.perf_counter()
    result = evaluate_partitioned(
        target,
        agreement,
        by=("priority",),
        runner=runner,  # type: ignore[arg-type]
        scheduler=scheduler,
    )
    rows = result.tally.attainment(agreement.objectives)
    return {
        "seconds": time.perf_counter() - start,
        "peak_mb": peak_mb(),
        "tickets": result.tickets,
        "events": result.events,
        "durations_mb": result.tally.durations_bytes / 2**20,
        "largest_bucket_events": max(r.events for r in result.buckets),
        "rows": [
            [r.objective, r.group.get("priority", ""), r.in_scope, r.met, r.breached] for r in rows
        ],
    }


def whole(source: Path) -> dict[str, float]:
    from accord import load_agreement
    from accord.core.clock_engines import evaluate_clocks
    from accord.core.clocks import calendars_of, summarize
    from accord.io.tickets import read_event_columns

    agreement = load_agreement(AGREEMENT)
    start = time.perf_counter()
    evaluation = evaluate_clocks(
        read_event_columns(source), agreement.objectives, calendars_of(agreement)
    )
    rows = summarize(evaluation.clocks, agreement.objectives, ("priority",))
    return {
        "seconds": time.perf_counter() - start,
        "peak_mb": peak_mb(),
        "rows": [
            [r.objective, r.group.get("priority", ""), r.in_scope, r.met, r.breached] for r in rows
        ],
    }


def step(*arguments: str) -> dict[str, float]:
    """One step in its own process: its peak memory is its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--step", *arguments], check=True, capture_output=True, text=True
    )
    found: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=250_000)
    parser.add_argument("--buckets", type=int, default=16)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/accord-partitions"))
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--runner", default="local", choices=["local", "dask"])
    parser.add_argument("--scheduler", default="threads")
    parser.add_argument("--whole", action="store_true", help="also evaluate the whole log")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.step:
        name, *rest = options.step
        functions = {
            "generate": lambda: generate(int(rest[0]), int(rest[1]), Path(rest[2])),
            "partition": lambda: partition(Path(rest[0]), Path(rest[1]), int(rest[2])),
            "evaluate": lambda: evaluate(Path(rest[0]), rest[1], rest[2]),
            "whole": lambda: whole(Path(rest[0])),
        }
        print(json.dumps(functions[name]()))
        return
    log = options.dir / "log.parquet"
    parts = options.dir / f"buckets-{options.buckets}"
    if not options.skip_generate:
        options.dir.mkdir(parents=True, exist_ok=True)
        made = step("generate", str(options.tickets), str(options.chunk), str(log))
        print(
            f"generate: {options.tickets:,} tickets, {int(made['events']):,} events, "
            f"{made['seconds']:.1f} s, peak {made['peak_mb']:,.0f} MB, "
            f"{log.stat().st_size / 2**20:,.0f} MB of Parquet"
        )
    if not parts.exists():
        written = step("partition", str(log), str(parts), str(options.buckets))
        print(
            f"partition: {options.buckets} buckets, largest "
            f"{int(written['largest_bucket_events']):,} events, {written['seconds']:.1f} s, "
            f"peak {written['peak_mb']:,.0f} MB"
        )
    done = step("evaluate", str(parts), options.runner, options.scheduler)
    print(
        f"evaluate ({options.runner}): {int(done['tickets']):,} tickets, "
        f"{int(done['events']):,} events, {done['seconds']:.1f} s "
        f"({done['events'] / done['seconds'] / 1e6:.2f} M events/s), "
        f"peak {done['peak_mb']:,.0f} MB, durations kept {done['durations_mb']:,.1f} MB, "
        f"largest bucket {int(done['largest_bucket_events']):,} events"
    )
    if options.whole:
        one = step("whole", str(log))
        same = "the same" if one["rows"] == done["rows"] else "DIFFERENT"
        print(
            f"whole log at once: {one['seconds']:.1f} s, peak {one['peak_mb']:,.0f} MB; "
            f"attainment rows {same} as the partitioned run's"
        )


if __name__ == "__main__":
    main()
