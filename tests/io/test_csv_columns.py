"""A CSV log read straight into columns (``read_log_columns``: snapshot and event logs, for a
report) against the reference, ``EventColumns.from_events`` of the events ``read_events`` gives:
the same tickets, rows, instants, kinds, flags and field codes, the events of a ticket at one
instant in the same order; where the column reading gives up, the events (and their errors)
decide. Then the reports judged on either are the same report."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from accord import load_agreement
from accord.cli import parse_period
from accord.core.clocks_batch import EventColumns, sort_key
from accord.core.evidence import Data
from accord.core.report import evaluate
from accord.io.data import read_data
from accord.io.tickets import ColumnMapping, TicketLogError, read_events, read_log_columns
from tests.core.test_examples import AGREEMENTS, DATA, EXAMPLES, Example
from tests.io.test_csv_snapshots import event_logs, logs, written

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz"  # vendored
SERVICENOW = ROOT / "examples" / "servicenow"


def _assert_same_columns(found: EventColumns, expected: EventColumns, ranks: bool) -> None:
    """Row for row the same columns. Ranks only order the events of a ticket at one instant:
    with ``ranks`` they are the same numbers, else each column's order its own ranks give
    (and no two events of a ticket share a rank: none is a duplicate of another)."""
    assert list(found.tickets) == list(expected.tickets)
    for name in ("ticket", "at", "kind", "agent_reply", "customer_message"):
        np.testing.assert_array_equal(getattr(found, name), getattr(expected, name), name)
    assert found.arranged == expected.arranged
    assert sorted(found.fields) == sorted(expected.fields)
    for name in expected.fields:
        codes, vocabulary = found.fields[name]
        expected_codes, expected_vocabulary = expected.fields[name]
        np.testing.assert_array_equal(codes, expected_codes, name)
        assert list(vocabulary) == list(expected_vocabulary)
    if ranks:
        np.testing.assert_array_equal(found.rank, expected.rank)
    for columns in (found, expected):  # in evaluation order by their own ranks
        same = (columns.ticket[1:] == columns.ticket[:-1]) & (
            np.diff(sort_key(columns.at, columns.kind)) == 0
        )
        assert bool((np.diff(columns.rank)[same] > 0).all())


def _reference(path: Path, mapping: ColumnMapping) -> EventColumns | str:
    try:
        return EventColumns.from_events(read_events(path, mapping))
    except TicketLogError as error:
        return f"error: {error}"


def _check(path: Path, mapping: ColumnMapping, ranks: bool) -> EventColumns | None:
    """The columns read straight, checked against the reference (None: it gave up)."""
    found = read_log_columns(path, mapping)
    expected = _reference(path, mapping)
    if isinstance(expected, str):  # a log with an error: left to the events, which name it
        assert found is None
    elif found is not None:
        _assert_same_columns(found, expected, ranks)
    return found


def test_the_servicenow_sample_reads_into_the_same_columns() -> None:
    mapping = ColumnMapping.read(SERVICENOW / "mapping.yaml")
    found = _check(SAMPLE, mapping, ranks=False)
    assert found is not None  # the column reading took it
    assert len(found.at) == 4386


def test_the_columns_find_a_ticket_by_its_name() -> None:
    """As a report finds the events of the tickets it explains (a lookup, not a scan)."""
    found = read_log_columns(SAMPLE, ColumnMapping.read(SERVICENOW / "mapping.yaml"))
    assert found is not None
    names = found.tickets
    assert [names.index(name) for name in names] == list(range(len(names)))
    assert names.index(names[5], 5) == 5
    with pytest.raises(ValueError, match="INC-none"):
        names.index("INC-none")


@pytest.mark.parametrize("engine", ["auto", "replay"])
def test_the_servicenow_sample_gives_the_same_report_both_ways(engine: str) -> None:
    """Its busiest month, judged at the end of its evidence, as ``accord report`` judges it
    (on the column engine, or every ticket replayed from events made of the columns)."""
    agreement = load_agreement(SERVICENOW / "agreement.yaml")
    mapping = ColumnMapping.read(SERVICENOW / "mapping.yaml")
    by_events = Data(tickets=tuple(read_events(SAMPLE, mapping)))
    by_columns = Data(ticket_columns=read_log_columns(SAMPLE, mapping))
    assert by_columns.ticket_columns is not None
    assert by_columns.span() == by_events.span()
    span = by_events.span()
    assert span is not None
    start, end = parse_period("2016-03", "UTC")
    expected = evaluate(agreement, by_events, start, end, as_of=span[1], engine=engine)  # type: ignore[arg-type]
    found = evaluate(agreement, by_columns, start, end, as_of=span[1], engine=engine)  # type: ignore[arg-type]
    assert repr(found) == repr(expected)
    assert any(o.breaches for o in found.objectives)  # something to explain, not empty


def test_accord_report_on_a_csv_log_prints_what_it_printed_from_the_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from accord.cli import app
    from accord.io import tickets

    arguments = [
        "report", str(SERVICENOW / "agreement.yaml"), "--tickets", str(SAMPLE),
        "--mapping", str(SERVICENOW / "mapping.yaml"), "--period", "2016-03", "--format", "json",
    ]  # fmt: skip
    runner = CliRunner()
    found = runner.invoke(app, arguments)
    # the old path (the command imports the reader when it reads: patched where it lives)
    monkeypatch.setattr(tickets, "read_log", tickets.read_events)
    expected = runner.invoke(app, arguments)
    assert found.exit_code == expected.exit_code == 0, found.output
    assert found.output == expected.output
    assert '"objectives"' in found.output


@given(log=logs())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_snapshot_exports_read_into_the_same_columns(
    log: tuple[str, dict[str, Any], bool], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tickets' rows in any order, ties in one minute ordered by a number, DST, values
    translated, rows ignored, bad cells (then the events' error, never columns)."""
    text, fields, by_nan = log
    path, mapping = written(text, fields, tmp_path_factory, "export.csv")
    found = _check(path, mapping, ranks=False)
    sound = not isinstance(_reference(path, mapping), str)
    if sound and not by_nan:
        assert found is not None  # whatever the events read, the columns read too


