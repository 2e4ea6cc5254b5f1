"""GLPI answers (hand-made in the API's shapes, see tests/data/desks/glpi/SOURCE.md) imported as
Accord's events and the desk's verdicts, then judged by Accord."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from accord import load_agreement
from accord.core.clocks import all_clocks, calendars_of
from accord.io.desks import Context, DeskError
from accord.io.desks.glpi import Glpi
from accord.io.desks.output import import_files, siblings
from accord.io.tickets import read_events

DATA = Path(__file__).parent.parent / "data" / "desks" / "glpi"
REST = [DATA / "followups-42.json", DATA / "actors-42.json", DATA / "ticket-42.json"]
PARIS = ZoneInfo("Europe/Paris")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _import(tmp_path: Path, files: list[Path], name: str = "glpi.jsonl"):  # type: ignore[no-untyped-def]
    out = tmp_path / name
    return out, import_files(Glpi(), files, out, Context(Glpi.statuses, zone=PARIS))


EXPECTED = [
    (_at(2, 9), "created", None, True, {"status": "New", "priority": "Medium"}),
    (_at(2, 9, 20), "comment", "agent", True, {}),
    (_at(2, 9, 20), "updated", None, True, {"status": "Processing (assigned)"}),
    (_at(2, 9, 30), "updated", None, True, {"status": "Pending"}),
    (_at(2, 10), "updated", None, True, {"priority": "High"}),
    (_at(2, 12), "comment", "customer", True, {}),  # the requester's followup
    (_at(2, 12), "updated", None, True, {"status": "Processing (assigned)"}),
    (_at(2, 12, 30), "comment", "agent", False, {}),  # a private followup
    (_at(2, 13), "resolved", None, True, {"status": "Solved"}),
    (_at(4, 9), "closed", None, True, {"status": "Closed"}),
]


def test_log_followups_and_actors_become_events_in_utc(tmp_path: Path) -> None:
    out, summary = _import(tmp_path, [DATA / "log-42.json", *REST])
    assert [(e.at, e.kind, e.author, e.public, dict(e.fields)) for e in read_events(out)] == (
        EXPECTED
    )
    assert summary.warnings.counts == {}
    assert next(row[:3] for row in summary.mapped()) == ("2", 2, "Processing (assigned)")


def test_the_log_table_as_csv_reads_as_the_api_answer(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, [DATA / "glpi_logs.csv", *REST])
    assert [(e.at, e.kind, e.author, e.public, dict(e.fields)) for e in read_events(out)] == (
        EXPECTED
    )


def test_glpis_deadlines_give_its_verdicts(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, [DATA / "log-42.json", *REST])
    verdicts = {v["metric"]: v for v in map(json.loads, siblings(out)[0].read_text().splitlines())}
    resolve = verdicts["time_to_resolve"]
    assert (resolve["outcome"], resolve["decided_at"]) == ("breached", "2026-03-02T13:00:00+00:00")
    assert (resolve["target_seconds"], resolve["elapsed_seconds"]) == (3 * 3600, 4 * 3600)
    own = verdicts["time_to_own"]
    assert (own["outcome"], own["elapsed_seconds"], own["target_seconds"]) == ("met", 1200, 1800)


AGREEMENT = """
id: glpi-test
version: "1"
overview: {title: GLPI test}
parties:
  customer: {id: c, name: Customer}
  provider: {id: p, name: Provider}
objectives:
  - id: resolution
    metric: resolution
    within: 3h
    target: 90%
    calendar: 24x7
    clock:
      pause:
        - when: {status: [Pending]}
          reason: customer
      stop: {status: [Solved, Closed]}
"""


def test_accord_pauses_where_glpi_deadline_did_not(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, [DATA / "log-42.json", *REST])
    path = tmp_path / "agreement.yaml"
    path.write_text(AGREEMENT)
    agreement = load_agreement(path)
    (clock,) = all_clocks(read_events(out), agreement.objectives, calendars_of(agreement))
    # 09:00-09:30 and 12:00-13:00 UTC: 1 h 30 min; GLPI's fixed deadline (13:00 local) was missed
    assert (clock.state, clock.used) == ("met", timedelta(minutes=90))


def test_a_zone_is_required_and_rows_name_their_place(tmp_path: Path) -> None:
    with pytest.raises(DeskError, match="give the desk's zone with --timezone"):
        import_files(Glpi(), [DATA / "log-42.json"], tmp_path / "o.jsonl", Context(Glpi.statuses))
    rows = json.loads((DATA / "log-42.json").read_text())
    rows[3]["date_mod"] = "02/03/2026 10h30"
    bad = tmp_path / "log.json"
    bad.write_text(json.dumps(rows))
    with pytest.raises(DeskError, match=r"log.json\[3\]:date_mod: '02/03/2026 10h30' is not an"):
        _import(tmp_path, [bad, *REST])
    bad.write_text('[{"name": "x"}]')
    with pytest.raises(DeskError, match=r"log.json\[0\]: not a GLPI row"):
        _import(tmp_path, [bad])


def test_followups_without_actors_are_the_desks_and_said_so(tmp_path: Path) -> None:
    out, summary = _import(tmp_path, [DATA / "log-42.json", DATA / "followups-42.json"])
    assert summary.warnings.counts["followup author's role guessed"] == 3
    assert {e.author for e in read_events(out) if e.kind == "comment"} == {"agent"}


def test_two_date_formats_in_one_api_answer_are_said_once_for_the_file(tmp_path: Path) -> None:
    # rows of a JSON array are named file[i]; the formats are still compared across the file
    rows = json.loads((DATA / "log-42.json").read_text())
    rows[3]["date_mod"] = "2026-03-02 10:30"
    rows[4]["date_mod"] = "2026-03-02 11:00"
    log = tmp_path / "log-42.json"
    log.write_text(json.dumps(rows))
    out, summary = _import(tmp_path, [log, *REST])
    assert summary.warnings.counts["several date formats"] == 1
    assert [e.at for e in read_events(out)][:5] == [e[0] for e in EXPECTED[:5]]
