"""XES logs evaluated: the XES standard's example log, and a help desk's activity log written
as XES, give through the XES reader exactly the events, clocks and report that the same events
give as a CSV activity log; an XES log is read through an activity mapping only.

``examples/xes/exercise1.xes`` is the XES standard's example log (its source is cited in the
file); ``exercise1.csv`` holds the same events as CSV (``tests/io/test_xes.py`` keeps the two
in step)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

import pytest
import yaml
from typer.testing import CliRunner

from accord.cli import app
from accord.io.mapping import ColumnMapping
from accord.io.tickets import TicketLogError, read_events

ROOT = Path(__file__).resolve().parents[2]
XES = ROOT / "examples" / "xes"
HELPDESK = ROOT / "examples" / "activities"


def _run(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_standards_example_gives_the_same_events_as_xes_and_as_csv() -> None:
    from_xes = read_events(XES / "exercise1.xes", ColumnMapping.read(XES / "mapping.yaml"))
    from_csv = read_events(XES / "exercise1.csv", ColumnMapping.read(XES / "mapping-csv.yaml"))
    assert len(from_xes) == 11
    assert [(e.ticket, e.kind, e.at, e.fields) for e in from_xes] == [
        (e.ticket, e.kind, e.at, e.fields) for e in from_csv
    ]
    # Case2.0 waits on the customer from C (08:21:01) until its next activity, B
    case2 = [(e.kind, e.fields.get("waiting")) for e in from_xes if e.ticket == "Case2.0"]
    assert case2 == [
        ("created", "no"),
        ("updated", "customer"),
        ("comment", "no"),
        ("resolved", None),  # (a field is carried by the event that changes it)
    ]


def test_the_standards_example_is_reported_alike_from_xes_and_from_csv() -> None:
    """The report's JSON, figures and breaches, is the same text from either file: response
    (within 1 min) met by Case1.0 and Case3.0 (answered after exactly 1 min) and missed by
    Case2.0 (2 min); resolution (within 2 min, paused while waiting on the customer) met by
    all three, each having used exactly 2 min."""
    agreement = XES / "agreement.yaml"
    common = ("report", agreement, "--period", "2008-12", "--format", "json")
    xes = _run(*common, "--tickets", XES / "exercise1.xes", "--mapping", XES / "mapping.yaml")
    csv_ = _run(*common, "--tickets", XES / "exercise1.csv", "--mapping", XES / "mapping-csv.yaml")
    assert xes == csv_
    found = {o["objective"]: o for o in json.loads(xes)["objectives"]}
    assert found["response"]["tickets"]["met"] == 2
    assert found["response"]["tickets"]["breached"] == 1
    assert found["resolution"]["tickets"]["met"] == 3


def _as_xes(rows: list[dict[str, str]], zone: ZoneInfo, path: Path) -> None:
    """The help desk's CSV written as an XES log: a trace per case (its product as a trace
    attribute), each activity an event with its instant's offset and the priority then (it
    changes within a case), completed, and a ``start`` event before each (which the mapping
    leaves out)."""
    cases: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        cases.setdefault(row["Case ID"], []).append(row)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<log xes.version="1849-2016">']
    for case, activities in cases.items():
        first = activities[0]
        lines.append("<trace>")
        lines.append(f'<string key="concept:name" value={quoteattr(case)}/>')
        lines.append(f'<string key="product" value={quoteattr(first["Product"])}/>')
        for row in activities:
            at = datetime.strptime(row["Timestamp"], "%Y/%m/%d %H:%M:%S").replace(tzinfo=zone)
            for transition in ("start", "complete"):
                lines.append("<event>")
                lines.append(f'<string key="concept:name" value={quoteattr(row["Activity"])}/>')
                if row["Resource"]:
                    lines.append(f'<string key="org:resource" value={quoteattr(row["Resource"])}/>')
                lines.append(f'<string key="lifecycle:transition" value="{transition}"/>')
                lines.append(f'<string key="priority" value={quoteattr(row["Priority"])}/>')
                lines.append(f'<date key="time:timestamp" value="{at.isoformat()}"/>')
                lines.append("</event>")
        lines.append("</trace>")
    lines.append("</log>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_help_desk_log_written_as_xes_is_judged_as_its_csv(tmp_path: Path) -> None:
    """The example help desk (pauses until the next activity and until a named one, a reopened
    ticket, rows marked INVALID and DUPLICATE, a RESOLVED from an older workflow) as XES, read
    with the example mapping's meanings, values and filters under XES's keys: the same clocks
    and the same report as from the CSV."""
    with (HELPDESK / "helpdesk.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    spec = yaml.safe_load((HELPDESK / "mapping.yaml").read_text(encoding="utf-8"))
    _as_xes(rows, ZoneInfo(spec["timezone"]), tmp_path / "helpdesk.xes")
    renamed = {"Activity": "concept:name"}
    xes_mapping = {
        "kind": "activities",
        "fields": {"priority": "priority", "product": "case:product"},
        "values": {renamed[k]: v for k, v in spec["values"].items()},
        "ignore": {renamed[k]: v for k, v in spec["ignore"].items()}
        | {"lifecycle:transition": ["start"]},
        "activities": spec["activities"],
    }
    (tmp_path / "mapping.yaml").write_text(yaml.safe_dump(xes_mapping), encoding="utf-8")
    agreement = HELPDESK / "agreement.yaml"
    xes = ("--mapping", tmp_path / "mapping.yaml")
    csv_ = ("--mapping", HELPDESK / "mapping.yaml")
    as_of = ("--as-of", "2026-03-27T17:00:00+01:00")
    clocks = ("clocks", agreement, "--tickets", *as_of)
    assert _run(*clocks, tmp_path / "helpdesk.xes", *xes) == _run(
        *clocks, HELPDESK / "helpdesk.csv", *csv_
    )
    report = ("report", agreement, "--period", "2026-03", "--format", "json", *as_of)
    from_xes = _run(*report, "--tickets", tmp_path / "helpdesk.xes", *xes)
    assert from_xes == _run(*report, "--tickets", HELPDESK / "helpdesk.csv", *csv_)
    assert json.loads(from_xes)["clocks"]["tickets"] == 8


def test_an_xes_log_needs_an_activity_mapping() -> None:
    with pytest.raises(
        TicketLogError, match=r"exercise1\.xes: .*expected a mapping of kind: activities"
    ):
        read_events(XES / "exercise1.xes", ColumnMapping(kind="events"))
    with pytest.raises(TicketLogError, match="kind: activities"):
        read_events(XES / "exercise1.xes")


def test_a_key_the_mapping_names_that_no_event_has_is_an_error(tmp_path: Path) -> None:
    """An XES log has no header to check: `case:priorty` for `case:priority` would leave every
    ticket without a priority (and out of every objective scoped by it); it is refused naming
    the key and those the events have. The standard keys taken by default are not required."""
    spec = yaml.safe_load((XES / "mapping.yaml").read_text(encoding="utf-8"))
    spec["fields"] = {"priority": "case:priorty"}
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(TicketLogError) as error:
        read_events(XES / "exercise1.xes", ColumnMapping.read(path))
    assert f"no event has 'case:priorty' (fields.priority at {path}:" in str(error.value)
    assert "case:concept:name" in str(error.value)
