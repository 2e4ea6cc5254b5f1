"""Zendesk pages (hand-made in the API reference's shapes, see tests/data/desks/zendesk/SOURCE.md)
imported as Accord's events and the desk's verdicts, then judged by Accord."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accord import load_agreement
from accord.core.clocks import all_clocks, calendars_of
from accord.io.desks import Context, DeskError, source_named
from accord.io.desks.output import import_files, siblings
from accord.io.desks.records import status_change_kind
from accord.io.desks.zendesk import Zendesk
from accord.io.tickets import read_events

DATA = Path(__file__).parent.parent / "data" / "desks" / "zendesk"
FILES = [DATA / "audits.json", DATA / "ticket_events.jsonl", DATA / "metric_events.json"]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Path, object]:
    out = tmp_path / "zendesk.parquet"
    summary = import_files(Zendesk(), FILES, out, Context(Zendesk.statuses))
    return out, summary


def test_audits_become_events_with_kinds_from_what_statuses_mean(imported) -> None:  # type: ignore[no-untyped-def]
    out, _ = imported
    events = [e for e in read_events(out) if e.ticket == "101"]
    assert [(e.at, e.kind, e.author, e.public, dict(e.fields)) for e in events] == [
        # the opening comment is the ticket's description, not a message
        (_at(2, 9), "created", None, True, {"status": "new", "priority": "high", "group": "7"}),
        (_at(2, 9, 30), "comment", "agent", True, {}),
        (_at(2, 9, 30), "updated", None, True, {"status": "open", "assignee": "5"}),
        (_at(2, 10), "comment", "agent", True, {}),
        (_at(2, 10), "updated", None, True, {"status": "pending"}),
        (_at(2, 13), "comment", "customer", True, {}),
        (_at(2, 13), "updated", None, True, {"status": "open"}),
        (_at(2, 14), "comment", "agent", False, {}),  # a private note
        (_at(2, 15), "comment", "agent", True, {}),
        (_at(2, 15), "resolved", None, True, {"status": "solved"}),
        (_at(3, 9), "comment", "customer", True, {}),
        (_at(3, 9), "reopened", None, True, {"status": "open"}),
        (_at(3, 10), "resolved", None, True, {"status": "solved"}),
        (_at(7, 10), "closed", None, True, {"status": "closed"}),
    ]


def test_incremental_ticket_events_read_with_changes_named_by_key(imported) -> None:  # type: ignore[no-untyped-def]
    out, summary = imported
    events = [e for e in read_events(out) if e.ticket == "102"]
    assert [(e.at, e.kind, e.author, dict(e.fields)) for e in events] == [
        (_at(2, 11), "created", None, {"status": "new", "priority": "urgent"}),
        (_at(2, 11, 20), "comment", "agent", {}),
        (_at(2, 11, 20), "updated", None, {"status": "hold"}),
        (_at(2, 12), "resolved", None, {"status": "solved"}),
    ]
    # user 5 is sideloaded on another page (audits.json): its role is known; the requester's
    # own opening comment is the description, so nothing was guessed
    assert "comment author's role guessed" not in summary.warnings.counts
    assert (summary.tickets, summary.events) == (2, 18)
    assert [row[:4] for row in summary.mapped()] == [
        ("open", 3, "open", "open"),
        ("solved", 3, "solved", "resolved"),
        ("new", 2, "new", "open"),
        ("pending", 1, "pending", "waiting_on_customer"),
        ("closed", 1, "closed", "closed"),
        ("hold", 1, "hold", "waiting_on_third_party"),
    ]


def test_the_desks_verdicts_are_kept_for_metrics_a_policy_applied_to(imported) -> None:  # type: ignore[no-untyped-def]
    out, _ = imported
    verdicts_file = siblings(out)[0]
    verdicts = {
        (v["ticket"], v["metric"]): v
        for v in map(json.loads, verdicts_file.read_text().splitlines())
    }
    # agent_work_time had no policy applied: no verdict
    assert set(verdicts) == {("101", "reply_time"), ("101", "requester_wait_time"),
                             ("102", "reply_time")}  # fmt: skip
    reply = verdicts["101", "reply_time"]
    # the scheduled breach was deleted when the reply came in time
    assert (reply["outcome"], reply["decided_at"]) == ("met", "2026-03-02T09:30:00+00:00")
    assert (reply["target_seconds"], reply["elapsed_seconds"]) == (3600, 1800)
    wait = verdicts["101", "requester_wait_time"]
    assert (wait["outcome"], wait["decided_at"]) == ("breached", "2026-03-02T14:30:00+00:00")
    assert wait["note"] == "policy 'Standard', calendar hours"
    urgent = verdicts["102", "reply_time"]
    assert (urgent["outcome"], urgent["target_seconds"]) == ("breached", 900)


AGREEMENT = """
id: zendesk-test
version: "1"
overview: {title: Zendesk test}
parties:
  customer: {id: c, name: Customer}
  provider: {id: p, name: Provider}
objectives:
  - id: first-reply
    metric: first_response
    within: 1h
    target: 90%
    calendar: 24x7
  - id: resolution
    metric: resolution
    within: 150m
    target: 90%
    calendar: 24x7
    clock:
      pause:
        - when: {status: [pending]}
          reason: customer
        - when: {status: [hold]}
          reason: third_party
      stop: {status: [solved, closed]}
      reopen: continue
