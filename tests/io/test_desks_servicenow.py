"""Importing ServiceNow: the incident audit export (the vendored sample, and hand-made rows for
each kind of bad input) and task_sla records (a hand-made fixture of the documented shape: see
tests/data/servicenow-task-sla/SOURCE.md, after ServiceNow's "Task SLA table" reference)."""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from accord.io.desks import Context, DeskError, Summary, Verdict, records, source_named
from accord.io.desks.output import import_files, siblings
from accord.io.tickets import ColumnMapping, read_events

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz"
TASK_SLA = ROOT / "tests" / "data" / "servicenow-task-sla" / "task_sla.csv"
HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "opened_at,sys_updated_at,priority,assignment_group"
)


def _import(
    tmp_path: Path, *files: Path, zone: str | None = "UTC", out: str = "log.jsonl"
) -> tuple[Summary, list[Verdict]]:
    desk = source_named("servicenow")
    context = Context(desk.statuses, zone=None if zone is None else ZoneInfo(zone))
    summary = import_files(desk, list(files), tmp_path / out, context)
    verdicts_file = siblings(tmp_path / out)[0]
    verdicts = [
        Verdict.from_json(json.loads(line), f"{verdicts_file}:{n}")
        for n, line in enumerate(verdicts_file.read_text().splitlines(), 1)
    ]
    return summary, verdicts


