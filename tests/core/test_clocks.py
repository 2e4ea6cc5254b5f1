"""Ticket SLA clocks: named scenarios from how service desks document their clocks."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.agreement import Agreement
from accord.core.clocks import (
    Clock,
    ClockError,
    TicketEvent,
    all_clocks,
    calendars_of,
    ticket_clocks,
)

NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)
CLOCK = {
    "pause": [
        {"when": {"status": ["Awaiting User Info"]}, "reason": "customer"},
        {"when": {"status": ["Awaiting Vendor"]}, "reason": "third_party"},
    ],
    "stop": {"status": ["Resolved", "Closed"]},
}


def agreement(**clock_overrides: Any) -> Agreement:
    clock = {**CLOCK, **clock_overrides}
    return Agreement.model_validate(
        {
            "id": "desk",
            "version": "1",
            "overview": {"title": "Desk"},
            "calendars": {
                "office": {
                    "timezone": "America/New_York",
                    "hours": {"mon-fri": "09:00-17:00"},
                    "holidays": {"country": "US"},
                },
                "ny-24x7": {"timezone": "America/New_York", "hours": "24x7"},
            },
            "objectives": [
                {
                    "id": f"response-{p}",
                    "metric": "first_response",
                    "within": w,
                    "target": "95%",
                    "calendar": "office",
                    "scope": {"priority": [p]},
                    "clock": clock,
                }
                for p, w in (("P1", "1h"), ("P3", "4h"))
            ]
            + [
                {
                    "id": f"resolution-{p}",
                    "metric": "resolution",
                    "within": w,
                    "target": "90%",
                    "calendar": "office",
                    "scope": {"priority": [p]},
                    "clock": clock,
                }
                for p, w in (("P1", "4h"), ("P3", "8h"), ("P4", "3 business days"))
            ],
        }
    )


DESK = agreement()


def ny(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NY, fold=fold)  # type: ignore[misc]


class Ticket:
    """Builds a ticket's events in the words of a scenario."""

    def __init__(self, at: datetime, priority: str = "P3", ticket: str = "T1") -> None:
        self.ticket = ticket
        self.events: list[TicketEvent] = []
        self._add(at, "created", {"priority": priority, "status": "New", "team": "L1"})

    def _add(
        self, at: datetime, kind: Any, fields: dict[str, str] | None = None, **kw: Any
    ) -> Ticket:
        self.events.append(
            TicketEvent(
                f"{self.ticket}-{len(self.events)}", self.ticket, at, kind, fields or {}, **kw
            )
        )
        return self

    def status(self, at: datetime, status: str, **fields: str) -> Ticket:
        return self._add(at, "updated", {"status": status, **fields})

    def set(self, at: datetime, **fields: str) -> Ticket:
        return self._add(at, "updated", fields)

    def reply(self, at: datetime, author: str = "agent", public: bool = True) -> Ticket:
        return self._add(at, "comment", author=author, public=public)

    def clocks(self, as_of: datetime | None = None, desk: Agreement = DESK) -> dict[str, Clock]:
        found = ticket_clocks(self.events, desk.objectives, calendars_of(desk), as_of)
        return {f"{c.metric}#{c.cycle}": c for c in found}


def test_created_on_a_weekend_starts_counting_at_the_next_opening() -> None:
    ticket = Ticket(ny(2026, 3, 7, 14))  # Saturday
    clock = ticket.clocks(as_of=ny(2026, 3, 9, 9, 30))["first_response#1"]
    assert clock.state == "running"
    assert clock.used == timedelta(minutes=30)
    assert clock.consumed == 0.125  # of the 4-hour target
    assert clock.deadline == ny(2026, 3, 9, 13)  # 4 business hours from Monday 09:00
    # real time, across the spring-forward night of 8 March: an hour less than the wall clocks
    assert clock.wall == timedelta(days=1, hours=18, minutes=30)


def test_first_response_is_met_by_the_first_public_agent_reply_only() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9)).reply(ny(2026, 3, 9, 10), public=False)
    ticket.reply(ny(2026, 3, 9, 10, 30), author="customer").reply(ny(2026, 3, 9, 11))
    ticket.reply(ny(2026, 3, 9, 15))  # a later update never overwrites the first response
    clocks = ticket.clocks(as_of=ny(2026, 3, 10, 9))
    first = clocks["first_response#1"]
    assert (first.state, first.used, first.stopped_at) == ("met", 2 * H, ny(2026, 3, 9, 11))
    assert "first_response#2" not in clocks


