"""Ticket clocks at scale: a generated event log in Parquet, read by pyarrow alone (the floor)
and evaluated by Accord from the same file.

    .venv/bin/python benchmarks/clocks.py                    # 100,000 tickets
    .venv/bin/python benchmarks/clocks.py --tickets 1000000 --write /tmp/log.parquet
    .venv/bin/python benchmarks/clocks.py --log /tmp/log.parquet   # the issue's size, memory alone
    .venv/bin/python benchmarks/clocks.py --agreement examples/agreements/it-service-desk.yaml
    .venv/bin/python benchmarks/clocks.py --examples         # every example agreement

The log is realistic in shape: priorities P1-P4 under examples/servicenow/agreement.yaml (response
and resolution by priority; a business calendar and business-day targets for P3/P4, 24x7 for
P1/P2), pauses on the customer and on a vendor, agent replies, priority changes, reopens. Under
another agreement (``--agreement``, or each example agreement with ``--examples``) the log is
generated from its rules: tickets in each objective's scope (a few in none), its pause and stop
statuses, assignees, customer messages and agent updates, a calendar field when the clock takes
its calendar from one. Prints the floor, Accord's time, their ratio, how many clocks the column
engine computed and how many it replayed, and the peak memory of the process.
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
from dataclasses import replace  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import TypeVar  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from accord import load_agreement  # noqa: E402
from accord.core.agreement import Agreement  # noqa: E402
from accord.core.agreement.model import TICKET_METRICS, ClockRules  # noqa: E402
from accord.core.clocks import Clock, all_clocks, calendars_of  # noqa: E402
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


def generate_for(agreement: Agreement, tickets: int, path: Path, seed: int = 20261126) -> int:
    """Write a log of ``tickets`` tickets shaped by the agreement's clock rules (see the module
    docstring); return the number of events."""
    rng = np.random.default_rng(seed)
    objectives = [o for o in agreement.objectives if o.metric in TICKET_METRICS]
    if not objectives:
        raise SystemExit(f"{agreement.id}: no ticket objective")
    clocks = [o.clock or ClockRules.model_validate({}) for o in objectives]
    scoped = sorted({name for o in objectives for name in o.scope})
    pauses = [dict(rule.when) for rules in clocks for rule in rules.pause]
    stop = {name: values[0] for rules in clocks for name, values in rules.stop.items()}
    waits = {v for when in pauses for values in when.values() for v in values}
    stops = {v for rules in clocks for values in rules.stop.values() for v in values}
    active = next(
        s for s in ("Active", "In Progress", "Open", "Work in progress") if s not in (waits | stops)
    )
    located = sorted({rules.calendar_from for rules in clocks if rules.calendar_from})
    places = sorted(calendars_of(agreement))
    assigned = any(rules.start == "assigned" for rules in clocks)
    start = datetime(2026, 1, 5, tzinfo=UTC).timestamp()
    rows: dict[str, list[object]] = {
        k: [] for k in ("id", "ticket", "at", "kind", "fields", "author")
    }
    names = sorted({*scoped, *located, *(n for when in pauses for n in when), *stop, "status"})
    names += ["assignee"] if assigned else []

    def add(ticket: str, at: float, kind: str, fields: dict[str, str], author: str | None) -> None:
        rows["id"].append(f"{ticket}-{len(rows['id'])}")
        rows["ticket"].append(ticket)
        rows["at"].append(datetime.fromtimestamp(at, UTC))
        rows["kind"].append(kind)
        rows["fields"].append(fields or None)
        rows["author"].append(author)

    def scope_of(objective: int) -> dict[str, str]:
        found = dict.fromkeys(scoped, "other")
        found.update({k: str(rng.choice(v)) for k, v in objectives[objective].scope.items()})
        return found

    opened = start + rng.uniform(0, 300 * 86400, tickets)
    chosen = rng.integers(0, len(objectives), tickets)
    for n in range(tickets):
        ticket, at = f"T{n}", float(opened[n])
        fields = {**scope_of(int(chosen[n])), "status": "New"}
        if rng.random() < 0.03:  # in no objective's scope
            fields.update(dict.fromkeys(scoped, "none"))
        for name in located:
            fields[name] = str(rng.choice(places))
        add(ticket, at, "created", fields, None)
        if assigned:
            at += rng.exponential(1800)
            add(ticket, at, "updated", {"assignee": f"agent-{n % 25}"}, None)
        if rng.random() < 0.5:
            at += rng.exponential(600)
            add(ticket, at, "comment", {}, "customer")
        at += rng.exponential(3600)
        add(ticket, at, "updated", {"status": active}, None)
        add(ticket, at + 60, "comment", {}, "agent")
        for _ in range(int(rng.integers(0, 4))):  # updates, questions and answers
            at += rng.exponential(2400)
            add(ticket, at, "comment", {}, "agent" if rng.random() < 0.6 else "customer")
        if pauses and rng.random() < 0.4:  # waiting, then back
            at += rng.exponential(4 * 3600)
            when = pauses[int(rng.integers(0, len(pauses)))]
            add(ticket, at, "updated", {k: v[0] for k, v in when.items()}, None)
            at += rng.exponential(20 * 3600)
            add(ticket, at, "comment", {}, "customer")
            add(ticket, at + 30, "updated", {"status": active}, None)
        if scoped and rng.random() < 0.15:  # another priority
            at += rng.exponential(3 * 3600)
            add(ticket, at, "updated", scope_of(int(rng.integers(0, len(objectives)))), None)
        if located and rng.random() < 0.1:  # moved to another location
            at += rng.exponential(3 * 3600)
            add(ticket, at, "updated", {located[0]: str(rng.choice(places))}, None)
        at += rng.exponential(10 * 3600)
        add(ticket, at, "resolved", dict(stop), None)
        if rng.random() < 0.05:
            at += rng.exponential(3 * 86400)
            add(ticket, at, "reopened", {"status": active}, None)
            at += rng.exponential(8 * 3600)
            add(ticket, at, "resolved", dict(stop), None)
    fields_type = pa.struct([(name, pa.string()) for name in names])
    table = pa.table(
        {
            "id": pa.array(rows["id"], pa.string()),
            "ticket": pa.array(rows["ticket"], pa.string()),
            "at": pa.array(rows["at"], pa.timestamp("us", tz="UTC")),
            "kind": pa.array(rows["kind"], pa.string()),
            "fields": pa.array(rows["fields"], fields_type),
            "author": pa.array(rows["author"], pa.string()),
        }
    )
    pq.write_table(table, path)
    return table.num_rows


def with_next_response(agreement: Agreement) -> Agreement:
    """The agreement with a next response objective beside each first response one."""
    added = [
        o.model_copy(update={"id": f"{o.id}-next", "metric": "next_response"})
        for o in agreement.objectives
        if o.metric == "first_response"
    ]
    return agreement.model_copy(update={"objectives": [*agreement.objectives, *added]})


EXAMPLES = sorted((ROOT / "examples" / "agreements").rglob("*.yaml")) + sorted(
    path
    for folder in ("activities", "servicenow", "xes")
    for path in (ROOT / "examples" / folder).glob("agreement*.yaml")
)
"""Every example agreement: those of examples/agreements and each example folder's own."""