def test_an_unknown_kind_on_ignored_rows_only_reads_into_the_same_columns(
    tmp_path: Path,
) -> None:
    """A bot's rows are ignored, one of them of a kind Accord does not know: no kept event has
    it, so the log reads as the events read it (it raised a KeyError)."""
    path = tmp_path / "events.csv"
    path.write_text(
        "event,key,when,type,by,state\n"
        "e1,T1,01/03/2026 09:00:00,created,agent,Open\n"
        "e2,T1,01/03/2026 09:05:00,?,bot,Open\n"
        "e3,T1,01/03/2026 10:00:00,resolved,agent,Done\n"
    )
    columns = {"id": "event", "ticket": "key", "at": "when", "event": "type", "author": "by"}
    mapping = ColumnMapping.model_validate(
        {
            **columns,
            "time_format": "%d/%m/%Y %H:%M:%S",
            "fields": {"status": "state"},
            "ignore": {"by": "bot"},
        }
    )
    found = _check(path, mapping, ranks=False)
    assert found is not None
    assert len(found.at) == 2


@given(log=event_logs())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_event_logs_read_into_the_same_columns(
    log: tuple[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    text, fields = log
    path, mapping = written(text, fields, tmp_path_factory, "events.csv")
    found = _check(path, mapping, ranks=True)
    if not isinstance(_reference(path, mapping), str):
        assert found is not None


def _as_event_log(jsonl: Path, path: Path) -> ColumnMapping:
    """A JSON Lines ticket log written as another desk's CSV event log (a column per field,
    roles and visibility as text, instants with their offsets), and its mapping."""
    events = read_events(jsonl)
    names = sorted({name for e in events for name in e.fields})
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["event", "key", "when", "type", "by", "shown", *(f"f_{n}" for n in names)])
    for e in events:
        writer.writerow(
            [e.id, e.ticket, e.at.isoformat(), e.kind, e.author or "", str(e.public).lower()]
            + [e.fields.get(n, "") for n in names]
        )
    path.write_text(text.getvalue())
    return ColumnMapping.model_validate(
        {
            "id": "event", "ticket": "key", "at": "when", "event": "type", "author": "by",
            "public": "shown", "missing": [""], "fields": {n: f"f_{n}" for n in names},
        }
    )  # fmt: skip


WITH_TICKETS = [e for e in EXAMPLES if (DATA / e.data / "tickets.jsonl").exists()]


@pytest.mark.parametrize("example", WITH_TICKETS, ids=[e.agreement for e in WITH_TICKETS])
def test_every_example_ticket_log_as_csv_reads_into_the_same_columns_and_report(
    example: Example, tmp_path: Path
) -> None:
    data = read_data(DATA / example.data)
    path = tmp_path / "events.csv"
    mapping = _as_event_log(DATA / example.data / "tickets.jsonl", path)
    found = _check(path, mapping, ranks=True)
    assert found is not None
    agreement = load_agreement(AGREEMENTS / example.agreement)
    start, end = parse_period("2026-10", example.zone)
    span = data.span()
    as_of = span[1] if span is not None else None
    expected = evaluate(agreement, data, start, end, example.tier, as_of=as_of)
    by_columns = dataclasses.replace(data, tickets=(), ticket_columns=found)
    assert repr(evaluate(agreement, by_columns, start, end, example.tier, as_of=as_of)) == repr(
        expected
    )


def test_an_event_log_giving_an_id_twice_is_left_to_the_events(tmp_path: Path) -> None:
    """One event given twice counts once (the events tell it): not read into columns."""
    path = tmp_path / "events.csv"
    path.write_text(
        "id,ticket,at,kind\n"
        "e1,T1,2026-03-02T09:00:00+00:00,created\n"
        "e1,T1,2026-03-02T09:00:00+00:00,created\n"
        "e2,T1,2026-03-02T10:00:00+00:00,resolved\n"
    )
    assert read_log_columns(path, ColumnMapping()) is None
    assert len(EventColumns.from_events(read_events(path, ColumnMapping())).at) == 2


@pytest.mark.parametrize("kind", ["events", "snapshots"])
def test_a_log_the_columns_give_up_on_is_parsed_once_then_read_as_events(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`accord report` over a CSV log the columns leave to the events (an event log giving an
    id twice; a snapshot log whose instants mix zones) reports what the events give, the file
    parsed by pyarrow once, not once for the columns and again for the events."""
    from typer.testing import CliRunner

    from accord.cli import app
    from accord.io import csv_snapshots, tickets

    path = tmp_path / "log.csv"
    if kind == "events":
        path.write_text(
            "id,ticket,at,kind,priority,status\n"
            "e1,T1,2026-10-06T10:00:00+00:00,created,1 - Critical,New\n"
            "e1,T1,2026-10-06T10:00:00+00:00,created,1 - Critical,New\n"
            "e2,T1,2026-10-06T16:00:00+00:00,updated,1 - Critical,Resolved\n"
        )
        mapping = {"fields": {"priority": "priority", "status": "status"}}
    else:
        path.write_text(
            "number,state,updated,priority\n"
            "T1,New,2026-10-06T10:00:00,1 - Critical\n"
            "T1,Resolved,2026-10-06T16:00:00+00:00,1 - Critical\n"
        )
        mapping = {
            "kind": "snapshots", "ticket": "number", "at": "updated",
            "fields": {"status": "state", "priority": "priority"},
        }  # fmt: skip
    (tmp_path / "mapping.yaml").write_text(json.dumps({"format": "csv", **mapping}))
    parsed: list[Path] = []
    table = csv_snapshots._table

    def counted(file: Path, *arguments: Any, **named: Any) -> Any:
        parsed.append(file)
        return table(file, *arguments, **named)

    monkeypatch.setattr(csv_snapshots, "_table", counted)
    arguments = [
        "report", str(SERVICENOW / "agreement.yaml"),
        "--tickets", str(path), "--mapping", str(tmp_path / "mapping.yaml"),
        "--period", "2026-10", "--format", "json",
    ]  # fmt: skip
    found = CliRunner().invoke(app, arguments)
    assert found.exit_code == 0, found.output
    assert parsed == [path]
    assert tickets.read_log_columns(path, ColumnMapping.model_validate(mapping)) is None
    monkeypatch.setattr(tickets, "read_log", tickets.read_events)  # the events, as they were
    expected = CliRunner().invoke(app, arguments)
    assert found.output == expected.output
    assert '"resolution-p1"' in found.output


def test_logs_the_columns_do_not_read_are_left_to_the_events(tmp_path: Path) -> None:
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text(
        '{"id": "e1", "ticket": "T1", "at": "2026-03-02T09:00:00Z", "kind": "created"}\n'
    )
    assert read_log_columns(jsonl) is None
    activities = ColumnMapping.read(ROOT / "examples" / "activities" / "mapping.yaml")
    assert read_log_columns(ROOT / "examples" / "activities" / "helpdesk.csv", activities) is None


def test_a_bad_row_keeps_its_error_naming_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "number,state,updated,opened,seq\n"
        "INC1,New,01-03-2026 09:00,01-03-2026 09:00,0\n"
        "INC1,Active,31-02-2026 10:00,?,1\n"
    )
    mapping = ColumnMapping.model_validate(
        {
            "kind": "snapshots", "ticket": "number", "at": "updated", "created_at": "opened",
            "order": "seq", "time_format": "%d-%m-%Y %H:%M", "missing": "?",
            "fields": {"status": "state"},
        }
    )  # fmt: skip
    assert read_log_columns(path, mapping) is None
    with pytest.raises(TicketLogError, match=r"export.csv:3: column 'updated': malformed instant"):
        read_events(path, mapping)


@pytest.mark.parametrize("where", ["fields", "ignore", "values"])
def test_a_misspelt_column_is_an_error_not_a_log_without_it(where: str) -> None:
    """A mapping naming a column the file lacks gets no columns; the events' reading then
    names the column and the file's columns, as it always has, instead of a report judging a
    log without that field."""
    mapping = ColumnMapping.read(SERVICENOW / "mapping.yaml").model_dump(exclude_unset=True)
    if where == "fields":
        mapping["fields"] = {**mapping.get("fields", {}), "priority": "priorty"}
    elif where == "ignore":
        mapping["ignore"] = {"priorty": ["1 - Critical"]}
    else:
        mapping["values"] = {"priorty": {"1 - Critical": "P1"}}
    misspelt = ColumnMapping.model_validate(mapping)
    assert read_log_columns(SAMPLE, misspelt) is None
    with pytest.raises(TicketLogError, match=r"no column 'priorty'"):
        read_events(SAMPLE, misspelt)
