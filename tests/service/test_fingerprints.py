"""The fingerprints that decide whether a recomputed ticket's clock rows and due items are
written: any change of what a row holds changes its ticket's fingerprint (and no other
ticket's), the order rows are found in does not, and a running clock with the same deadline
ahead keeps it however its used time moved (its row is kept and advanced when read)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.core.clocks import Clock, calendars_of
from accord.io.agreements import load_agreement
from accord.service import tracking

DESK = load_agreement(Path(__file__).parents[2] / "examples/agreements/it-service-desk.yaml")
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
GOVERNING = tracking._Governing("desk", DESK, DESK, calendars_of(DESK), [])


def clock(ticket: str, objective: str = "p1-resolution", **changes: Any) -> Clock:
    found = Clock(
        ticket=ticket,
        objective=objective,
        metric="resolution_time",
        cycle=0,
        state="running",
        target=timedelta(hours=4),
        used=timedelta(hours=1),
        started_at=NOW - timedelta(hours=1),
        stopped_at=None,
        breached_at=None,
        deadline=NOW + timedelta(hours=3),
        paused_by={},
        wall=timedelta(hours=1),
        intervals=(),
        fields={"priority": "1 - Critical", "status": "Active"},
    )
    return replace(found, **changes)


def fingerprints(
    clocks: list[Clock], customers: dict[str, str | None] | None = None, moment: datetime = NOW
) -> tuple[dict[str, int], dict[str, int]]:
    customers = customers or {"A": "acme", "B": "acme", "C": None}
    found = tracking._Found(sorted(customers), customers, moment)
    # no events to find the fields again from: every row keeps its copy of them (as rows of
    # clocks whose fields their ticket's events do not give), which its fingerprint covers
    found.add_clocks(GOVERNING, clocks, lambda _ticket: [])
    return found.clock_fingerprints(), found.due_fingerprints()


BASE = [clock("A"), clock("A", "p1-first-response", metric="first_response_time"), clock("B")]


@pytest.mark.parametrize(
    "change",
    [
        {"objective": "p2-resolution"},
        {"metric": "first_response_time"},
        {"cycle": 1},
        {"state": "paused"},
        {"target": timedelta(hours=5)},
        {"deadline": NOW + timedelta(hours=2)},
        {"breached_at": NOW - timedelta(minutes=1), "state": "breached"},
        {"fields": {"priority": "1 - Critical", "status": "Awaiting User Info"}},
        {"fields": {"priority": "1 - Critical"}},
        {"state": "met", "used": timedelta(hours=2), "deadline": None},
    ],
)
def test_any_change_of_a_row_changes_its_tickets_fingerprint_and_no_other(
    change: dict[str, Any],
) -> None:
    clocks, due = fingerprints(BASE)
    changed_clocks, _ = fingerprints([replace(BASE[0], **change), *BASE[1:]])
    assert changed_clocks["A"] != clocks["A"]
    assert changed_clocks["B"] == clocks["B"]
    assert changed_clocks["C"] == clocks["C"] == 0  # no rows
    assert due["A"] != 0
    assert due["C"] == 0


def test_the_order_rows_are_found_in_does_not_matter_nor_their_ticket_name() -> None:
    clocks, due = fingerprints(BASE)
    again, due_again = fingerprints(list(reversed(BASE)))
    assert (clocks, due) == (again, due_again)
    # B's rows are A's resolution clock's: the same content, another ticket
    assert clocks["B"] == fingerprints([BASE[0], clock("B")])[0]["A"] != clocks["A"]


def test_a_row_removed_or_added_changes_the_fingerprint() -> None:
    clocks, due = fingerprints(BASE)
    fewer, fewer_due = fingerprints(BASE[1:])
    more, _ = fingerprints([*BASE, clock("A", cycle=1)])
    assert len({clocks["A"], fewer["A"], more["A"]}) == 3
    assert fewer_due["A"] != due["A"]


def test_the_customer_counts() -> None:
    clocks, due = fingerprints(BASE)
    other, other_due = fingerprints(BASE, {"A": "globex", "B": "acme", "C": None})
    assert other["A"] != clocks["A"]
    assert other_due["A"] != due["A"]
    assert other["B"] == clocks["B"]


def test_a_running_clock_keeps_its_fingerprint_while_only_its_used_time_moves() -> None:
    clocks, _ = fingerprints(BASE)
    later = [replace(c, used=c.used + timedelta(minutes=20)) for c in BASE]
    moved, _ = fingerprints(later, moment=NOW + timedelta(minutes=20))
    assert moved == clocks
    # stopped, or its deadline passed: the used time is what the row says, so it counts
    met = [replace(BASE[0], state="met"), *BASE[1:]]
    assert (
        fingerprints(met)[0]["A"]
        != fingerprints([replace(met[0], used=met[0].used + timedelta(minutes=1)), *BASE[1:]])[0][
            "A"
        ]
    )
    overdue, _ = fingerprints(BASE, moment=NOW + timedelta(hours=4))
    overdue_later, _ = fingerprints(
        [replace(c, used=c.used + timedelta(minutes=1)) for c in BASE],
        moment=NOW + timedelta(hours=4),
    )
    assert overdue["A"] != overdue_later["A"]


def test_the_lines_written_are_those_of_the_tickets_asked_for() -> None:
    customers: dict[str, str | None] = {"A": "acme", "B": "acme", "C": None}
    found = tracking._Found(sorted(customers), customers, NOW)
    found.add_clocks(GOVERNING, BASE, lambda _ticket: [])
    found.clock_fingerprints()  # as a batch does: each row's own fingerprint is kept with it
    found.due_fingerprints()

    def lines(tickets: list[str]) -> list[str]:  # the rows of these tickets, as COPY lines
        return found.clock_lines(list(tracking._parts_of(found.clock_parts, found._codes(tickets))))

    assert [line.split("\t")[0] for line in lines(["A"])] == ["A", "A"]
    assert [line.split("\t")[0] for line in lines(["B", "C"])] == ["B"]
    assert len(lines(["A", "B", "C"])) == 3
    due_a, due_b = found.due_lines(["A"]), found.due_lines(["B"])
    assert due_a
    assert due_b
    assert {line.split("\t")[0] for line in due_a} == {"A"}
    assert sorted(found.due_lines(["A", "B"])) == sorted(due_a + due_b)
