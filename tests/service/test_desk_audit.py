"""``accord audit``'s classification on hand-made tickets whose cause of disagreement is known:
each is built so that exactly one rule of the agreement, applied otherwise, gives the desk's
verdict (worked out by hand in each comment, in the agreement's business hours)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.core.clocks import TicketEvent
from accord.core.clocks_batch import EventColumns
from accord.core.desk_audit import AGREE, DATA_MISSING, UNEXPLAINED, classify
from accord.io.agreements import load_agreement
from accord.io.desks import StatusMap, Verdict
from accord.io.desks.base import status_map
from accord.service.desk_audit import audit

AGREEMENT = """\
id: audit-test
version: "1"
overview: {title: Audit test}
parties:
  customer: {id: c, name: C, type: department}
  provider: {id: p, name: P, type: department}
calendars:
  desk: {timezone: UTC, hours: {mon-fri: "09:00-17:00"}}
objectives:
  - id: resolution-p1
    metric: resolution
    within: 4h
    target: 90%
    scope: {priority: [P1]}
    clock: &c
      pause: [{when: {status: [Waiting]}, reason: customer}]
      stop: {status: [Resolved, Closed]}
      reopen: continue
  - {id: resolution-p2, metric: resolution, within: 8h, target: 90%, calendar: desk,
     scope: {priority: [P2]}, clock: *c}
