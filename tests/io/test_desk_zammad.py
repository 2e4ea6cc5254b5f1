"""Zammad answers (hand-made in the API's shapes, see tests/data/desks/zammad/SOURCE.md) imported
as Accord's events and the desk's verdicts, then judged by Accord."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accord import load_agreement
from accord.core.clocks import all_clocks, calendars_of
from accord.io.desks import Context, DeskError
from accord.io.desks.output import import_files, siblings
from accord.io.desks.zammad import Zammad
from accord.io.tickets import read_events

DATA = Path(__file__).parent.parent / "data" / "desks" / "zammad"
FILES = [DATA / n for n in ("history-7.json", "ticket-7.json", "ticket-8.json", "articles-8.json")]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _import(tmp_path: Path, files: list[Path]):  # type: ignore[no-untyped-def]
    out = tmp_path / "zammad.parquet"
    return out, import_files(Zammad(), files, out, Context(Zammad.statuses))


def test_history_and_articles_become_events_named_by_ticket_number(tmp_path: Path) -> None:
    out, summary = _import(tmp_path, FILES)
    events = [e for e in read_events(out) if e.ticket == "31007"]
    assert [(e.at, e.kind, e.author, e.public, dict(e.fields)) for e in events] == [
        # fields at creation: each before its first change, else the record's
        (_at(2, 9), "created", None, True,
         {"status": "new", "priority": "2 normal", "group": "Users"}),
        (_at(2, 9, 30), "comment", "agent", True, {}),
        (_at(2, 9, 30), "updated", None, True, {"status": "open"}),
        (_at(2, 10), "updated", None, True, {"status": "pending reminder"}),
        (_at(2, 13), "comment", "customer", True, {}),
        (_at(2, 13), "updated", None, True, {"status": "open"}),
        (_at(2, 14), "comment", "agent", False, {}),  # internal note; the system's is no message
        (_at(2, 14, 30), "updated", None, True, {"priority": "3 high"}),
        (_at(2, 15), "closed", None, True, {"status": "closed"}),
    ]  # fmt: skip
    assert [(e.kind, dict(e.fields)) for e in read_events(out) if e.ticket == "31008"] == [
        ("created", {"status": "new", "priority": "2 normal", "group": "Users"})
    ]
    assert summary.warnings.counts == {}


def test_zammads_sla_figures_are_its_verdicts(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, FILES)
    verdicts = {
        (v["ticket"], v["metric"]): v
        for v in map(json.loads, siblings(out)[0].read_text().splitlines())
    }
    first = verdicts["31007", "first_response"]
    assert (first["outcome"], first["target_seconds"], first["elapsed_seconds"]) == (
        "met", 3600, 1800,
    )  # fmt: skip
    close = verdicts["31007", "close"]
    assert (close["outcome"], close["target_seconds"], close["elapsed_seconds"]) == (
        "met", 240 * 60, 180 * 60,
    )  # fmt: skip
    assert close["decided_at"] == "2026-03-02T15:00:00+00:00"
    waiting = verdicts["31008", "first_response"]
    assert (waiting["outcome"], waiting["note"]) == (
        "running", "escalates at 2026-03-03 10:00:00+00:00",
    )  # fmt: skip
    assert ("31007", "update") not in verdicts


def test_a_negative_diff_is_a_breach(tmp_path: Path) -> None:
    record = json.loads((DATA / "ticket-7.json").read_text())
    record.update(close_in_min=300, close_diff_in_min=-60)
    late = tmp_path / "ticket-7.json"
    late.write_text(json.dumps(record))
    out, _ = _import(tmp_path, [DATA / "history-7.json", late])
    (close,) = [
        v for v in map(json.loads, siblings(out)[0].read_text().splitlines())
        if v["metric"] == "close"
    ]  # fmt: skip
    assert (close["outcome"], close["target_seconds"]) == ("breached", 240 * 60)


AGREEMENT = """
id: zammad-test
version: "1"
overview: {title: Zammad test}
parties:
  customer: {id: c, name: Customer}
  provider: {id: p, name: Provider}
objectives:
  - id: first-response
    metric: first_response
    within: 1h
    target: 90%
    calendar: 24x7
  - id: close
    metric: resolution
    within: 4h
    target: 90%
    calendar: 24x7
    clock:
      pause:
        - when: {status: [pending reminder, pending close]}
          reason: customer
      stop: {status: [closed]}
"""


def test_accord_uses_the_same_minutes_as_zammad(tmp_path: Path) -> None:
    out, _ = _import(tmp_path, FILES)
    path = tmp_path / "agreement.yaml"
    path.write_text(AGREEMENT)
    agreement = load_agreement(path)
    clocks = {
        (c.ticket, c.objective): c
        for c in all_clocks(read_events(out), agreement.objectives, calendars_of(agreement))
    }
    assert clocks["31007", "first-response"].used == timedelta(minutes=30)
    # 09:00-10:00 and 13:00-15:00: Zammad's close_in_min, 180
    assert (clocks["31007", "close"].state, clocks["31007", "close"].used) == (
        "met", timedelta(minutes=180),
    )  # fmt: skip


def test_history_alone_says_which_fields_are_unknown(tmp_path: Path) -> None:
    out, summary = _import(tmp_path, [DATA / "history-7.json"])
    assert summary.warnings.counts["fields at creation unknown"] == 1
    assert (
        "ticket 7: no ticket record given, so fields that never changed (group, assignee)"
        in (summary.warnings.examples["fields at creation unknown"][0])
    )
    (created,) = [e for e in read_events(out) if e.kind == "created"]
    assert (created.ticket, dict(created.fields)) == (
        "7",
        {"status": "new", "priority": "2 normal"},
    )


def test_pages_that_are_not_zammads_name_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"tickets": []}')
    with pytest.raises(DeskError, match=r"x.json: not a Zammad page"):
        _import(tmp_path, [bad])
    page = json.loads((DATA / "history-7.json").read_text())
    page["history"][3]["created_at"] = "soon"
    bad.write_text(json.dumps(page))
    with pytest.raises(DeskError, match=r"x.json:history\[3\]:created_at: 'soon' is not an"):
        _import(tmp_path, [bad, DATA / "ticket-7.json"])
