"""Ticket event logs: Accord's JSON Lines, CSV with a mapping, and clear errors for bad rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.clocks import TicketEvent
from accord.io.tickets import ColumnMapping, TicketLogError, read_events, write_events

NY = ZoneInfo("America/New_York")


def test_json_lines_round_trip(tmp_path: Path) -> None:
    events = [
        TicketEvent("e1", "T1", datetime(2026, 3, 9, 9, tzinfo=NY), "created", {"priority": "P1"}),
        TicketEvent(
            "e2", "T1", datetime(2026, 3, 9, 10, tzinfo=NY), "comment", author="agent", public=False
        ),
    ]
    path = tmp_path / "events.jsonl"
    write_events(path, events)
    assert read_events(path) == events


def test_csv_event_log_with_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "event_id,key,when,type,state,prio\n"
        "1,ABC-1,09/03/2026 09:00,created,Open,High\n"
        "2,ABC-1,09/03/2026 11:30,updated,Waiting,\n"
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "format: csv\nid: event_id\nticket: key\nat: when\nevent: type\n"
        "time_format: '%d/%m/%Y %H:%M'\ntimezone: America/New_York\n"
        "fields: {status: state, priority: prio}\n"
    )
    events = read_events(path, ColumnMapping.read(mapping))
    assert events[0] == TicketEvent(
        "1",
        "ABC-1",
        datetime(2026, 3, 9, 9, tzinfo=NY),
        "created",
        {"status": "Open", "priority": "High"},
    )
    assert events[1].fields == {"status": "Waiting"}  # an empty cell sets nothing


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"id": "1", "ticket": "T", "at": "yesterday", "kind": "created"}',
            "events.jsonl:1: column 'at': malformed instant 'yesterday'; expected ISO 8601",
        ),
        (
            '{"id": "1", "ticket": "T", "at": "2026-03-09T09:00:00+00:00", "kind": "opened"}',
            "events.jsonl:1: column 'kind': unknown event kind 'opened'; expected created, updated",
        ),
        (
            '{"id": "1", "at": "2026-03-09T09:00:00+00:00", "kind": "created"}',
            "events.jsonl:1: column 'ticket': missing value",
        ),
        (
            '{"id": "1", "ticket": "T", "at": "2026-03-09T09:00:00+00:00", "kind": "comment", '
            '"author": "bot"}',
            "events.jsonl:1: column 'author': unknown role 'bot'",
        ),
        ("{not json", "events.jsonl:1: not valid JSON"),
    ],
)
def test_bad_rows_name_file_line_and_column(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(TicketLogError) as caught:
        read_events(path)
    assert str(caught.value).startswith(f"{tmp_path}/{message}")


def test_parquet_event_log(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["e1", "e2"],
                "ticket": ["T1", "T1"],
                "at": [datetime(2026, 3, 9, 14, tzinfo=ZoneInfo("UTC"))] * 2,
                "kind": ["created", "comment"],
                "fields": [{"priority": "P1", "status": "New"}, None],
                "author": [None, "agent"],
            }
        ),
        path,
    )
    events = read_events(path)
    assert events[0].fields == {"priority": "P1", "status": "New"}
    assert events[0].at == datetime(2026, 3, 9, 14, tzinfo=ZoneInfo("UTC"))
    assert (events[1].kind, events[1].author) == ("comment", "agent")


def test_a_parquet_export_with_a_mapping_reads_as_its_csv(tmp_path: Path) -> None:
    """Columns of an export: naive timestamps in the mapping's zone, a timestamp column mapped
    to a field (kept as ISO 8601 text), the mapping's missing markers as no value, and the
    same events as the CSV of the same rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    mapping = ColumnMapping.model_validate(
        {
            "id": "row",
            "ticket": "number",
            "at": "updated",
            "event": "what",
            "timezone": "America/New_York",
            "missing": ["?", ""],
            "fields": {"status": "state", "opened": "opened_at"},
        }
    )
    rows = {
        "row": ["1", "2", "3"],
        "number": ["INC1", "INC1", "INC1"],
        "updated": [datetime(2026, 3, 9, 9), datetime(2026, 3, 9, 10), datetime(2026, 3, 9, 11)],
        "what": ["created", "updated", "resolved"],
        "state": ["New", "?", "Resolved"],
        "opened_at": [datetime(2026, 3, 9, 9)] * 3,
    }
    pq.write_table(pa.table(rows), tmp_path / "log.parquet")
    csv_text = ",".join(rows) + "\n"
    for values in zip(*rows.values(), strict=True):
        csv_text += ",".join(v.isoformat() if isinstance(v, datetime) else v for v in values)
        csv_text += "\n"
    (tmp_path / "log.csv").write_text(csv_text)
    parquet = read_events(tmp_path / "log.parquet", mapping)
    assert parquet == read_events(tmp_path / "log.csv", mapping)
    assert parquet[0].at == datetime(2026, 3, 9, 9, tzinfo=ZoneInfo("America/New_York"))
    assert parquet[0].fields == {"status": "New", "opened": "2026-03-09T09:00:00"}
    assert "status" not in parquet[1].fields  # "?" is no value