def examples(tickets: int, replay: bool) -> None:
    """Every example agreement with ticket objectives, on a log generated from its rules: the
    clocks the column engine computed and those it replayed (the target: none)."""
    print(f"{'agreement':<46} {'events':>9} {'clocks':>9} {'replayed':>9} {'clocks s':>9}")
    for path in EXAMPLES:
        agreement = load_agreement(path)
        name = str(path.relative_to(ROOT / "examples"))
        if not any(o.metric in TICKET_METRICS for o in agreement.objectives):
            print(f"{name:<46} (no ticket objective: no clock)")
            continue
        calendars = calendars_of(agreement)
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "events.parquet"
            written = generate_for(agreement, tickets, log)
            columns = read_event_columns(log)
            as_of = datetime(2027, 1, 1, tzinfo=UTC)
            began = time.perf_counter()
            result = evaluate(columns, agreement.objectives, calendars, as_of)
            took = time.perf_counter() - began
            print(
                f"{name:<46} {written:>9,} {len(result.table):>9,} {len(result.replayed):>9,}"
                f" {took:>9.2f}"
            )
            if replay:  # the same clocks as the replay (the reference)
                expected = all_clocks(read_events(log), agreement.objectives, calendars, as_of)
                assert _comparable(result.clocks()) == _comparable(expected), name


def _comparable(clocks: list[Clock]) -> list[Clock]:
    return sorted(
        (replace(c, intervals=()) for c in clocks), key=lambda c: (c.ticket, c.metric, c.cycle)
    )


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
        "--agreement",
        type=Path,
        default=AGREEMENT,
        help="generate the log for this agreement's rules (default: the ServiceNow example)",
    )
    parser.add_argument(
        "--next-response",
        action="store_true",
        help="add a next response objective beside each first response one (same scope, limit "
        "and clock rules)",
    )
    parser.add_argument(
        "--examples",
        action="store_true",
        help="every example agreement on a log of --tickets tickets (default 20,000) from its "
        "rules: clocks in columns and replayed",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="threads for the clocks, like pyarrow's read (default: the machine's cores)",
    )
    args = parser.parse_args()
    if args.examples:
        explicit = any(a.startswith("--tickets") for a in sys.argv)
        examples(args.tickets if explicit else 20_000, args.replay)
        return
    agreement = load_agreement(args.agreement)
    if args.next_response:
        agreement = with_next_response(agreement)
    calendars = calendars_of(agreement)
    as_of = datetime(2027, 1, 1, tzinfo=UTC)
    if args.agreement.resolve() == AGREEMENT.resolve() and not args.next_response:
        write = generate
    else:

        def write(tickets: int, path: Path) -> int:
            return generate_for(agreement, tickets, path)

    if args.write is not None:
        written = write(args.tickets, args.write)
        print(f"wrote {args.tickets:,} tickets, {written:,} events to {args.write}")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = args.log or Path(folder) / "events.parquet"
        began = time.perf_counter()
        if args.log is None:
            events_written = write(args.tickets, path)
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
        if args.replay:  # timed, and the same clocks as the column engine's
            replay, expected = _timed(
                lambda: all_clocks(read_events(path), agreement.objectives, calendars, as_of)
            )
            assert _comparable(result.clocks()) == _comparable(expected)
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