def test_paused_over_a_weekend_counts_the_pause_by_reason_in_business_time() -> None:
    ticket = Ticket(ny(2026, 3, 6, 10)).status(ny(2026, 3, 6, 11), "Active")
    ticket.status(ny(2026, 3, 6, 16), "Awaiting User Info").status(ny(2026, 3, 9, 10), "Active")
    clock = ticket.clocks(as_of=ny(2026, 3, 9, 12))["resolution#1"]
    assert clock.used == 8 * H  # Fri 10-16 (6h) + Mon 10-12 (2h)
    assert clock.paused_by == {"customer": 2 * H}  # Fri 16-17 and Mon 9-10
    assert clock.wall == timedelta(days=3, hours=1)  # the DST change of 8 March falls inside


def test_paused_twice_keeps_every_pause() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9))
    ticket.status(ny(2026, 3, 9, 10), "Awaiting User Info").status(ny(2026, 3, 9, 11), "Active")
    ticket.status(ny(2026, 3, 9, 12), "Awaiting Vendor").status(ny(2026, 3, 9, 14), "Active")
    ticket.status(ny(2026, 3, 9, 15), "Awaiting User Info").status(ny(2026, 3, 9, 16), "Active")
    clock = ticket.clocks(as_of=ny(2026, 3, 9, 17))["resolution#1"]
    assert clock.paused_by == {"customer": 2 * H, "third_party": 2 * H}
    assert clock.used == 4 * H


def test_paused_then_resolved_directly_keeps_the_pause() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 10), "Awaiting Vendor")
    ticket.status(ny(2026, 3, 10, 10), "Resolved")
    clock = ticket.clocks()["resolution#1"]
    assert (clock.state, clock.used, clock.paused_by) == ("met", H, {"third_party": 8 * H})
    assert clock.stopped_at == ny(2026, 3, 10, 10)


def test_reopened_after_a_week_continues_the_clock() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 12), "Resolved")
    ticket.status(ny(2026, 3, 16, 9), "Active").status(ny(2026, 3, 16, 15), "Resolved")
    clocks = ticket.clocks()
    assert clocks["resolution#1"].used == 9 * H
    assert clocks["resolution#1"].state == "breached"  # 9h against 8h
    assert clocks["resolution#1"].breached_at == ny(2026, 3, 16, 14)
    assert "resolution#2" not in clocks


def test_reopened_with_restart_opens_a_new_cycle_and_keeps_the_first() -> None:
    desk = agreement(reopen="restart")
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 12), "Resolved")
    ticket.status(ny(2026, 3, 16, 9), "Active").status(ny(2026, 3, 16, 15), "Resolved")
    clocks = ticket.clocks(desk=desk)
    assert (clocks["resolution#1"].used, clocks["resolution#1"].state) == (3 * H, "met")
    assert (clocks["resolution#2"].used, clocks["resolution#2"].state) == (6 * H, "met")


def test_priority_raised_after_3_hours_carries_the_used_time_over() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9)).set(ny(2026, 3, 9, 12), priority="P1")
    clock = ticket.clocks(as_of=ny(2026, 3, 9, 14))["resolution#1"]
    assert (clock.objective, clock.target, clock.used) == ("resolution-P1", 4 * H, 5 * H)
    assert clock.state == "breached"
    assert clock.breached_at == ny(2026, 3, 9, 13)


def test_priority_change_with_restart_keeps_the_earlier_cycle() -> None:
    desk = agreement(priority_change="restart")
    ticket = Ticket(ny(2026, 3, 9, 9)).set(ny(2026, 3, 9, 12), priority="P1")
    clocks = ticket.clocks(as_of=ny(2026, 3, 9, 14), desk=desk)
    earlier, now = clocks["resolution#1"], clocks["resolution#2"]
    assert (earlier.objective, earlier.state, earlier.used) == ("resolution-P3", "cancelled", 3 * H)
    assert (now.objective, now.state, now.used) == ("resolution-P1", "running", 2 * H)


def test_replay_under_another_agreement_version_leaves_the_first_untouched() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 15), "Resolved")
    in_force = ticket.clocks()["resolution#1"]
    tighter = Agreement.model_validate(
        DESK.model_dump(mode="python")
        | {
            "objectives": [
                o.model_copy(
                    update={
                        "within": o.within
                        if o.id != "resolution-P3"
                        else type(o.within)(time=4 * H)
                    }
                )
                for o in DESK.objectives
            ]
        }
    )
    what_if = ticket.clocks(desk=tighter)["resolution#1"]
    assert (in_force.state, what_if.state) == ("met", "breached")
    assert ticket.clocks()["resolution#1"] == in_force