"""
STATUSES: StatusMap = status_map(
    [("New", "open"), ("Active", "open"), ("Waiting", "waiting_on_customer"),
     ("Pending", "waiting_on_third_party"), ("Resolved", "resolved"), ("Closed", "closed")],
    "test",
)  # fmt: skip


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)  # 2 March 2026 is a Monday


def _ticket(name: str, *changes: tuple[int, int, dict[str, str]]) -> list[TicketEvent]:
    (day, hour, fields), *rest = changes
    events = [TicketEvent(f"{name}:0", name, _at(day, hour), "created", fields)]
    events += [
        TicketEvent(f"{name}:{n}", name, _at(d, h), "updated", f)
        for n, (d, h, f) in enumerate(rest, 1)
    ]
    return events


TICKETS = {
    # 3 business hours of 8: met, as the desk says
    "agree": (_ticket("agree", (2, 9, {"status": "New", "priority": "P2"}),
                      (2, 12, {"status": "Resolved"})), "met"),
    # Mon 9-10 running, Waiting until Wed 10, then to Wed 16: 1 + 6 = 7 h, met. Counting the
    # wait (Mon 10-17, Tue 9-17, Wed 9-16) is 22 h: breached, the desk's verdict
    "paused": (_ticket("paused", (2, 9, {"status": "New", "priority": "P2"}),
                       (2, 10, {"status": "Waiting"}), (4, 10, {"status": "Active"}),
                       (4, 16, {"status": "Resolved"})), "breached"),
    # Fri 16 to Mon 10: 2 business hours, met; 66 wall-clock hours: breached
    "calendar": (_ticket("calendar", (6, 16, {"status": "New", "priority": "P2"}),
                         (9, 10, {"status": "Resolved"})), "breached"),
    # P1 at creation (4 h around the clock), P2 from 10:00 (8 business hours): 6 h used is met
    # under P2, breached under P1
    "priority": (_ticket("priority", (2, 9, {"status": "New", "priority": "P1"}),
                         (2, 10, {"priority": "P2"}), (2, 15, {"status": "Resolved"})),
                 "breached"),
    # resolved after 3 h (met), closed on Thursday: counted to closure, 8 + 8 + 8 + 3 h
    "closure": (_ticket("closure", (2, 9, {"status": "New", "priority": "P2"}),
                        (2, 12, {"status": "Resolved"}), (5, 12, {"status": "Closed"})),
                "breached"),
    # 6 h, reopened, 3 h more: 9 h with the reopen continuing (breached); 6 h and 3 h as two
    # cycles when a reopen restarts (both met)
    "reopen": (_ticket("reopen", (2, 9, {"status": "New", "priority": "P2"}),
                       (2, 15, {"status": "Resolved"}), (3, 9, {"status": "Active"}),
                       (3, 12, {"status": "Resolved"})), "met"),
    # Mon 9-10 running, Waiting 10-13, Active 13-15, Resolved, Closed Tue 10: 3 h to resolution
    # (met); 6 h counting the wait (met), 6 h to closure (Mon 15-17, Tue 9-10: met); both
    # together 9 h, breached: the desk's verdict, which no single rule gives
    "closure and pause": (_ticket("closure and pause", (2, 9, {"status": "New", "priority": "P2"}),
                                  (2, 10, {"status": "Waiting"}), (2, 13, {"status": "Active"}),
                                  (2, 15, {"status": "Resolved"}), (3, 10, {"status": "Closed"})),
                          "breached"),
    # Pending (a third party: the agreement does not pause there) Mon 10 to Tue 12: 1 + 10 + 1 =
    # 12 business hours, breached; 2 h without the wait, met as the desk says
    "waiting": (_ticket("waiting", (2, 9, {"status": "New", "priority": "P2"}),
                        (2, 10, {"status": "Pending"}), (3, 12, {"status": "Active"}),
                        (3, 13, {"status": "Resolved"})), "met"),
    # P1 (4 h around the clock) Fri 16 to Mon 10: 66 h, breached; in the desk's hours (the
    # calendar of the agreement's P2) 2 h, met as the desk says
    "business hours": (_ticket("business hours", (6, 16, {"status": "New", "priority": "P1"}),
                               (9, 10, {"status": "Resolved"})), "met"),
    # 1 h: met by every rule; the desk says breached
    "unexplained": (_ticket("unexplained", (2, 9, {"status": "New", "priority": "P2"}),
                            (2, 10, {"status": "Resolved"})), "breached"),
}  # fmt: skip


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("audit") / "agreement.yaml"
    path.write_text(AGREEMENT)
    events = [e for events, _ in TICKETS.values() for e in events]
    verdicts = [
        Verdict(name, "sla", outcome, None, f"verdicts:{n}")  # type: ignore[arg-type]
        for n, (name, (_, outcome)) in enumerate(TICKETS.items(), 1)
    ]
    verdicts.append(Verdict("absent", "sla", "met", None, "verdicts:99"))
    return audit(
        load_agreement(path), EventColumns.from_events(events), verdicts, statuses=STATUSES
    )


@pytest.mark.parametrize(
    ("ticket", "cause"),
    [
        ("agree", AGREE),
        ("paused", "time counted while paused"),
        ("calendar", "calendar or holiday differences"),
        ("priority", "target or priority taken at a different moment"),
        ("closure", "clock stopped on a different event"),
        ("reopen", "reopen handling"),
        ("closure and pause", "clock stopped at closure, time counted while paused"),
        ("waiting", "time not counted while waiting"),
        ("business hours", "calendar or holiday differences"),
        ("unexplained", UNEXPLAINED),
        ("absent", DATA_MISSING),
    ],
)
def test_each_ticket_gets_its_known_cause(result, ticket: str, cause: str) -> None:  # type: ignore[no-untyped-def]
    found = {t.ticket: t for t in result.tickets}
    assert found[ticket].cause == cause


def test_the_figures_of_the_whole(result) -> None:  # type: ignore[no-untyped-def]
    assert (result.agreeing, len(result.tickets)) == (1, 11)
    assert result.rate == pytest.approx(100 / 11)
    assert dict(result.by_cause())["reopen handling"] == 1
    assert result.directions("reopen handling") == [(("met", "breached"), 1)]


def test_the_detail_says_which_status_paused_the_clock(result) -> None:  # type: ignore[no-untyped-def]
    paused = next(t for t in result.tickets if t.ticket == "paused")
    assert "used 7h00m of 8h00m" in paused.detail
    # in the desk's hours: Mon 10-17, Tue 9-17, Wed 9-10
    assert "paused 16h00m waiting on the customer (Waiting)" in paused.detail
    assert paused.variants[0] == "no pauses"


def test_a_ticket_flipped_by_several_variants_keeps_them_all_and_the_first_is_its_cause() -> None:
    audited = classify("T", "breached", "met", {"wall clock": "breached", "no pauses": "breached"})
    assert audited.variants == ("no pauses", "wall clock")
    assert audited.cause == "time counted while paused"


def test_a_running_clock_while_the_desk_decided_is_data_missing() -> None:
    assert classify("T", "met", "running", {}).cause == DATA_MISSING
    assert classify("T", "running", "running", {}).cause == AGREE


def test_several_desk_metrics_must_be_chosen_between(tmp_path: Path) -> None:
    from accord.core.errors import AccordError

    path = tmp_path / "agreement.yaml"
    path.write_text(AGREEMENT)
    events, _ = TICKETS["agree"]
    verdicts = [
        Verdict("agree", "made_sla", "met", None, "v:1"),
        Verdict("agree", "P2 resolution", "met", None, "v:2"),
    ]
    with pytest.raises(AccordError, match="the verdicts are of several metrics"):
        audit(load_agreement(path), EventColumns.from_events(events), verdicts)
    chosen = audit(
        load_agreement(path), EventColumns.from_events(events), verdicts,
        desk_metric="P2 resolution",
    )  # fmt: skip
    assert chosen.agreeing == 1


def test_the_rules_found_together_or_added_are_named(result) -> None:  # type: ignore[no-untyped-def]
    found = {t.ticket: t for t in result.tickets}
    assert found["closure and pause"].variants[0] == "stopped at closure, no pauses"
    assert found["waiting"].variants[0] == "paused while waiting"
    assert found["business hours"].variants[0] == "business calendar"


@pytest.mark.parametrize(
    ("calendars", "uses", "expected"),
    [
        (
            "{desk: {timezone: UTC, hours: {mon-fri: '09:00-17:00'}}}",
            "desk",
            "desk",
        ),  # used by the others
        (
            "{desk: {timezone: UTC, hours: {mon-fri: '09:00-17:00'}}}",
            "24x7",
            "desk",
        ),  # declared only
        (
            "{a: {timezone: UTC, hours: {mon-fri: '09:00-17:00'}}, "
            "b: {timezone: UTC, hours: {mon-fri: '08:00-18:00'}}}",
            "24x7",
            None,  # which one?
        ),
        ("{}", "24x7", None),
    ],
)
def test_the_business_calendar_tried_is_the_agreements_own(
    tmp_path: Path, calendars: str, uses: str, expected: str | None
) -> None:
    from accord.core.desk_audit import business_calendar, variant_objectives

    path = tmp_path / "agreement.yaml"
    path.write_text(
        AGREEMENT.split("calendars:")[0]
        + f"calendars: {calendars}\nobjectives:\n"
        + "  - {id: p1, metric: resolution, within: 4h, target: 90%}\n"
        + f"  - {{id: p2, metric: resolution, within: 8h, target: 90%, calendar: {uses}}}\n"
    )
    agreement = load_agreement(path)
    assert business_calendar(agreement) == expected
    changed = variant_objectives(agreement, "business calendar")
    if expected is None:
        assert changed is None
    else:
        assert changed is not None
        assert {o.calendar for o in changed} == {expected}