def _csv(tmp_path: Path, *rows: str, name: str = "incidents.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_sample_gives_the_events_the_column_mapping_gives(tmp_path: Path) -> None:
    """A differential test: the importer against the generic CSV reader through
    examples/servicenow/mapping.yaml, on the real sample."""
    _import(tmp_path, SAMPLE, out="log.parquet")
    mapped = read_events(SAMPLE, ColumnMapping.read(ROOT / "examples/servicenow/mapping.yaml"))
    imported = read_events(tmp_path / "log.parquet")

    def key(e):  # type: ignore[no-untyped-def]
        return (e.id, e.ticket, e.at, e.kind, sorted(e.fields.items()))

    assert sorted(map(key, imported)) == sorted(map(key, mapped))
    assert len(imported) == 4386


def test_made_sla_is_kept_as_the_final_value_per_incident(tmp_path: Path) -> None:
    summary, verdicts = _import(tmp_path, SAMPLE)
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as handle:
        final: dict[str, tuple[int, str]] = {}
        for row in csv.DictReader(handle):
            count = int(row["sys_mod_count"])
            if row["number"] not in final or count >= final[row["number"]][0]:
                final[row["number"]] = (count, row["made_sla"])
    by_ticket = {v.ticket: v for v in verdicts}
    assert set(by_ticket) == set(final)
    assert {t: v.outcome != "breached" for t, v in by_ticket.items()} == {
        t: made == "TRUE" for t, (_, made) in final.items()
    }
    assert sum(v.outcome == "breached" for v in verdicts) == 395  # as SOURCE.md counts
    assert summary.verdicts == 890
    # every incident that ends missed started as made: the change is noted
    missed = [v for v in verdicts if v.outcome == "breached"]
    assert all(v.note.startswith("made_sla was TRUE at first, FALSE from row") for v in missed)


def test_the_full_logs_date_format_and_lowercase_booleans(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "INC1,New,true,0,0,0,true,5/3/2016 9:05,5/3/2016 9:07,3 - Moderate,Group 1",
        "INC1,Resolved,true,0,0,1,false,5/3/2016 9:05,12/3/2016 17:40,3 - Moderate,Group 1",
    )
    summary, verdicts = _import(tmp_path, path)
    events = read_events(tmp_path / "log.jsonl")
    assert [e.at for e in events] == [
        datetime(2016, 3, 5, 9, 5, tzinfo=UTC),
        datetime(2016, 3, 12, 17, 40, tzinfo=UTC),
    ]
    assert events[1].fields == {"status": "Resolved"}
    (verdict,) = verdicts
    assert (verdict.outcome, verdict.decided_at) == ("breached", events[1].at)
    assert verdict.origin.endswith("incidents.csv:3")
    assert not summary.warnings.counts


def test_a_zone_given_places_the_instants(tmp_path: Path) -> None:
    path = _csv(tmp_path, "INC1,New,true,0,0,0,true,5/7/2016 09:00,5/7/2016 09:00,3,G")
    _import(tmp_path, path, zone="Europe/Lisbon")
    (event,) = read_events(tmp_path / "log.jsonl")
    assert event.at == datetime(2016, 7, 5, 8, 0, tzinfo=UTC)  # Lisbon is UTC+1 in July


def test_without_a_zone_the_import_asks_for_one(tmp_path: Path) -> None:
    path = _csv(tmp_path, "INC1,New,true,0,0,0,true,5/3/2016 9:05,5/3/2016 9:07,3,G")
    with pytest.raises(DeskError, match="writes times without a time zone; give the desk's zone"):
        _import(tmp_path, path, zone=None)


def test_duplicated_rows_are_skipped_and_counted_with_their_row(tmp_path: Path) -> None:
    row = "INC1,New,true,0,0,0,true,5/3/2016 9:05,5/3/2016 9:07,3,G"
    path = _csv(tmp_path, row, row, "INC1,Closed,false,0,0,1,true,5/3/2016 9:05,6/3/2016 9:00,3,G")
    summary, _ = _import(tmp_path, path)
    assert summary.warnings.counts == {"duplicate row": 1}
    assert summary.warnings.examples["duplicate row"] == [
        f"{path}:3: the same as an earlier row of INC1: skipped"
    ]
    assert summary.events == 2


def test_rows_out_of_order_are_sorted_with_a_warning(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "INC1,Resolved,true,0,0,2,true,5/3/2016 9:00,7/3/2016 9:00,3,G",
        "INC1,New,true,0,0,0,true,5/3/2016 9:00,5/3/2016 9:00,3,G",
        "INC1,Active,true,0,0,1,true,5/3/2016 9:00,6/3/2016 9:00,3,G",
    )
    summary, verdicts = _import(tmp_path, path)
    statuses = [e.fields.get("status") for e in read_events(tmp_path / "log.jsonl")]
    assert statuses == ["New", "Active", "Resolved"]
    assert summary.warnings.counts == {"rows out of order": 1}
    assert summary.warnings.examples["rows out of order"][0].startswith(f"{path}:3: INC1's rows")
    assert verdicts[0].outcome == "met"


def test_an_unknown_status_is_imported_as_open_and_listed(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "INC1,New,true,0,0,0,true,5/3/2016 9:00,5/3/2016 9:00,3,G",
        "INC1,-100,true,0,0,1,true,5/3/2016 9:00,5/3/2016 10:00,3,G",
    )
    summary, verdicts = _import(tmp_path, path)
    assert summary.warnings.examples["unknown status"] == [
        f"{path}:3:incident_state: '-100' is not in the status map: imported as open "
        "(add it to the map and pass it back with --statuses)"
    ]
    assert ("-100", 1, "-100", "open", False) in summary.mapped()
    assert verdicts[0].outcome == "running"  # made so far, and still open


def test_a_missing_update_time_skips_the_row_with_a_warning(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "INC1,New,true,0,0,0,true,5/3/2016 9:00,5/3/2016 9:00,3,G",
        "INC1,Active,true,0,0,1,true,5/3/2016 9:00,?,3,G",
    )
    summary, _ = _import(tmp_path, path)
    assert summary.warnings.examples["missing timestamp"] == [
        f"{path}:3:sys_updated_at: an update of INC1 without its time: skipped"
    ]
    assert summary.events == 1


def test_a_malformed_date_names_its_row_and_column(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "INC1,New,true,0,0,0,true,5/3/2016 9:00,5/3/2016 9:00,3,G",
        "INC1,Active,true,0,0,1,true,5/3/2016 9:00,March 6th,3,G",
    )
    with pytest.raises(DeskError, match=r"incidents.csv:3:sys_updated_at: 'March 6th' is not an"):
        _import(tmp_path, path)
    assert not (tmp_path / "log.jsonl").exists()


def test_both_date_formats_in_one_file_are_read_and_warned_about(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "INC1,New,true,0,0,0,true,29-02-2016 01:16,29-02-2016 01:23,3,G",
        "INC2,New,true,0,0,0,true,5/3/2016 9:00,5/3/2016 9:00,3,G",
    )
    summary, _ = _import(tmp_path, path)
    assert summary.warnings.counts == {"several date formats": 1}
    assert summary.warnings.examples["several date formats"][0].startswith(f"{path}:3:")
    assert summary.first == datetime(2016, 2, 29, 1, 16, tzinfo=UTC)


def test_an_incident_whose_rows_are_apart_is_gathered(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "INC1,New,true,0,0,0,true,5/3/2016 9:00,5/3/2016 9:00,3,G",
        "INC2,New,true,0,0,0,true,5/3/2016 9:00,5/3/2016 9:00,3,G",
        "INC1,Resolved,true,0,0,1,true,5/3/2016 9:00,5/3/2016 10:00,3,G",
    )
    summary, verdicts = _import(tmp_path, path)
    events = read_events(tmp_path / "log.jsonl")
    assert [(e.id, e.kind, e.fields.get("status")) for e in events] == [
        ("INC1:created", "created", "New"),
        ("INC1:4", "updated", "Resolved"),
        ("INC2:created", "created", "New"),
    ]
    assert {v.ticket: v.outcome for v in verdicts} == {"INC1": "met", "INC2": "running"}
    assert (summary.tickets, summary.events) == (2, 3)
    assert not summary.warnings.counts


def test_an_incident_split_over_two_files_is_one_incident(tmp_path: Path) -> None:
    first = _csv(
        tmp_path,
        "INC1,New,true,0,0,0,true,5/3/2016 9:00,5/3/2016 9:00,3,G",
        name="a.csv",
    )
    second = _csv(
        tmp_path,
        "INC1,Resolved,true,0,0,1,false,5/3/2016 9:00,6/3/2016 9:00,3,G",
        name="b.csv",
    )
    summary, verdicts = _import(tmp_path, second, first)  # files in any order
    events = read_events(tmp_path / "log.jsonl")
    assert [(e.id, e.kind, e.fields.get("status")) for e in events] == [
        ("INC1:created", "created", "New"),
        ("INC1:0:2", "updated", "Resolved"),  # the file's place among those given, its line
    ]
    (verdict,) = verdicts
    assert (verdict.outcome, verdict.origin) == ("breached", f"{second}:2")
    assert summary.warnings.counts == {"rows out of order": 1}


def _shuffled(tmp_path: Path, seed: int) -> tuple[Path, dict[int, int]]:
    """The sample's rows in a random order, and each new line's line in the sample."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [(reader.line_num, row) for row in reader]
    assert [line for line, _ in rows] == list(range(2, len(rows) + 2))  # one line a row
    random.Random(seed).shuffle(rows)
    path = tmp_path / "shuffled.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(row for _, row in rows)
    return path, {new: old for new, (old, _) in enumerate(rows, 2)}


def _outcome(
    folder: Path, file: Path, lines: dict[int, int] | None = None
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """An import's events and verdicts, sorted, with the lines they name taken back to the
    sample's by ``lines``."""
    folder.mkdir()
    _, verdicts = _import(folder, file, out="log.parquet")

    def back(line: str) -> str:
        return line if lines is None else str(lines[int(line)])

    rank: dict[str, int] = {}  # an event's place in its ticket's timeline (as the log reads)
    events = []
    for e in read_events(folder / "log.parquet"):
        rank[e.ticket] = rank.get(e.ticket, -1) + 1
        ident = re.sub(r":(\d+)$", lambda m: ":" + back(m[1]), e.id)
        fields = sorted(e.fields.items())
        events.append((ident, e.ticket, e.at, e.kind, fields, e.author, e.public, rank[e.ticket]))
    events.sort()
    found = sorted(
        (v.ticket, v.metric, v.outcome, v.decided_at, back(v.origin.rsplit(":", 1)[1]),
         re.sub(r"from row (\d+)", lambda m: "from row " + back(m[1]), v.note))
        for v in verdicts
    )  # fmt: skip
    return events, found


def test_an_unsorted_export_imports_as_the_sorted_one(tmp_path: Path) -> None:
    shuffled, lines = _shuffled(tmp_path, seed=16)
    events, verdicts = _outcome(tmp_path / "sorted", SAMPLE)
    assert (events, verdicts) == _outcome(tmp_path / "shuffled", shuffled, lines)
    assert len(events) == 4386
    assert len(verdicts) == 890


def test_an_unsorted_export_spilled_to_buckets_imports_as_the_sorted_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shuffled, lines = _shuffled(tmp_path, seed=17)
    expected = _outcome(tmp_path / "sorted", SAMPLE)
    spills: list[object] = []
    monkeypatch.setattr(records, "IN_MEMORY", 100)
    real = records.Gathering._write

    def write(self: records.Gathering, ticket: str, record: dict[str, object]) -> None:
        spills.append(ticket)
        real(self, ticket, record)

    monkeypatch.setattr(records.Gathering, "_write", write)
    assert _outcome(tmp_path / "shuffled", shuffled, lines) == expected
    assert len(spills) == 5998  # every row went through the bucket files


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + f"{HEADER}\nINC1,New,true,0,0,0,true,5/3/2016 9:00,5/3/2016 9:00,3,G\n".encode()
    )
    summary, _ = _import(tmp_path, path)
    assert summary.tickets == 1