def test_customer_reply_while_paused_keeps_the_pause_until_the_status_changes() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 10), "Awaiting User Info")
    ticket.reply(ny(2026, 3, 9, 11), author="customer")
    clock = ticket.clocks(as_of=ny(2026, 3, 9, 12))["resolution#1"]
    assert (clock.state, clock.used) == ("paused", H)


def test_events_out_of_order_or_duplicated_give_the_same_clocks() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 10), "Awaiting User Info")
    ticket.status(ny(2026, 3, 9, 13), "Active").reply(ny(2026, 3, 9, 14))
    ticket.status(ny(2026, 3, 10, 11), "Resolved")
    expected = ticket.clocks()
    shuffled = ticket.events * 2
    random.Random(7).shuffle(shuffled)
    ticket.events = shuffled
    assert ticket.clocks() == expected


def test_the_same_id_for_two_different_events_is_an_error() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9))
    clash = TicketEvent(
        ticket.events[0].id, "T1", ny(2026, 3, 9, 10), "updated", {"status": "Active"}
    )
    with pytest.raises(ClockError, match="two different events share this id"):
        ticket_clocks([*ticket.events, clash], DESK.objectives, calendars_of(DESK))


def test_a_holiday_inside_the_pause_is_not_counted() -> None:
    ticket = Ticket(ny(2026, 12, 23, 9)).status(ny(2026, 12, 23, 16), "Awaiting User Info")
    ticket.status(ny(2026, 12, 28, 10), "Active")
    clock = ticket.clocks(as_of=ny(2026, 12, 28, 11))["resolution#1"]
    # 23rd 16-17, 24th 9-17 (not a US federal holiday), 25th Christmas, weekend, 28th 9-10
    assert clock.paused_by == {"customer": 10 * H}
    assert clock.used == 8 * H


def test_dst_inside_the_running_time_on_a_24x7_calendar() -> None:
    desk = Agreement.model_validate(
        DESK.model_dump(mode="python")
        | {"objectives": [o.model_copy(update={"calendar": "ny-24x7"}) for o in DESK.objectives]}
    )
    ticket = Ticket(ny(2026, 3, 7, 22), priority="P1").status(ny(2026, 3, 8, 6), "Resolved")
    clock = ticket.clocks(desk=desk)["resolution#1"]
    assert clock.used == 7 * H  # the spring-forward night is an hour short
    assert clock.state == "breached"


def test_a_24x7_calendar_across_midnight() -> None:
    desk = Agreement.model_validate(
        DESK.model_dump(mode="python")
        | {"objectives": [o.model_copy(update={"calendar": "24x7"}) for o in DESK.objectives]}
    )
    ticket = Ticket(ny(2026, 3, 9, 23), priority="P1").status(ny(2026, 3, 10, 1), "Resolved")
    clock = ticket.clocks(desk=desk)["resolution#1"]
    assert (clock.used, clock.state) == (2 * H, "met")


def test_business_days_target_is_days_of_the_calendar() -> None:
    ticket = Ticket(ny(2026, 3, 6, 15), priority="P4")  # Friday 15:00, 3 business days
    clock = ticket.clocks(as_of=ny(2026, 3, 9, 9))["resolution#1"]
    assert clock.target == 24 * H  # Fri 15:00 -> Wed 15:00 is 24 business hours
    assert clock.deadline == ny(2026, 3, 11, 15)


def test_why_names_the_intervals_that_consumed_the_time() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9)).set(ny(2026, 3, 9, 10), team="L2")
    ticket.set(ny(2026, 3, 9, 16), team="L1").status(ny(2026, 3, 10, 12), "Resolved")
    clock = ticket.clocks()["resolution#1"]
    assert clock.state == "breached"
    worst = clock.why()[0]
    assert (worst.fields["team"], worst.business) == ("L2", 6 * H)