"""


def test_accord_judges_the_imported_ticket_as_the_desk_did(imported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, _ = imported
    path = tmp_path / "agreement.yaml"
    path.write_text(AGREEMENT)
    agreement = load_agreement(path)
    clocks = {
        (c.ticket, c.objective): c
        for c in all_clocks(read_events(out), agreement.objectives, calendars_of(agreement))
    }
    reply = clocks["101", "first-reply"]
    assert (reply.state, reply.used) == ("met", timedelta(minutes=30))
    resolution = clocks["101", "resolution"]
    # 09:00-10:00 and 13:00-15:00 on 2 March (pending paused it), then 09:00-10:00 on 3 March
    # after the reopen: Zendesk's requester wait time (180 min at the first solve) breached 150
    assert resolution.state == "breached"
    assert resolution.used == timedelta(minutes=240)
    assert resolution.breached_at == _at(2, 14, 30)
    on_hold = clocks["102", "resolution"]
    assert on_hold.used == timedelta(minutes=20)  # on hold 11:20-12:00 is the third party's


def test_source_is_registered_by_name() -> None:
    assert isinstance(source_named("zendesk"), Zendesk)


def test_an_author_without_a_role_is_guessed_and_counted(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    summary = import_files(
        Zendesk(), [DATA / "ticket_events.jsonl"], out, Context(Zendesk.statuses)
    )
    # without audits.json, agent 5's role is unknown: taken as an agent, and said
    assert summary.warnings.counts["comment author's role guessed"] == 1
    (example,) = summary.warnings.examples["comment author's role guessed"]
    assert "ticket_events.jsonl:2:ticket_events[0]:0: user 5 is not among the sideloaded" in example
    assert [e.author for e in read_events(out) if e.kind == "comment"] == ["agent"]


def test_a_page_read_twice_is_counted_not_doubled(tmp_path: Path) -> None:
    summary = import_files(
        Zendesk(), [DATA / "audits.json", DATA / "audits.json"], tmp_path / "o.jsonl",
        Context(Zendesk.statuses),
    )  # fmt: skip
    assert summary.events == 14
    assert summary.warnings.counts["duplicate update"] == 9


def test_bad_pages_name_their_place(tmp_path: Path) -> None:
    other = tmp_path / "tickets.json"
    other.write_text('{"tickets": []}')
    with pytest.raises(DeskError, match=r"tickets.json: not a Zendesk page; expected 'audits'"):
        import_files(Zendesk(), [other], tmp_path / "o.jsonl", Context(Zendesk.statuses))
    broken = tmp_path / "audits.json"
    page = json.loads((DATA / "audits.json").read_text())
    page["audits"][2]["created_at"] = "2 March"
    broken.write_text(json.dumps(page))
    with pytest.raises(
        DeskError, match=r"audits.json:audits\[2\]:created_at: '2 March' is not an instant"
    ):
        import_files(Zendesk(), [broken], tmp_path / "o.jsonl", Context(Zendesk.statuses))
    assert not (tmp_path / "o.jsonl").exists()
    lines = tmp_path / "pages.jsonl"
    lines.write_text('{"audits": []}\n{"audits": [\n')
    with pytest.raises(DeskError, match=r"pages.jsonl:2: not JSON"):
        import_files(Zendesk(), [lines], tmp_path / "o.jsonl", Context(Zendesk.statuses))


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (None, "open", "updated"),
        ("open", "waiting_on_customer", "updated"),
        ("open", "resolved", "resolved"),
        ("waiting_on_third_party", "closed", "closed"),
        ("resolved", "closed", "closed"),
        ("resolved", "open", "reopened"),
        ("closed", "waiting_on_customer", "reopened"),
        ("resolved", "resolved", "updated"),
    ],
)
def test_status_change_kind(before, after, kind) -> None:  # type: ignore[no-untyped-def]
    assert status_change_kind(before, after) == kind


def test_a_zendesk_import_is_audited_metric_by_metric(tmp_path: Path) -> None:
    """accord import zendesk, then accord audit of Accord's first response against Zendesk's
    reply_time: ticket 101 agrees (both met); 102 does not (Zendesk's 15-minute business-hours
    target was missed; the agreement's is an hour of the clock, met in 20 minutes)."""
    from typer.testing import CliRunner

    from accord.cli import app

    runner = CliRunner()
    log = tmp_path / "zendesk.parquet"
    done = runner.invoke(app, ["import", "zendesk", *map(str, FILES), "-o", str(log)])
    assert done.exit_code == 0, done.output
    agreement = tmp_path / "agreement.yaml"
    agreement.write_text(AGREEMENT)
    args = ["audit", str(agreement), str(log), "--metric", "first_response"]
    refused = runner.invoke(app, [*args, "--format", "json"])
    assert refused.exit_code != 0  # two desk metrics: which one must be said
    assert "reply_time" in refused.output
    assert "requester_wait_time" in refused.output
    audited = runner.invoke(app, [*args, "--desk-metric", "reply_time", "--format", "json"])
    assert audited.exit_code == 0, audited.output
    found = json.loads(audited.output)
    assert (found["agreeing"], found["tickets"]) == (1, 2)
    (cause,) = found["causes"]
    assert cause["examples"][0]["ticket"] == "102"