def test_a_file_of_neither_shape_says_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("id,when\n1,2\n")
    with pytest.raises(DeskError, match=r"other.csv:1: neither an incident export"):
        _import(tmp_path, path)


def test_task_sla_records_become_verdicts_with_elapsed_time(tmp_path: Path) -> None:
    summary, verdicts = _import(tmp_path, TASK_SLA)
    found = {v.ticket: v for v in verdicts}
    assert {t: v.outcome for t, v in found.items()} == {
        "INC0000045": "met",
        "INC0000062": "breached",
        "INC0000070": "breached",
        "INC0000071": "running",
    }
    assert found["INC0000062"].elapsed == timedelta(days=5, hours=2)  # 1970-01-06 02:00:00
    assert found["INC0000062"].decided_at == datetime(2016, 3, 5, 16, tzinfo=UTC)
    assert found["INC0000070"].decided_at == datetime(2016, 3, 7, 6, 10, tzinfo=UTC)  # breach time
    assert found["INC0000071"].elapsed == timedelta(seconds=1800)
    assert found["INC0000045"].metric == "Priority 3 resolution (5 day)"
    assert found["INC0000062"].origin.endswith("task_sla.csv:3")
    assert summary.warnings.counts == {"cancelled task SLA": 1}
    assert summary.events == 0