def test_next_response_opens_a_cycle_for_each_customer_message() -> None:
    desk = Agreement.model_validate(
        DESK.model_dump(mode="python")
        | {
            "objectives": [
                {
                    "id": "next",
                    "metric": "next_response",
                    "within": "2h",
                    "target": "90%",
                    "calendar": "office",
                }
            ]
        }
    )
    ticket = Ticket(ny(2026, 3, 9, 9)).reply(ny(2026, 3, 9, 10), author="customer")
    ticket.reply(ny(2026, 3, 9, 11)).reply(ny(2026, 3, 9, 12), author="customer")
    ticket.reply(ny(2026, 3, 9, 13), author="customer").reply(ny(2026, 3, 9, 15))
    clocks = ticket.clocks(desk=desk)
    assert [(c.cycle, c.used, c.state) for c in clocks.values()] == [
        (1, H, "met"),
        (2, 3 * H, "breached"),  # the second customer message did not open another cycle
    ]


# ---------------------------------------------------------------- properties

STATUSES = ["Active", "Awaiting User Info", "Awaiting Vendor", "Resolved"]


@st.composite
def histories(draw: st.DrawFn) -> list[TicketEvent]:
    start = ny(2026, 3, 2, 8) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 20)))
    ticket = Ticket(start, priority=draw(st.sampled_from(["P1", "P3", "P4"])))
    at = start
    for _ in range(draw(st.integers(0, 8))):
        at += timedelta(minutes=draw(st.integers(1, 60 * 30)))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            ticket.reply(at, author=draw(st.sampled_from(["agent", "customer"])))
        elif choice == 1:
            ticket.set(at, priority=draw(st.sampled_from(["P1", "P3", "P4"])))
        else:
            ticket.status(at, draw(st.sampled_from(STATUSES)))
    return ticket.events


def _clocks(events: Sequence[TicketEvent], as_of: datetime | None = None) -> list[Clock]:
    return ticket_clocks(events, DESK.objectives, calendars_of(DESK), as_of)


@settings(max_examples=80, deadline=None)
@given(histories(), st.randoms())
def test_result_depends_only_on_the_set_of_events(
    events: list[TicketEvent], rnd: random.Random
) -> None:
    shuffled = events + events[: len(events) // 2]
    rnd.shuffle(shuffled)
    assert _clocks(shuffled) == _clocks(events)


@settings(max_examples=80, deadline=None)
@given(histories())
def test_used_plus_left_is_the_target_and_never_exceeds_real_time(
    events: list[TicketEvent],
) -> None:
    for clock in _clocks(events, as_of=events[-1].at + 50 * H):
        assert clock.target is not None
        assert clock.left is not None
        assert clock.used + clock.left == clock.target
        assert clock.used >= timedelta(0)
        assert clock.used + sum(clock.paused_by.values(), timedelta(0)) <= clock.wall
        if clock.state == "running":
            assert clock.deadline is not None
            assert clock.deadline > events[-1].at


@settings(max_examples=80, deadline=None)
@given(histories(), st.integers(0, 60 * 40))
def test_pausing_never_increases_used_time(events: list[TicketEvent], minutes: int) -> None:
    pause_at = events[0].at + timedelta(minutes=minutes)
    paused = [
        *events,
        TicketEvent("pause", "T1", pause_at, "updated", {"status": "Awaiting User Info"}),
    ]
    as_of = max(e.at for e in paused) + 10 * H
    before = {(c.metric, c.cycle): c.used for c in _clocks(events, as_of)}
    after = {(c.metric, c.cycle): c.used for c in _clocks(paused, as_of)}
    for key, used in after.items():
        if key in before and key[1] == 1:
            assert used <= before[key]


@settings(max_examples=40, deadline=None)
@given(st.lists(histories(), min_size=1, max_size=4))
def test_many_tickets_at_once_equal_one_ticket_at_a_time(tickets: list[list[TicketEvent]]) -> None:
    log: list[TicketEvent] = []
    expected: list[Clock] = []
    for n, events in enumerate(tickets):
        renamed = [
            TicketEvent(f"{n}-{e.id}", f"T{n}", e.at, e.kind, e.fields, e.author, e.public)
            for e in events
        ]
        log.extend(renamed)
        expected.extend(_clocks(renamed))
    found = all_clocks(log, DESK.objectives, calendars_of(DESK))
    assert sorted(found, key=lambda c: (c.ticket, c.metric, c.cycle)) == sorted(
        expected, key=lambda c: (c.ticket, c.metric, c.cycle)
    )


def test_priority_lowered_after_a_breach_is_judged_by_the_new_target() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9), priority="P1").set(ny(2026, 3, 9, 14), priority="P3")
    clock = ticket.clocks(as_of=ny(2026, 3, 9, 15))["resolution#1"]
    assert (clock.objective, clock.used, clock.state) == ("resolution-P3", 6 * H, "running")
    assert clock.breached_at is None
    assert clock.deadline == ny(2026, 3, 9, 17)


