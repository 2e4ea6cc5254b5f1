"""Freshdesk files (hand-made in the API reference's shapes, see tests/data/desks/freshdesk/
SOURCE.md) imported as Accord's events and the desk's verdicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.io.desks import Context, DeskError
from accord.io.desks.freshdesk import Freshdesk
from accord.io.desks.output import import_files, siblings
from accord.io.tickets import read_events

DATA = Path(__file__).parent.parent / "data" / "desks" / "freshdesk"
FILES = [DATA / "activities.json", DATA / "ticket-12.json", DATA / "ticket-13.json"]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _import(tmp_path: Path, files: list[Path]):  # type: ignore[no-untyped-def]
    out = tmp_path / "freshdesk.jsonl"
    return out, import_files(Freshdesk(), files, out, Context(Freshdesk.statuses))


def test_activities_become_events_gathered_by_ticket(tmp_path: Path) -> None:
    out, summary = _import(tmp_path, FILES)
    events = [e for e in read_events(out) if e.ticket == "12"]
    assert [(e.at, e.kind, e.author, e.public, dict(e.fields)) for e in events] == [
        (_at(2, 9), "created", None, True, {"status": "Open", "priority": "Low"}),
        (_at(2, 9, 30), "comment", "agent", True, {}),
        (_at(2, 9, 30), "updated", None, True, {"status": "Pending", "assignee": "5"}),
        (_at(2, 11), "comment", "customer", True, {}),
        (_at(2, 11), "updated", None, True, {"status": "Open"}),
        (_at(2, 11, 30), "comment", "agent", False, {}),  # a note (2), privacy unsaid: private
        (_at(2, 11, 45), "comment", "agent", True, {}),  # a note that says "private": false
        (_at(2, 12), "resolved", None, True, {"status": "Resolved", "priority": "Medium"}),
    ]  # fmt: skip
    # ticket 13 opened before the export's days: created from its record, and said
    assert [(e.at, e.kind) for e in read_events(out) if e.ticket == "13"] == [
        (datetime(2026, 2, 27, 16, tzinfo=UTC), "created"), (_at(3, 10), "closed"),
    ]  # fmt: skip
    assert summary.warnings.counts["opening not in the export"] == 1
    assert summary.warnings.examples["note taken as private"] == [
        f"{DATA / 'activities.json'}:activities_data[4]:activity.note: a note (source 2) that "
        "does not say whether it is private: taken as private, Freshdesk's default for notes"
    ]


def test_due_dates_and_stats_give_freshdesks_verdicts(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, FILES)
    verdicts = {
        (v["ticket"], v["metric"]): v
        for v in map(json.loads, siblings(out)[0].read_text().splitlines())
    }
    assert verdicts["12", "first_response"]["outcome"] == "met"
    assert verdicts["12", "resolution"]["outcome"] == "met"
    late = verdicts["13", "resolution"]  # closed 3 March, due 2 March
    assert (late["outcome"], late["decided_at"]) == ("breached", "2026-03-03T10:00:00+00:00")


def test_not_a_freshdesk_file_names_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"tickets": []}')
    with pytest.raises(DeskError, match=r"x.json: not a Freshdesk page"):
        _import(tmp_path, [bad])
    page = json.loads((DATA / "activities.json").read_text())
    page["activities_data"][1]["performed_at"] = "half past nine"
    bad.write_text(json.dumps(page))
    with pytest.raises(
        DeskError, match=r"x.json:activities_data\[1\]:performed_at: 'half past nine' is not an"
    ):
        _import(tmp_path, [bad])


def test_a_time_without_an_offset_needs_the_desks_zone(tmp_path: Path) -> None:
    page = json.loads((DATA / "activities.json").read_text())
    page["activities_data"][0]["performed_at"] = "2026-03-02 09:00:00"
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps(page))
    with pytest.raises(DeskError, match="give the desk's zone with --timezone"):
        _import(tmp_path, [bad])


def test_two_date_formats_in_one_export_are_said_once_for_the_file(tmp_path: Path) -> None:
    # an activity's place names its item; the formats are still compared across the file
    page = json.loads((DATA / "activities.json").read_text())
    page["activities_data"][1]["performed_at"] = "02-03-2026 09:30:00 +0000"
    page["activities_data"][3]["performed_at"] = "02-03-2026 11:00:00 +0000"
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps(page))
    out, summary = _import(tmp_path, [mixed])
    assert summary.warnings.counts["several date formats"] == 1
    assert [e.at for e in read_events(out) if e.ticket == "12"][1:5] == [
        _at(2, 9, 30), _at(2, 9, 30), _at(2, 11), _at(2, 11)
    ]  # fmt: skip