@pytest.mark.parametrize("layout", ["as written", "on the hour", "shuffled, some rows twice"])
def test_parquet_columns_give_the_replays_clocks(tmp_path: Path, layout: str) -> None:
    """The batch path from Parquet (no Python object per event) equals the replay of the events:
    as the generator writes the log (tickets in runs, a few events out of time order), with
    every instant moved to its hour (events of a ticket tie: their ids order them), and with
    the rows shuffled and some given twice (tickets not in runs; one event counted once)."""
    import dataclasses
    import importlib.util

    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from accord import load_agreement
    from accord.core.clocks import all_clocks, calendars_of
    from accord.core.clocks_batch import evaluate
    from accord.io.tickets import read_event_columns

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("bench_clocks", root / "benchmarks" / "clocks.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "events.parquet"
    bench.generate(300, path)
    table = pq.read_table(path)
    if layout == "on the hour":
        hourly = pc.floor_temporal(table["at"], unit="hour")
        table = table.set_column(table.column_names.index("at"), "at", hourly)
    elif layout == "shuffled, some rows twice":
        rng = np.random.default_rng(4)
        rows = np.concatenate([np.arange(table.num_rows), rng.integers(0, table.num_rows, 200)])
        table = table.take(rng.permutation(rows))
    pq.write_table(table, path, row_group_size=500)  # several chunks per column
    agreement = load_agreement(bench.AGREEMENT)
    calendars = calendars_of(agreement)
    as_of = datetime(2026, 9, 1, tzinfo=ZoneInfo("UTC"))
    columns = read_event_columns(path)
    batch = evaluate(columns, agreement.objectives, calendars, as_of)
    replay = all_clocks(read_events(path), agreement.objectives, calendars, as_of)

    def comparable(clocks: list) -> list:
        return sorted(
            (dataclasses.replace(c, intervals=(), fields={}) for c in clocks),
            key=lambda c: (c.ticket, c.metric, c.cycle),
        )

    assert len(batch.table) > 300  # most clocks computed by the batch itself
    assert comparable(batch.clocks()) == comparable(replay)
    assert sorted(columns.tickets) == sorted({f"T{n}" for n in range(300)})


def test_an_empty_parquet_log_reads_as_no_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from accord.io.tickets import read_event_columns

    path = tmp_path / "empty.parquet"
    pq.write_table(
        pa.table(
            {
                "id": pa.array([], pa.string()),
                "ticket": pa.array([], pa.string()),
                "at": pa.array([], pa.timestamp("us", tz="UTC")),
                "kind": pa.array([], pa.string()),
                "fields": pa.array([], pa.struct([("priority", pa.string())])),
            }
        ),
        path,
    )
    columns = read_event_columns(path)
    assert (len(columns.at), len(columns.tickets), columns.fields["priority"][1]) == (0, 0, [])


EXPORT = "SR Number,Opened,Status\nSR-1,2026-03-09T09:00:00+00:00,New\n"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_foreign_log_without_a_mapping_says_that_a_mapping_is_needed(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"export{suffix}"
    if suffix == ".csv":
        path.write_text(EXPORT)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(
            pa.table(
                {"SR Number": ["SR-1"], "Opened": ["2026-03-09T09:00:00+00:00"], "Status": ["New"]}
            ),
            path,
        )
    with pytest.raises(TicketLogError) as caught:
        read_events(path)
    assert str(caught.value) == (
        f"{path}: not in Accord's own columns (id, ticket, at, kind; this file's are "
        "'SR Number', 'Opened', 'Status'): a column mapping is needed, a YAML file naming the "
        "column that holds each (see examples/servicenow/mapping.yaml and 'Column mappings' in "
        "the README); pass it with --mapping"
    )


def test_a_column_the_mapping_names_but_the_file_lacks_is_refused_not_left_empty(
    tmp_path: Path,
) -> None:
    """A mapped field whose column is absent would leave every ticket without it, silently."""
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "kind: snapshots\nticket: SR Number\nat: Opened\n"
        "fields: {status: Status, priority: Priority}\n"
    )
    with pytest.raises(TicketLogError) as caught:
        read_events(path, ColumnMapping.read(mapping))
    assert str(caught.value) == (
        f"{path}: no column 'Priority' (fields.priority at {mapping}:4); this file's columns are "
        "'SR Number', 'Opened', 'Status'"
    )


def test_a_column_missing_by_default_is_named_as_the_default(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("ticket: SR Number\nat: Opened\n")
    with pytest.raises(TicketLogError, match=r"no column 'id' \(id by default\), 'kind' \(event"):
        read_events(path, ColumnMapping.read(mapping))


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "+05:30", None])
def test_parquet_instants_in_any_zone_read_as_the_same_instants(
    tmp_path: Path, zone: str | None
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    walls = [datetime(2026, 3, 8, 1, 59, 59, 999999), datetime(2026, 3, 8, 3, 0, 0, 1)]
    if zone is None:  # naive: in the mapping's zone
        written = walls
    else:
        tz = (
            ZoneInfo(zone)
            if zone[0] not in "+-"
            else datetime.fromisoformat(f"2000-01-01T00:00{zone}").tzinfo
        )
        written = [w.replace(tzinfo=tz) for w in walls]
    table = pa.table(
        {
            "id": ["e1", "e2"],
            "ticket": ["T1", "T1"],
            "at": pa.array(written, pa.timestamp("ns", zone)),
            "kind": ["created", "comment"],
        }
    )
    pq.write_table(table, tmp_path / "log.parquet")
    mapping = ColumnMapping.model_validate({"timezone": "Europe/Paris"})
    found = [e.at for e in read_events(tmp_path / "log.parquet", mapping)]
    expected = (
        written if zone is not None else [w.replace(tzinfo=ZoneInfo("Europe/Paris")) for w in walls]
    )
    assert found == expected


@pytest.mark.parametrize(
    ("unit", "ticks", "zone"),
    [
        ("ns", 1_772_960_000_000_000_123, "UTC"),  # pandas writes nanoseconds
        ("ns", -1_000_000_001, "UTC"),  # before 1970: floored, as a datetime would hold it
        ("ms", 1_772_960_000_123, "utc"),  # a zone name in lower case, as pyarrow accepts
        ("s", 1_772_960_000, "+02:00"),
        ("us", 1_772_960_000_000_001, None),
    ],
)
def test_parquet_timestamps_of_any_unit_read_to_the_microsecond(
    tmp_path: Path, unit: str, ticks: int, zone: str | None
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    column = pa.array([ticks], pa.timestamp(unit, zone))
    table = pa.table({"id": ["e1"], "ticket": ["T"], "kind": ["created"], "at": column})
    pq.write_table(table, tmp_path / "log.parquet")
    (event,) = read_events(tmp_path / "log.parquet")
    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    micros = ticks * 10**6 // per_second
    assert event.at == datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC")) + timedelta(microseconds=micros)


def test_a_parquet_timestamp_zone_nobody_knows_is_refused_naming_the_column(
    tmp_path: Path,
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    column = pa.array([0], pa.timestamp("us", "Mars/Olympus"))
    table = pa.table({"id": ["e1"], "ticket": ["T"], "kind": ["created"], "at": column})
    pq.write_table(table, tmp_path / "log.parquet")
    with pytest.raises(TicketLogError, match=r"column 'at'.*'Mars/Olympus'"):
        read_events(tmp_path / "log.parquet")


def _row_by_row(path: Path, mapping: ColumnMapping) -> list[TicketEvent] | str:
    """The reference: every row through the row reader (its events, or its error)."""
    from accord.io.tickets import _event, _parquet_rows

    try:
        return [
            _event(row, line, mapping, str(path), line)
            for line, row in _parquet_rows(path, mapping)
        ]
    except TicketLogError as error:
        return str(error)


_TEXTS = st.sampled_from(["a", "b", "", "?", "P1", "New"])


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["e1", "e2", "e3", "", None]),  # ids, some repeated
            st.sampled_from(["T1", "T2", "?"]),
            st.one_of(st.none(), st.integers(0, 10**6)),  # minutes after an epoch
            st.sampled_from(["created", "updated", "comment", "resolved", "bogus", None]),
            st.sampled_from(["agent", "customer", None, "robot", "?"]),
            st.one_of(st.none(), st.booleans()),
            st.one_of(st.none(), st.fixed_dictionaries({"status": st.one_of(st.none(), _TEXTS)})),
            st.one_of(st.none(), _TEXTS),
            st.one_of(st.none(), st.integers(-3, 3)),
        ),
        min_size=1,
        max_size=12,
    ),
    naive=st.booleans(),
)
def test_parquet_read_a_column_at_a_time_equals_the_row_reader(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[Any, ...]], naive: bool
) -> None:
    """Any Parquet log (values missing, unknown, of the missing markers) reads as each row read
    on its own would: the same events in the same places, or the same error naming the row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    zone = None if naive else "UTC"
    names = ["id", "ticket", "at", "kind", "author", "public", "fields", "prio", "level"]
    columns = dict(zip(names, zip(*rows, strict=True), strict=True))
    start = datetime(2026, 1, 1)
    table = pa.table(
        {
            **{
                k: pa.array(columns[k], pa.string())
                for k in ("id", "ticket", "kind", "author", "prio")
            },
            "at": pa.array(
                [None if m is None else start + timedelta(minutes=m) for m in columns["at"]],
                pa.timestamp("us", zone),
            ),
            "public": pa.array(columns["public"], pa.bool_()),
            "fields": pa.array(columns["fields"], pa.struct([("status", pa.string())])),
            "level": pa.array(columns["level"], pa.int64()),
        }
    )
    path = tmp_path_factory.mktemp("log") / "log.parquet"
    pq.write_table(table, path)
    mapping = ColumnMapping.model_validate(
        {
            "missing": ["", "?"],
            "timezone": "Europe/Paris",
            "fields": {"priority": "prio", "level": "level"},
        }
    )
    expected = _row_by_row(path, mapping)
    try:
        found: list[TicketEvent] | str = read_events(path, mapping)
    except TicketLogError as error:
        found = str(error)
    assert found == expected
    if isinstance(found, list):
        assert [e.position for e in found] == [e.position for e in expected]  # type: ignore[union-attr]
