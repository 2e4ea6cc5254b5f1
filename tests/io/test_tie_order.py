"""Events at one instant are applied in the source's own order (the mapping's ``order`` column,
else the row number, compared as numbers), by the replay and the column engine alike."""

from __future__ import annotations

import csv
import dataclasses
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.agreement import Agreement
from accord.core.clocks import Clock, TicketEvent, all_clocks, calendars_of
from accord.core.clocks_batch import EventColumns, evaluate
from accord.io.tickets import ColumnMapping, read_event_columns, read_events
from tests.core.test_clocks import DESK, histories

H = timedelta(hours=1)
DESK_FIELDS = ("priority", "status", "team")
COMPLETED = Agreement.model_validate(
    {
        "id": "desk",
        "version": "1",
        "overview": {"title": "Desk"},
        "objectives": [
            {
                "id": "resolution",
                "metric": "resolution",
                "within": "8h",
                "target": "90%",
                "calendar": "24x7",
                "clock": {"stop": {"status": ["Completed"]}},
            }
        ],
    }
)


def _resolution(events: list[TicketEvent], ticket: str) -> Clock:
    as_of = datetime(2026, 3, 9, 18, tzinfo=UTC)
    calendars = calendars_of(COMPLETED)
    replay = all_clocks(events, COMPLETED.objectives, calendars, as_of)
    batch = evaluate(EventColumns.from_events(events), COMPLETED.objectives, calendars, as_of)
    clocks = [c for c in replay if c.ticket == ticket]
    batch_clocks = [dataclasses.replace(c, fields={}) for c in batch.clocks() if c.ticket == ticket]
    assert batch_clocks == [dataclasses.replace(c, intervals=(), fields={}) for c in clocks]
    return clocks[0]


def test_completed_and_reopened_in_one_second_on_rows_99_and_100_follow_the_rows(
    tmp_path: Path,
) -> None:
    """Row 100 comes after row 99 (numbers, not text): completed at 10:00, reopened in the same
    second, completed for good at 12:00, so 3 hours used, not 1."""
    path = tmp_path / "audit.csv"
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["number", "updated", "opened", "state"])
        out.writerow(["T1", "2026-03-09T09:00:00+00:00", "2026-03-09T09:00:00+00:00", "New"])
        for n in range(3, 99):  # other tickets' rows: T1's next rows are lines 99 and 100
            out.writerow([f"T{n}", "2026-03-09T09:00:00+00:00", "2026-03-09T09:00:00+00:00", "New"])
        out.writerow(["T1", "2026-03-09T10:00:00+00:00", "2026-03-09T09:00:00+00:00", "Completed"])
        out.writerow(["T1", "2026-03-09T10:00:00+00:00", "2026-03-09T09:00:00+00:00", "Active"])
        out.writerow(["T1", "2026-03-09T12:00:00+00:00", "2026-03-09T09:00:00+00:00", "Completed"])
    mapping = ColumnMapping(
        kind="snapshots",
        format="csv",
        ticket="number",
        at="updated",
        created_at="opened",
        fields={"status": "state"},
    )
    events = read_events(path, mapping)
    assert [e.id for e in events if e.ticket == "T1"][1:3] == ["T1:99", "T1:100"]
    clock = _resolution(events, "T1")
    assert (clock.state, clock.used, clock.stopped_at) == (
        "met",
        3 * H,
        datetime(2026, 3, 9, 12, tzinfo=UTC),
    )