def test_a_ticket_created_resolved_is_met_at_once() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9))
    ticket.events[0] = TicketEvent(
        "T1-0", "T1", ny(2026, 3, 9, 9), "created", {"priority": "P3", "status": "Resolved"}
    )
    clock = ticket.clocks()["resolution#1"]
    assert (clock.state, clock.used, clock.stopped_at) == ("met", timedelta(0), ny(2026, 3, 9, 9))


def test_an_update_stamped_before_creation_does_not_start_the_clock_early() -> None:
    ticket = Ticket(ny(2026, 3, 9, 10)).status(ny(2026, 3, 9, 12), "Resolved")
    ticket.events.append(TicketEvent("skewed", "T1", ny(2026, 3, 9, 8), "updated", {"team": "L2"}))
    clock = ticket.clocks()["resolution#1"]
    assert (clock.started_at, clock.used) == (ny(2026, 3, 9, 10), 2 * H)


def _version_with(within: str, **clock: Any) -> Agreement:
    data = DESK.model_dump(mode="python")
    data["version"] = "2"
    data["objectives"] = [
        o.model_copy(update={"within": type(o.within)(time=timedelta(hours=int(within[:-1])))})
        if o.id == "resolution-P3"
        else o
        for o in DESK.objectives
    ]
    if clock:
        data["objectives"] = [
            o.model_copy(update={"clock": o.clock.model_copy(update=clock)}) if o.clock else o
            for o in data["objectives"]
        ]
    return Agreement.model_validate(data)


def test_agreement_changed_mid_ticket_carries_the_used_time_to_the_new_target() -> None:
    ticket = Ticket(ny(2026, 3, 9, 13))  # P3: 8h under version 1
    v2 = _version_with("6h")
    change = [(ny(2026, 3, 10, 9), v2.objectives)]
    before = ticket.clocks(as_of=ny(2026, 3, 10, 12))["resolution#1"]
    found = ticket_clocks(
        ticket.events, DESK.objectives, calendars_of(DESK), ny(2026, 3, 10, 12), change
    )
    after = {c.metric: c for c in found}["resolution"]
    assert (before.state, before.used, before.target) == ("running", 7 * H, 8 * H)
    assert (after.state, after.used, after.target) == ("breached", 7 * H, 6 * H)
    assert after.breached_at == ny(2026, 3, 10, 11)  # 4h on Monday, 2h more under version 2
    # a version in force later changes nothing before it
    early = ticket_clocks(
        ticket.events, DESK.objectives, calendars_of(DESK), ny(2026, 3, 9, 17), change
    )
    assert {c.metric: c for c in early}["resolution"] == ticket.clocks(as_of=ny(2026, 3, 9, 17))[
        "resolution#1"
    ]


def test_agreement_changed_mid_ticket_with_restart_keeps_what_was_used() -> None:
    ticket = Ticket(ny(2026, 3, 9, 13))
    v2 = _version_with("6h", priority_change="restart")
    found = ticket_clocks(
        ticket.events,
        DESK.objectives,
        calendars_of(DESK),
        ny(2026, 3, 10, 12),
        [(ny(2026, 3, 10, 9), v2.objectives)],
    )
    cycles = [(c.cycle, c.state, c.used) for c in found if c.metric == "resolution"]
    assert cycles == [(1, "cancelled", 4 * H), (2, "running", 3 * H)]


def test_a_ticket_reopened_under_a_new_version_is_judged_by_its_target() -> None:
    """Resolved under version 1 (P3: 8h), reopened once version 2 is in force (P3: 4h, or the
    same limit under a new id): the reopened clock runs against version 2's target, as a clock
    running across the change does (it used to keep version 1's 8 hours)."""
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 12), "Resolved")
    ticket.status(ny(2026, 3, 11, 9), "Active")
    as_of = ny(2026, 3, 11, 11)
    tighter = _version_with("4h")
    renamed = Agreement.model_validate(
        tighter.model_dump(mode="python")
        | {
            "objectives": [
                o.model_copy(update={"id": "resolution-P3-v2"}) if o.id == "resolution-P3" else o
                for o in tighter.objectives
            ]
        }
    )
    for version, objective in ((tighter, "resolution-P3"), (renamed, "resolution-P3-v2")):
        change = [(ny(2026, 3, 10, 9), version.objectives)]
        found = ticket_clocks(ticket.events, DESK.objectives, calendars_of(DESK), as_of, change)
        clock = {c.metric: c for c in found}["resolution"]
        assert (clock.objective, clock.target, clock.used) == (objective, 4 * H, 5 * H)
        assert (clock.state, clock.breached_at) == ("breached", ny(2026, 3, 11, 10))


