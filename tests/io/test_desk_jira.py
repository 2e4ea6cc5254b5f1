"""Jira Service Management pages (hand-made in the API reference's shapes, see
tests/data/desks/jira/SOURCE.md) imported as Accord's events and the desk's verdicts, then judged
by Accord."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accord import load_agreement
from accord.core.clocks import all_clocks, calendars_of
from accord.io.desks import Context, DeskError, records
from accord.io.desks.jira import Jira
from accord.io.desks.output import import_files, siblings
from accord.io.tickets import read_events

DATA = Path(__file__).parent.parent / "data" / "desks" / "jira"
FILES = [DATA / "search.json", DATA / "sd-2-changelog.json", DATA / "sla-sd-1.json"]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _import(tmp_path: Path, files: list[Path]):  # type: ignore[no-untyped-def]
    out = tmp_path / "jira.parquet"
    return out, import_files(Jira(), files, out, Context(Jira.statuses))


def test_an_issue_and_its_changelog_become_events_in_utc(tmp_path: Path) -> None:
    out, summary = _import(tmp_path, FILES)
    events = [e for e in read_events(out) if e.ticket == "SD-1"]
    assert [(e.at, e.kind, e.author, e.public, dict(e.fields)) for e in events] == [
        # the fields at creation are those before their first change
        (_at(2, 8), "created", None, True,
         {"status": "Waiting for support", "priority": "Medium", "type": "Service request"}),
        (_at(2, 8, 10), "updated", None, True, {"priority": "High"}),
        (_at(2, 8, 40), "comment", "agent", True, {}),  # a reply, then the transition
        (_at(2, 8, 40), "updated", None, True, {"status": "Waiting for customer"}),
        (_at(2, 11), "comment", "customer", True, {}),
        (_at(2, 11), "updated", None, True, {"status": "Waiting for support"}),
        (_at(2, 11, 30), "comment", "agent", False, {}),  # an internal note
        (_at(2, 13), "resolved", None, True, {"status": "Resolved", "assignee": "acc-agent"}),
    ]  # fmt: skip
    assert "changelog truncated" not in summary.warnings.counts


def test_a_truncated_changelog_is_completed_by_its_pages_or_said(tmp_path: Path) -> None:
    out, summary = _import(tmp_path, FILES)
    assert [(e.at, e.kind, e.fields.get("status")) for e in read_events(out)
            if e.ticket == "SD-2"] == [
        (_at(3, 10), "created", "Waiting for support"),
        (_at(3, 10, 30), "updated", "Pending"),
        (_at(3, 12), "resolved", "Resolved"),
        (_at(5, 10), "closed", "Closed"),
    ]  # fmt: skip
    alone = tmp_path / "alone"
    alone.mkdir()
    out, summary = _import(alone, [DATA / "search.json"])
    assert summary.warnings.counts["changelog truncated"] == 1
    (example,) = summary.warnings.examples["changelog truncated"]
    assert "search.json:issues[1]: issue SD-2: 1 of its 3 changes were given" in example


def test_sla_cycles_are_the_desks_verdicts_named_by_key(tmp_path: Path) -> None:
    out, summary = _import(tmp_path, FILES)
    verdicts = {v["metric"]: v for v in map(json.loads, siblings(out)[0].read_text().splitlines())}
    first = verdicts["Time to first response"]
    # the request is named by its id (10010) in _links.self: the key comes from the search
    assert first["ticket"] == "SD-1"
    assert (first["outcome"], first["decided_at"]) == ("met", "2026-03-02T08:40:00+00:00")
    assert (first["target_seconds"], first["elapsed_seconds"]) == (3600, 2400)
    resolution = verdicts["Time to resolution"]
    assert (resolution["ticket"], resolution["outcome"]) == ("SD-1", "breached")
    assert resolution["decided_at"] == "2026-03-02T12:20:00+00:00"
    assert summary.verdicts == 2


AGREEMENT = """
id: jira-test
version: "1"
overview: {title: Jira test}
parties:
  customer: {id: c, name: Customer}
  provider: {id: p, name: Provider}
objectives:
  - id: first-response
    metric: first_response
    within: 1h
    target: 90%
    calendar: 24x7
  - id: resolution
    metric: resolution
    within: 2h
    target: 90%
    calendar: 24x7
    clock:
      pause:
        - when: {status: [Waiting for customer]}
          reason: customer
        - when: {status: [Pending]}
          reason: third_party
      stop: {status: [Resolved, Closed]}
