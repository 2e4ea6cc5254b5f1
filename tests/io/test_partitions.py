"""A log evaluated in buckets of whole tickets (one process, or Dask's local schedulers) gives
the whole log's clocks and attainment, exactly."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.clock_engines import evaluate_clocks
from accord.core.clocks import Clock, ClockError, TicketEvent, calendars_of, summarize
from accord.core.tallies import Tally
from accord.io.partitions import (
    MANIFEST,
    PartitionError,
    Partitions,
    bucket_of,
    evaluate_partitioned,
    partition_log,
)
from accord.io.tickets import read_event_columns
from tests.core.test_clocks import DESK, STATUSES, Ticket, histories, ny
from tests.io.test_tie_order import _write_parquet

CALENDARS = calendars_of(DESK)


@st.composite
def long_histories(draw: st.DrawFn) -> list[TicketEvent]:
    """One ticket with many events (20 to 80): replies, priority changes, statuses."""
    start = ny(2026, 3, 2, 8) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 20)))
    ticket = Ticket(start, priority=draw(st.sampled_from(["P1", "P3", "P4"])))
    at = start
    for _ in range(draw(st.integers(20, 80))):
        at += timedelta(minutes=draw(st.integers(0, 60 * 8)))  # 0: ties at one instant
        choice = draw(st.integers(0, 3))
        if choice == 0:
            ticket.reply(at, author=draw(st.sampled_from(["agent", "customer"])))
        elif choice == 1:
            ticket.set(at, priority=draw(st.sampled_from(["P1", "P3", "P4"])))
        else:
            ticket.status(at, draw(st.sampled_from(STATUSES)))
    return ticket.events


def _log(tickets: list[list[TicketEvent]], uncreated: int = 0) -> list[TicketEvent]:
    """The tickets as T0, T1...; the first ``uncreated`` without their created event (the
    column engine hands those to the replay)."""
    return [
        dataclasses.replace(e, id=f"{n}-{e.id}", ticket=f"T{n}")
        for n, events in enumerate(tickets)
        for e in (events[1:] if n < uncreated and len(events) > 1 else events)
    ]


def _whole(path: Path, as_of: datetime | None, by: tuple[str, ...] = ()) -> tuple[Any, Any]:
    evaluation = evaluate_clocks(read_event_columns(path), DESK.objectives, CALENDARS, as_of)
    return evaluation, summarize(evaluation.clocks, DESK.objectives, by)


def _sorted(clocks: list[Clock]) -> list[Clock]:
    return sorted(clocks, key=lambda c: (c.ticket, c.metric, c.cycle))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(histories(), long_histories()), min_size=1, max_size=12),
    st.integers(1, 6),
    st.one_of(st.none(), st.integers(0, 60 * 24 * 30)),
    st.sampled_from([(), ("priority",), ("team", "status")]),
    st.integers(0, 2),
)
def test_buckets_of_whole_tickets_give_the_whole_logs_clocks_and_attainment(
    tickets: list[list[TicketEvent]],
    buckets: int,
    minutes: int | None,
    by: tuple[str, ...],
    uncreated: int,
) -> None:
    """Every clock (with its ticket's fields), every count, attainment and percentile of the
    log evaluated bucket by bucket is the whole log's, judged at the same instant: the end of
    the whole log by default, not of each bucket. Summed up from the column engine's table
    (no clock objects) or from the clocks, the same."""
    log = _log(tickets, uncreated)
    as_of = None if minutes is None else min(e.at for e in log) + timedelta(minutes=minutes)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "log.parquet"
        _write_parquet(source, list(enumerate(log)))
        written = partition_log(source, Path(folder) / "parts", buckets, batch_rows=7)
        assert sum(written.events) == len(log)
        refusal = None
        try:
            whole, rows = _whole(source, as_of, by)
        except ClockError as error:  # a field the rules or `by` read, carried by no event
            refusal = str(error)
        if refusal is not None:
            with pytest.raises(ClockError) as refused:
                evaluate_partitioned(written.root, DESK, as_of, by=by).tally.attainment(
                    DESK.objectives
                )
            assert str(refused.value) == refusal
            return
        parts = evaluate_partitioned(written.root, DESK, as_of, by=by, keep_clocks=True)
        from_table = evaluate_partitioned(written.root, DESK, as_of, by=by)
    assert parts.as_of == from_table.as_of == whole.as_of
    assert parts.tally.attainment(DESK.objectives) == rows
    assert from_table.tally.attainment(DESK.objectives) == rows
    assert from_table.tally.clocks == parts.tally.clocks == len(whole.clocks)
    found = [c for result in parts.buckets for c in result.clocks or []]
    assert _sorted(found) == _sorted(list(whole.clocks))
    assert (parts.tickets, parts.events) == (len(tickets), len(log))
    assert parts.engine == from_table.engine == whole.engine
    assert parts.fell_back_tickets == from_table.fell_back_tickets == whole.fell_back_tickets


def _sample_log(folder: Path, tickets: int = 120) -> Path:
    """A fixed log of many tickets (their histories drawn from a seeded generator)."""
    import random

    rnd = random.Random(20261206)
    events: list[list[TicketEvent]] = []
    for n in range(tickets):
        at = ny(2026, 3, 2, 8) + timedelta(minutes=rnd.randint(0, 60 * 24 * 20))
        ticket = Ticket(at, priority=rnd.choice(["P1", "P3", "P4"]), ticket=f"T{n}")
        for _ in range(rnd.randint(0, 12 if n % 10 else 60)):
            at += timedelta(minutes=rnd.randint(0, 60 * 30))
            if rnd.random() < 0.3:
                ticket.reply(at, author=rnd.choice(["agent", "customer"]))
            else:
                ticket.status(at, rnd.choice(STATUSES))
        events.append(ticket.events)
    source = folder / "log.parquet"
    _write_parquet(source, list(enumerate(_log(events))))
    return source


@pytest.mark.parametrize("scheduler", ["threads", "processes", "sync"])
def test_dask_runs_the_same_buckets_to_the_same_results(tmp_path: Path, scheduler: str) -> None:
    """The buckets as Dask tasks, in Dask's local schedulers (threads; processes, each bucket's
    inputs and result pickled), give each bucket's tally and the merged attainment of the
    run in one process, exactly, and report every bucket as it finishes."""
    written = partition_log(_sample_log(tmp_path), tmp_path / "parts", 5)
    local = evaluate_partitioned(written.root, DESK, by=("priority",))
    seen: list[int] = []
    on_dask = evaluate_partitioned(
        written.root,
        DESK,
        by=("priority",),
        runner="dask",
        scheduler=scheduler,
        on_bucket=lambda result: seen.append(result.bucket),
    )
    assert sorted(seen) == [b for b, _ in Partitions.open(written.root).files]
    assert on_dask.tally.attainment(DESK.objectives) == local.tally.attainment(DESK.objectives)
    for mine, theirs in zip(local.buckets, on_dask.buckets, strict=True):
        assert mine.bucket == theirs.bucket
        assert _groups(mine.tally) == _groups(theirs.tally)
    assert (on_dask.tickets, on_dask.events, on_dask.as_of) == (
        local.tickets,
        local.events,
        local.as_of,
    )
    _, rows = _whole(tmp_path / "log.parquet", None, ("priority",))
    assert on_dask.tally.attainment(DESK.objectives) == rows


def _groups(tally: Tally) -> dict[object, tuple[int, int, int, list[int]]]:
    return {
        key: (g.in_scope, g.met, g.breached, sorted(g.durations().tolist()))
        for key, g in tally.groups.items()
    }


def test_every_event_of_a_ticket_lands_in_its_hash_bucket(tmp_path: Path) -> None:
    written = partition_log(_sample_log(tmp_path), tmp_path / "parts", 4, batch_rows=50)
    manifest = json.loads((written.root / MANIFEST).read_text())
    assert manifest["buckets"] == 4
    for bucket, path in Partitions.open(written.root).files:
        tickets = read_event_columns(path).tickets
        assert {bucket_of(t, 4) for t in tickets[0 : len(tickets)]} == {bucket}


def test_a_ticket_in_the_wrong_bucket_is_an_error_naming_the_file(tmp_path: Path) -> None:
    written = partition_log(_sample_log(tmp_path), tmp_path / "parts", 3)
    files = dict(Partitions.open(written.root).files)
    wrong = files[1]
    wrong.unlink()
    files[0].rename(wrong)
    (written.root / "bucket=00000").rmdir()
    with pytest.raises(PartitionError, match=r"bucket=00001.*belongs in bucket 0, not 1"):
        evaluate_partitioned(written.root, DESK)


def test_a_directory_without_the_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bucket=00000").mkdir()
    with pytest.raises(PartitionError, match="not a partitioned log"):
        Partitions.open(tmp_path)


def test_partitioning_into_an_existing_directory_writes_nothing(tmp_path: Path) -> None:
    source = _sample_log(tmp_path)
    (tmp_path / "parts").mkdir()
    with pytest.raises(PartitionError, match="already exists"):
        partition_log(source, tmp_path / "parts", 3)
    assert not any((tmp_path / "parts").iterdir())


def test_a_field_no_event_of_the_whole_log_carries_is_the_whole_logs_error(
    tmp_path: Path,
) -> None:
    """The clock rules read ``status``; the log carries none: the same error as the whole
    log's, before any bucket is evaluated (one bucket lacking a field others carry is fine)."""
    log = [TicketEvent(f"e{n}", f"T{n}", ny(2026, 3, 2, 9), "created", {"priority": "P1"})
           for n in range(6)]  # fmt: skip
    source = tmp_path / "log.parquet"
    _write_parquet(source, list(enumerate(log)))
    with pytest.raises(ClockError) as whole:
        _whole(source, None)
    written = partition_log(source, tmp_path / "parts", 3)
    with pytest.raises(ClockError) as parts:
        evaluate_partitioned(written.root, DESK)
    assert str(parts.value) == str(whole.value)