def test_a_task_sla_with_a_bad_stage_or_duration_names_row_and_column(tmp_path: Path) -> None:
    header = TASK_SLA.read_text().splitlines()[0]
    bad_stage = tmp_path / "stage.csv"
    bad_stage.write_text(f"{header}\nINC1,P1,done,false,,,,0,0,0\n")
    with pytest.raises(DeskError, match=r"stage.csv:2:stage: 'done'; expected one of in_progress"):
        _import(tmp_path, bad_stage)
    bad_duration = tmp_path / "duration.csv"
    bad_duration.write_text(f"{header}\nINC1,P1,completed,false,,,,2 hours,0,0\n")
    with pytest.raises(DeskError, match=r"duration.csv:2:business_duration: '2 hours' is not a"):
        _import(tmp_path, bad_duration)


def test_incidents_and_task_slas_together(tmp_path: Path) -> None:
    summary, verdicts = _import(tmp_path, SAMPLE, TASK_SLA)
    assert summary.verdicts == 890 + 4
    assert {v.metric for v in verdicts} == {
        "made_sla",
        "Priority 3 resolution (5 day)",
        "Priority 2 response (1 hour)",
    }


# ------------------------------------------------------------------- sys_audit (field changes)

SYS_AUDIT = ROOT / "tests" / "data" / "servicenow-sys-audit" / "sys_audit.csv"
AUDIT_HEADER = "tablename,documentkey,fieldname,oldvalue,newvalue,sys_created_on,record_checkpoint"


def test_sys_audit_rows_become_the_incidents_events_and_made_sla(tmp_path: Path) -> None:
    """The hand-made fixture (tests/data/servicenow-sys-audit/SOURCE.md, after ServiceNow's
    Sys Audit reference): the insert's rows open the incident with its fields, each update's
    rows are one event, raw choice values read as the labels an export writes."""
    summary, verdicts = _import(tmp_path, SYS_AUDIT)
    events = read_events(tmp_path / "log.jsonl")
    opened = [e for e in events if e.ticket == "INC0010001"]
    at = datetime(2026, 3, 2, tzinfo=UTC)
    assert [(e.at - at, e.kind, e.fields) for e in opened] == [
        (
            timedelta(hours=9),
            "created",
            {
                "status": "New",
                "priority": "3 - Moderate",
                "impact": "2 - Medium",
                "urgency": "2 - Medium",
                "team": "8a5055c9c61122780043563ef53438e3",
            },
        ),
        (
            timedelta(hours=9, minutes=20),
            "updated",
            {"status": "In Progress", "assignee": "5137153cc611227c000bbd1bd8cd2005"},
        ),
        (timedelta(hours=10), "updated", {"status": "On Hold"}),
        (timedelta(hours=13), "updated", {"status": "In Progress"}),
        (timedelta(hours=15), "updated", {"status": "Resolved", "priority": "2 - High"}),
        (timedelta(days=3, hours=9), "updated", {"status": "Closed"}),
    ]
    (verdict,) = verdicts
    assert (verdict.ticket, verdict.outcome) == ("INC0010001", "breached")
    assert verdict.decided_at == at + timedelta(days=3, hours=9)
    assert verdict.origin == f"{SYS_AUDIT}:23"
    assert verdict.note.startswith("made_sla was TRUE at first, FALSE from row 23")
    # nothing dropped silently: each row not imported is counted, with its place
    assert summary.warnings.counts == {
        "field not read": 1,
        "duplicate row": 1,
        "not an incident": 1,
        "insert not in the export": 1,
        "incident number not in the export": 1,
        "missing timestamp": 1,
        "no verdict": 1,
    }
    assert summary.warnings.examples["not an incident"] == [
        f"{SYS_AUDIT}:21:tablename: a problem row: skipped"
    ]
    assert summary.warnings.examples["duplicate row"][0].startswith(f"{SYS_AUDIT}:18:")
    assert summary.warnings.examples["field not read"] == [
        f"{SYS_AUDIT}:16:fieldname: 'work_notes': not an SLA field"
    ]
    # the incident without its insert: opened with the old values of its first change, named
    # by its sys_id
    other = [(e.kind, e.fields) for e in events if e.ticket != "INC0010001"]
    assert other == [
        ("created", {"status": "New"}),
        ("updated", {"status": "In Progress"}),
        ("updated", {"status": "Resolved"}),
    ]
    assert {e.ticket for e in events} == {"INC0010001", "1c741bd70b2322007518478d83673af3"}