def test_start_rules_assigned_and_first_customer_message() -> None:
    assigned = agreement(start="assigned")
    ticket = Ticket(ny(2026, 3, 9, 9)).set(ny(2026, 3, 9, 11), assignee="ana")
    clock = ticket.clocks(as_of=ny(2026, 3, 9, 12), desk=assigned)["resolution#1"]
    assert (clock.started_at, clock.used) == (ny(2026, 3, 9, 11), H)
    on_message = agreement(start="first_customer_message")
    ticket = Ticket(ny(2026, 3, 9, 9)).reply(ny(2026, 3, 9, 10, 30), author="customer")
    clock = ticket.clocks(as_of=ny(2026, 3, 9, 12), desk=on_message)["resolution#1"]
    assert (clock.started_at, clock.used) == (ny(2026, 3, 9, 10, 30), 1.5 * H)


# ---------------------------------------------------------------- fields the rules read

LOCATED = agreement(calendar_from="location")


def _located(location: str | None, ticket: str = "T1") -> list[TicketEvent]:
    fields = {"priority": "P3", "status": "New"}
    if location is not None:
        fields["location"] = location
    return [TicketEvent(f"{ticket}-0", ticket, ny(2026, 3, 9, 9), "created", fields)]


def test_calendar_from_runs_each_ticket_on_the_calendar_its_field_names() -> None:
    """Monday 09:00 to 20:00: 11 hours around the clock, 8 in office hours; a ticket that does
    not say its location runs on the objective's own calendar (office)."""
    log = _located("ny-24x7", "A") + _located("office", "B") + _located(None, "C")
    as_of = ny(2026, 3, 9, 20)
    found = all_clocks(log, LOCATED.objectives, calendars_of(LOCATED), as_of)
    used = {c.ticket: c.used for c in found if c.metric == "resolution"}
    assert used == {"A": 11 * H, "B": 8 * H, "C": 8 * H}


def test_calendar_from_naming_a_field_no_event_carries_is_an_error() -> None:
    from accord.core.clock_engines import evaluate_clocks

    log = _located(None, "A") + _located(None, "B")
    expected = (
        r"objective 'response-P1' clock.calendar_from.*field 'location' is carried by no event "
        "of the log; the log's fields: priority, status"
    )
    for engine in ("replay", "auto"):
        with pytest.raises(ClockError, match=expected):
            evaluate_clocks(log, LOCATED.objectives, calendars_of(LOCATED), None, engine)


def test_a_calendar_from_value_that_names_no_calendar_is_an_error_naming_the_ticket() -> None:
    log = _located("office", "A") + _located("Lisbon", "B")
    with pytest.raises(
        ClockError,
        match=r"ticket 'B': field 'location' .* is 'Lisbon', which names no calendar; "
        r"expected one of 24x7, ny-24x7, office",
    ):
        all_clocks(log, LOCATED.objectives, calendars_of(LOCATED), ny(2026, 3, 9, 20))


def test_a_scope_field_no_event_carries_is_an_error_not_an_empty_objective() -> None:
    """A log whose priority column was not mapped: every ticket would be out of every scope."""
    from accord.core.clock_engines import evaluate_clocks

    log = [TicketEvent("A-0", "A", ny(2026, 3, 9, 9), "created", {"prio": "P1", "status": "New"})]
    for engine in ("replay", "columns"):
        with pytest.raises(
            ClockError,
            match=r"objective 'response-P1' scope; .* field 'priority' is carried by no event "
            r"of the log; the log's fields: prio, status",
        ):
            evaluate_clocks(log, DESK.objectives, calendars_of(DESK), None, engine)


def test_a_clock_started_on_assignment_needs_a_log_that_carries_assignees() -> None:
    desk = agreement(start="assigned")
    ticket = Ticket(ny(2026, 3, 9, 9)).set(ny(2026, 3, 9, 11), owner="ana")
    with pytest.raises(
        ClockError,
        match=r"clock.start: assigned: field 'assignee' is carried by no event of the log; "
        r"the log's fields: owner, priority, status, team",
    ):
        all_clocks(ticket.events, desk.objectives, calendars_of(desk), ny(2026, 3, 9, 12))