def test_partitioning_holds_one_batch_not_the_log_read_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow's memory while a log is rewritten is about one batch, not the log: the source's
    bytes are not kept as they are read (pyarrow's ParquetFile pre-buffers by default and keeps
    the compressed bytes read until it is closed, apache/arrow#39808; at 20M tickets that grew
    partitioning to 2.7 GB). Here a batch is a 40th of the log."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, groups = 20_000, 40
    rng = np.random.default_rng(7)
    source, at_type = tmp_path / "log.parquet", pa.timestamp("us", "UTC")
    with pq.ParquetWriter(source, _log_schema()) as writer:
        for g in range(groups):  # ids of random digits: ~0.5 MB of Parquet per row group
            tickets = [f"T{g}-{n // 4}" for n in range(rows)]
            writer.write_table(
                pa.table(
                    {
                        "id": [f"{t}-{rng.integers(10**17)}" for t in tickets],
                        "ticket": tickets,
                        "at": pa.array(np.full(rows, 1_780_000_000_000_000), at_type),
                        "kind": ["comment"] * rows,
                    },
                    _log_schema(),
                )
            )
    assert pq.ParquetFile(source).metadata.num_row_groups == groups
    allocated: list[int] = []
    original = pq.ParquetWriter.write_table

    def write_table(self: Any, table: Any, *args: Any, **kwargs: Any) -> None:
        original(self, table, *args, **kwargs)
        allocated.append(pa.total_allocated_bytes())

    monkeypatch.setattr(pq.ParquetWriter, "write_table", write_table)
    before = pa.total_allocated_bytes()
    written = partition_log(source, tmp_path / "parts", 1, batch_rows=rows)
    assert written.events == [rows * groups]
    assert len(allocated) == groups  # one write per batch, one bucket
    held = max(allocated) - before
    assert held < source.stat().st_size / 2, [round(a / 2**20, 1) for a in allocated]


def _log_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("ticket", pa.string()),
            ("at", pa.timestamp("us", "UTC")),
            ("kind", pa.string()),
        ]
    )