"""


def test_accord_agrees_with_the_desks_cycles(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, FILES)
    path = tmp_path / "agreement.yaml"
    path.write_text(AGREEMENT)
    agreement = load_agreement(path)
    clocks = {
        (c.ticket, c.objective): c
        for c in all_clocks(read_events(out), agreement.objectives, calendars_of(agreement))
    }
    first = clocks["SD-1", "first-response"]
    assert (first.state, first.used) == ("met", timedelta(minutes=40))
    resolution = clocks["SD-1", "resolution"]
    # Jira's own cycle: 2 h 40 min elapsed, breached at 13:20 Paris time (12:20 UTC)
    assert (resolution.state, resolution.used) == ("breached", timedelta(minutes=160))
    assert resolution.breached_at == _at(2, 12, 20)
    assert clocks["SD-2", "resolution"].used == timedelta(minutes=30)  # Pending paused it


def test_pages_that_are_not_jiras_or_lack_their_issue_name_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"tickets": []}')
    with pytest.raises(DeskError, match=r"x.json: not a Jira page"):
        _import(tmp_path, [bad])
    sla = json.loads((DATA / "sla-sd-1.json").read_text())
    del sla["values"][1]["_links"]
    bad.write_text(json.dumps(sla))
    with pytest.raises(DeskError, match=r"x.json:values\[1\]: an SLA without its request"):
        _import(tmp_path, [bad])
    page = json.loads((DATA / "search.json").read_text())
    page["issues"][0]["changelog"]["histories"][1]["created"] = "yesterday"
    bad.write_text(json.dumps(page))
    with pytest.raises(
        DeskError, match=r"x.json:issues\[0\]:histories\[1\]:created: 'yesterday' is not an"
    ):
        _import(tmp_path, [bad])
    assert not (tmp_path / "jira.parquet").exists()


def test_a_changelog_without_its_issue_is_skipped_and_counted(tmp_path: Path) -> None:
    _, summary = _import(tmp_path, [DATA / "sd-2-changelog.json"])
    assert summary.events == 0
    assert summary.warnings.counts["changelog without its issue"] == 1


def test_gathering_spills_to_buckets_and_keeps_each_tickets_records_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, _ = _import(tmp_path, FILES)  # held in memory
    monkeypatch.setattr(records, "IN_MEMORY", 3)
    gathering = records.Gathering()
    added = [(f"T{n % 5}", {"n": n}) for n in range(40)]
    for ticket, record in added:
        gathering.add(ticket, record)
    assert gathering.spill is not None
    got = dict(gathering.tickets())
    assert got == {t: [r for ticket, r in added if ticket == t] for t in {t for t, _ in added}}
    # records that refer to one object twice, unlike the records before them in their bucket,
    # come back as they went in (a single unpickler per bucket file read later records' second
    # references as objects of the first record)
    gathering = records.Gathering()
    shared = [f"value {n}" for n in range(40)]
    varied = [("T", {"first": [f"a{n}"], "both": [shared[n], shared[n]]}) for n in range(40)]
    for ticket, record in varied:
        gathering.add(ticket, record)
    assert gathering.spill is not None
    assert dict(gathering.tickets()) == {"T": [r for _, r in varied]}
    # the import through a spilled gathering gives the same log
    spilled = tmp_path / "spilled"
    spilled.mkdir()
    again, _ = _import(spilled, FILES)

    # (the same events: a position is their row in the file, which the buckets' order moves)
    def key(e):  # type: ignore[no-untyped-def]
        return (e.ticket, e.at, e.id)

    assert sorted(read_events(again), key=key) == sorted(read_events(whole), key=key)


BULK = {  # POST /rest/api/3/changelog/bulkfetch (BulkChangelogResponse): SD-2 by its id
    "issueChangeLogs": [
        {
            "issueId": "10011",
            "changeHistories": [
                {
                    "id": f"2000{n}",
                    "created": created,
                    "author": {"accountId": "acc-agent"},
                    "items": [
                        {"field": "status", "fieldtype": "jira", "fromString": was, "toString": now}
                    ],
                }
                for n, (created, was, now) in enumerate(
                    [
                        ("2026-03-03T10:30:00.000+0000", "Waiting for support", "Pending"),
                        ("2026-03-03T12:00:00.000+0000", "Pending", "Resolved"),
                        ("2026-03-05T10:00:00.000+0000", "Resolved", "Closed"),
                    ],
                    1,
                )
            ],
        }
    ],
    "nextPageToken": None,
}


@pytest.mark.parametrize("held", [None, 1])
def test_bulk_changelogs_named_by_issue_id_complete_the_issue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: int | None
) -> None:
    """The bulk changelog page names issues by id only; its histories join the issue's, held
    in memory or (``held`` 1) spilled to buckets and gathered again under the issue's key."""
    if held is not None:
        monkeypatch.setattr(records, "IN_MEMORY", held)
    bulk = tmp_path / "bulk.json"
    bulk.write_text(json.dumps(BULK))
    out, summary = _import(tmp_path, [bulk, DATA / "search.json"])
    assert [(e.at, e.kind, e.fields.get("status")) for e in read_events(out)
            if e.ticket == "SD-2"] == [
        (_at(3, 10), "created", "Waiting for support"),
        (_at(3, 10, 30), "updated", "Pending"),
        (_at(3, 12), "resolved", "Resolved"),
        (_at(5, 10), "closed", "Closed"),
    ]  # fmt: skip
    assert "changelog truncated" not in summary.warnings.counts
    assert {e.ticket for e in read_events(out)} == {"SD-1", "SD-2"}
