"""A column the mapping names that the log does not have is an error naming the mapping's file
and line, the key, the column asked for, the log's columns and the closest of them: never a log
read as if it had no such column (a misspelt ``author`` would make no reply an agent's, and the
first-response clocks would never stop). A column the mapping does not name stays optional."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from accord.io import tickets
from accord.io.tickets import (
    ColumnMapping,
    TicketLogError,
    read_events,
    read_log,
    read_log_columns,
)

ROWS = [
    {"id": "e1", "ticket": "T1", "at": "2026-03-09T09:00:00+00:00", "kind": "created",
     "Author": "", "Public": "", "Prio": "P1", "Seq": "1"},
    {"id": "e2", "ticket": "T1", "at": "2026-03-09T10:00:00+00:00", "kind": "comment",
     "Author": "agent", "Public": "true", "Prio": "P1", "Seq": "2"},
]  # fmt: skip

# the key misspelt, the line of the mapping file it is on, what it asks for, the close column
MISSPELT = {
    "author": ("author: Authr\n", 2, "Authr", "Author"),
    "public": ("public: Publc\n", 2, "Publc", "Public"),
    "fields.priority": ("fields:\n  priority: Prioo\n", 3, "Prioo", "Prio"),
    "order": ("order: Seqq\n", 2, "Seqq", "Seq"),
    "values.Prioo": ("values: {Prioo: {P1: '1'}}\n", 2, "Prioo", "Prio"),
    "ignore.Prioo": ("ignore: {Prioo: P9}\n", 2, "Prioo", "Prio"),
}
READINGS = ["csv columns", "csv rows", "parquet", "jsonl"]


def _log(tmp_path: Path, reading: str, rows: list[dict[str, Any]]) -> Path:
    if reading == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = tmp_path / "log.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif reading == "jsonl":
        path = tmp_path / "log.jsonl"
        lines = [json.dumps({k: v for k, v in row.items() if v != ""}) for row in rows]
        path.write_text("".join(line + "\n" for line in lines))
    else:
        path = tmp_path / "log.csv"
        text = io.StringIO()
        writer = csv.DictWriter(text, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(text.getvalue())
    return path


def _read(path: Path, reading: str, mapping: ColumnMapping) -> Any:
    """The log as the reading named reads it: a CSV in columns as a report reads it, a CSV row
    by row as the reference reading (and the columns' fallback) does."""
    if reading == "csv rows":
        return tickets._events_by_row(path, mapping)
    return read_log(path, mapping)


@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize("key", list(MISSPELT))
def test_a_misspelt_column_is_an_error_naming_the_mapping_key_column_and_closest(
    tmp_path: Path, reading: str, key: str
) -> None:
    written, line, column, close = MISSPELT[key]
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text("kind: events\n" + written)
    mapping = ColumnMapping.read(mapping_file)
    path = _log(tmp_path, reading, ROWS)
    with pytest.raises(TicketLogError) as caught:
        _read(path, reading, mapping)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert f"{column!r} ({key} at {mapping_file}:{line}; did you mean {close!r}?)" in message
    assert "'id', 'ticket', 'at', 'kind'" in message  # the columns the log has
    if reading == "csv columns":  # the columns give up rather than read a log without it
        assert read_log_columns(path, mapping) is None


@pytest.mark.parametrize("reading", READINGS)
def test_every_misspelt_column_is_named_at_once(tmp_path: Path, reading: str) -> None:
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text("author: Authr\npublic: Publc\nfields: {priority: Priorty}\n")
    path = _log(tmp_path, reading, ROWS)
    with pytest.raises(TicketLogError) as caught:
        _read(path, reading, ColumnMapping.read(mapping_file))
    assert (
        f"'Authr' (author at {mapping_file}:1; did you mean 'Author'?), "
        f"'Publc' (public at {mapping_file}:2; did you mean 'Public'?), "
        f"'Priorty' (fields.priority at {mapping_file}:3; did you mean 'Prio'?)"
    ) in str(caught.value)


@pytest.mark.parametrize("reading", READINGS)
def test_the_default_author_and_public_columns_stay_optional(tmp_path: Path, reading: str) -> None:
    """A log without the comment columns the mapping does not name is read: its comments
    have no author (not an agent's reply) and are public."""
    rows = [{k: v for k, v in row.items() if k not in ("Author", "Public")} for row in ROWS]
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text("fields: {priority: Prio}\n")
    mapping = ColumnMapping.read(mapping_file)
    path = _log(tmp_path, reading, rows)
    events = read_events(path, mapping)
    assert [(e.kind, e.author, e.public, e.fields) for e in events] == [
        ("created", None, True, {"priority": "P1"}),
        ("comment", None, True, {"priority": "P1"}),
    ]
    assert [e.kind for e in tickets._events_by_row(path, mapping)] == ["created", "comment"]


@pytest.mark.parametrize("reading", READINGS)
def test_the_columns_the_mapping_names_read_as_named(tmp_path: Path, reading: str) -> None:
    """The same log through a mapping naming its author and visibility columns rightly: the
    agent's reply is one."""
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text("author: Author\npublic: Public\nfields: {priority: Prio}\n")
    path = _log(tmp_path, reading, ROWS)
    events = read_events(path, ColumnMapping.read(mapping_file))
    assert [(e.kind, e.author, e.public) for e in events] == [
        ("created", None, True),
        ("comment", "agent", True),
    ]


SNAPSHOT = "number,updated,opened,state,seq\nINC1,2026-03-09T10:00,2026-03-09T09:00,New,0\n"


@pytest.mark.parametrize("reading", ["csv columns", "csv rows"])
@pytest.mark.parametrize(
    ("written", "described"),
    [
        ("created_at: opend\n", "'opend' (created_at at {m}:4; did you mean 'opened'?)"),
        ("order: sq\n", "'sq' (order at {m}:4; did you mean 'seq'?)"),
        ("fields: {status: stat}\n", "'stat' (fields.status at {m}:4; did you mean 'state'?)"),
    ],
)
def test_a_snapshot_logs_misspelt_column_is_an_error(
    tmp_path: Path, reading: str, written: str, described: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(SNAPSHOT)
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text("kind: snapshots\nticket: number\nat: updated\n" + written)
    with pytest.raises(TicketLogError) as caught:
        _read(path, reading, ColumnMapping.read(mapping_file))
    assert described.format(m=mapping_file) in str(caught.value)


def test_an_activity_logs_misspelt_resource_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case,activity,at,Resource\nC1,Open,2026-03-09T09:00:00+00:00,ann\n")
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text(
        "kind: activities\nticket: case\nresource: Resourse\nactivities: {Open: created}\n"
    )
    with pytest.raises(TicketLogError) as caught:
        read_events(path, ColumnMapping.read(mapping_file))
    assert f"'Resourse' (resource at {mapping_file}:3; did you mean 'Resource'?)" in str(
        caught.value
    )


def test_a_mapping_translating_values_only_names_its_column_not_a_missing_mapping(
    tmp_path: Path,
) -> None:
    """A log in Accord's own columns read through a mapping that only translates a column's
    values, a column the log lacks: the column is named, not 'a column mapping is needed'."""
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text("values: {Prioo: {P1: '1'}}\n")
    path = _log(tmp_path, "csv columns", ROWS)
    with pytest.raises(TicketLogError) as caught:
        read_events(path, ColumnMapping.read(mapping_file))
    assert "a column mapping is needed" not in str(caught.value)
    assert f"'Prioo' (values.Prioo at {mapping_file}:1; did you mean 'Prio'?)" in str(caught.value)


def test_a_mapping_built_in_code_names_the_key_without_a_file(tmp_path: Path) -> None:
    path = _log(tmp_path, "csv columns", ROWS)
    with pytest.raises(TicketLogError) as caught:
        read_events(path, ColumnMapping(author="Authr"))
    assert "'Authr' (author; did you mean 'Author'?)" in str(caught.value)


def test_a_wide_logs_columns_are_all_listed_up_to_forty(tmp_path: Path) -> None:
    """ServiceNow's export has 36 columns: the one meant is among those listed."""
    names = [f"c{i}" for i in range(45)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["ticket", "at", *names]) + "\n")
    with pytest.raises(TicketLogError) as caught:
        read_events(path, ColumnMapping(kind="snapshots", fields={"x": "c44x"}))
    message = str(caught.value)
    assert "'c37', ... (47 in all)" in message
    assert "did you mean 'c44'?" in message