def test_sys_audit_times_in_the_zone_given_and_opened_at_as_stored_in_utc(tmp_path: Path) -> None:
    """sys_created_on as exported in the desk's zone; an audited date value is UTC as stored
    (the reference says so), whatever the zone given."""
    path = tmp_path / "audit.csv"
    path.write_text(
        AUDIT_HEADER + "\n"
        "incident,k1,number,,INC9,2026-07-01 10:00:00,0\n"
        "incident,k1,opened_at,,2026-07-01 07:30:00,2026-07-01 10:00:00,0\n"
        "incident,k1,state,,1,2026-07-01 10:00:00,0\n"
        "incident,k1,state,1,6,2026-07-01 12:00:00,1\n",
        encoding="utf-8",
    )
    _import(tmp_path, path, zone="Europe/Paris")  # UTC+2 in July
    created, resolved = read_events(tmp_path / "log.jsonl")
    assert created.at == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)  # opened before the insert
    assert resolved.at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert (created.fields, resolved.fields) == ({"status": "New"}, {"status": "Resolved"})


def test_sys_audit_of_the_sample_gives_the_events_of_its_export(tmp_path: Path) -> None:
    """A differential test: the sample's incident rows written as the sys_audit rows that
    ServiceNow would have kept (an insert with every field set, then each update's changed
    fields with their old and new values) import as the export itself does."""
    fields = ["incident_state", "priority", "impact", "urgency", "assignment_group",
              "assigned_to", "category", "location", "contact_type", "made_sla"]  # fmt: skip
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    def stamp(text: str) -> str:
        return datetime.strptime(text, "%d-%m-%Y %H:%M").strftime("%Y-%m-%d %H:%M:%S")

    by_incident: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_incident.setdefault(row["number"], []).append(row)
    lines = [AUDIT_HEADER]
    simple = set()
    for number, updates in by_incident.items():
        ordered = sorted(
            updates, key=lambda r: (stamp(r["sys_updated_at"]), int(r["sys_mod_count"]))
        )
        moments = [(stamp(r["sys_updated_at"]), r["sys_mod_count"]) for r in ordered]
        if ordered != updates or len(set(moments)) != len(moments):
            continue  # out of order or two rows of one update: the export's own quirks
        simple.add(number)
        key = f"sys-{number}"
        before: dict[str, str] = {}
        for n, row in enumerate(ordered):
            at, count = stamp(row["sys_updated_at"]), row["sys_mod_count"]
            if n == 0:
                lines.append(f"incident,{key},number,,{number},{at},{count}")
                lines.append(f"incident,{key},opened_at,,{stamp(row['opened_at'])},{at},{count}")
            for field in fields:
                value = "" if row[field] == "?" else row[field]
                if value != before.get(field, ""):
                    lines.append(
                        f"incident,{key},{field},{before.get(field, '')},{value},{at},{count}"
                    )
                before[field] = value
    audit = tmp_path / "sys_audit.csv"
    audit.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, from_export = _import(tmp_path, SAMPLE, out="export.jsonl")
    _, from_audit = _import(tmp_path, audit, out="audit.jsonl")

    def key(e):  # type: ignore[no-untyped-def]
        return (e.ticket, e.at, e.kind, sorted(e.fields.items()))

    exported = [key(e) for e in read_events(tmp_path / "export.jsonl") if e.ticket in simple]
    audited = [key(e) for e in read_events(tmp_path / "audit.jsonl")]
    assert len(simple) > 800
    assert sorted(audited) == sorted(exported)
    verdicts = {v.ticket: v.outcome for v in from_export if v.ticket in simple}
    assert {v.ticket: v.outcome for v in from_audit} == verdicts