def test_an_event_log_applies_ties_in_its_order_column_not_by_kind_or_id(tmp_path: Path) -> None:
    """The mapping's ``order`` column orders events at one instant, whatever their ids, kinds
    or rows say: resolved then reopened at 10:00 (order 2, 3), resolved again at 12:00."""
    path = tmp_path / "log.csv"
    path.write_text(
        "id,key,when,type,seq,state\n"
        "z,T1,2026-03-09T12:00:00+00:00,updated,4,Completed\n"
        "b,T1,2026-03-09T10:00:00+00:00,updated,3,Active\n"
        "c,T1,2026-03-09T10:00:00+00:00,updated,2,Completed\n"
        "a,T1,2026-03-09T09:00:00+00:00,created,1,New\n"
    )
    mapping = ColumnMapping(
        format="csv", id="id", ticket="key", at="when", event="type", order="seq",
        fields={"status": "state"},
    )  # fmt: skip
    clock = _resolution(read_events(path, mapping), "T1")
    assert (clock.state, clock.used) == ("met", 3 * H)


def _on_the_hour(events: list[TicketEvent]) -> list[TicketEvent]:
    return [dataclasses.replace(e, at=e.at.replace(minute=0, second=0)) for e in events]


def _comparable(clocks: list[Clock]) -> list[Clock]:
    return sorted(
        (dataclasses.replace(c, intervals=()) for c in clocks),
        key=lambda c: (c.ticket, c.metric, c.cycle),
    )


def _write(path: Path, rows: list[tuple[int, TicketEvent]]) -> None:
    names = DESK_FIELDS
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "ticket", "at", "kind", "author", "seq", *names])
        for seq, e in rows:
            row = [e.id, e.ticket, e.at.isoformat(), e.kind, e.author or "", seq]
            out.writerow(row + [e.fields.get(name, "") for name in names])


def _write_parquet(path: Path, rows: list[tuple[int, TicketEvent]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = DESK_FIELDS
    pq.write_table(
        pa.table(
            {
                "id": [e.id for _, e in rows],
                "ticket": [e.ticket for _, e in rows],
                "at": pa.array([e.at for _, e in rows], pa.timestamp("us", tz="UTC")),
                "kind": [e.kind for _, e in rows],
                "author": [e.author for _, e in rows],
                "seq": [seq for seq, _ in rows],
                "fields": pa.array(
                    [{n: e.fields.get(n) for n in names} for _, e in rows],
                    pa.struct([(n, pa.string()) for n in names]),
                ),
            }
        ),
        path,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(histories(), min_size=1, max_size=5),
    st.integers(0, 60 * 24 * 20),
    st.randoms(use_true_random=False),
)
def test_shuffled_and_repeated_rows_with_ties_give_the_clocks_of_the_order_column(
    tickets: list[list[TicketEvent]], minutes: int, rnd: random.Random
) -> None:
    """Events moved to their hour (many of a ticket tie, of every kind) in a log whose ``seq``
    column says their order: in any row order, with some rows twice, the replay and the column
    engine (from events, and from Parquet) give the clocks of the events in ``seq`` order."""
    log = [
        dataclasses.replace(e, id=f"{n}-{e.id}", ticket=f"T{n}")
        for n, events in enumerate(tickets)
        for e in _on_the_hour(events)
    ]
    as_of = min(e.at for e in log) + timedelta(minutes=minutes)
    calendars = calendars_of(DESK)
    intended = [dataclasses.replace(e, position=seq) for seq, e in enumerate(log)]
    expected = _comparable(all_clocks(intended, DESK.objectives, calendars, as_of))
    rows = list(enumerate(log)) + rnd.sample(list(enumerate(log)), k=len(log) // 2)
    rnd.shuffle(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.csv"
        _write(path, rows)
        mapping = ColumnMapping(format="csv", order="seq", fields={n: n for n in DESK_FIELDS})
        events = read_events(path, mapping)
        parquet = Path(folder) / "log.parquet"
        _write_parquet(parquet, rows)
        from_parquet = read_event_columns(parquet, order="seq")
    assert _comparable(all_clocks(events, DESK.objectives, calendars, as_of)) == expected
    batch = evaluate(EventColumns.from_events(events), DESK.objectives, calendars, as_of)
    assert _comparable(batch.clocks()) == expected
    batch = evaluate(from_parquet, DESK.objectives, calendars, as_of)
    assert _comparable(batch.clocks()) == expected
