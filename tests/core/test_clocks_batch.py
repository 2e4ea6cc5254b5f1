"""The batch evaluation gives exactly the replay's clocks (the reference), on random logs."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.core import clock_cycles, clocks_batch
from accord.core.agreement import Agreement
from accord.core.agreement.model import TICKET_METRICS
from accord.core.calendar import to_nanos
from accord.core.clock_engines import evaluate_clocks
from accord.core.clocks import (
    Clock,
    ClockError,
    TicketEvent,
    all_clocks,
    calendars_of,
    distinct,
    tie_order,
)
from accord.core.clocks_batch import (
    Changes,
    EventColumns,
    arrange,
    covers,
    evaluate,
    open_rows,
    open_tickets,
    sort_key,
    uncovered,
)
from accord.io.data import read_data
from accord.io.tickets import read_event_columns, read_events
from tests.core.test_clocks import (
    CLOCK,
    DESK,
    H,
    Ticket,
    _version_with,
    agreement,
    histories,
    ny,
)


def _comparable(clocks: list[Clock]) -> list[Clock]:
    """Clocks without what only the replay keeps (intervals, fields), in a stable order."""
    return sorted(
        (dataclasses.replace(c, intervals=(), fields={}) for c in clocks),
        key=lambda c: (c.ticket, c.metric, c.cycle),
    )


def _with_fields(clocks: list[Clock]) -> list[Clock]:
    """Clocks without their intervals (which only the replay keeps), in a stable order."""
    return sorted(
        (dataclasses.replace(c, intervals=()) for c in clocks),
        key=lambda c: (c.ticket, c.metric, c.cycle),
    )


def _log(tickets: list[list[TicketEvent]]) -> list[TicketEvent]:
    return [
        TicketEvent(f"{n}-{e.id}", f"T{n:03d}", e.at, e.kind, e.fields, e.author, e.public)
        for n, events in enumerate(tickets)
        for e in events
    ]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=6), st.integers(0, 60 * 24 * 30))
def test_batch_equals_replay_on_random_logs(tickets: list[list[TicketEvent]], minutes: int) -> None:
    log = _log(tickets)
    as_of = min(e.at for e in log) + timedelta(minutes=minutes)
    replay = all_clocks(log, DESK.objectives, calendars_of(DESK), as_of)
    batch = evaluate(EventColumns.from_events(log), DESK.objectives, calendars_of(DESK), as_of)
    # the ticket's fields too: as of the event that stopped the clock, or the last one
    assert _with_fields(batch.clocks()) == _with_fields(replay)


def test_batch_covers_steady_and_reprioritised_tickets_itself() -> None:
    steady = Ticket(ny(2026, 3, 9, 9), ticket="A").status(ny(2026, 3, 9, 10), "Awaiting User Info")
    steady.status(ny(2026, 3, 9, 12), "Active").status(ny(2026, 3, 10, 11), "Resolved")
    moved = Ticket(ny(2026, 3, 9, 9), ticket="B").set(ny(2026, 3, 9, 12), priority="P1")
    as_of = ny(2026, 3, 11, 9)
    log = steady.events + moved.events
    result = evaluate(EventColumns.from_events(log), DESK.objectives, calendars_of(DESK), as_of)
    assert result.replayed == []  # a priority change (carry-over) is the batch's job too
    moved_clock = {c.ticket: c for c in result.clocks() if c.metric == "resolution"}["B"]
    assert (moved_clock.objective, moved_clock.breached_at) == ("resolution-P1", ny(2026, 3, 9, 13))
    resolution = {c.ticket: c for c in result.clocks() if c.metric == "resolution"}["A"]
    # Mon 9-10 and 12-17, Tue 9-11; waiting on the user Mon 10-12
    assert (resolution.used, resolution.paused_by, resolution.state) == (
        8 * H,
        {"customer": 2 * H},
        "met",
    )


def test_rules_the_batch_does_not_cover_are_replayed_whole() -> None:
    """Objectives of one metric under different clock rules (the replay runs a metric on its
    first objective's rules): that metric is replayed, the others are not."""
    desk = Agreement.model_validate(
        DESK.model_dump(mode="python")
        | {
            "objectives": [
                o.model_copy(update={"clock": o.clock.model_copy(update={"reopen": "restart"})})
                if o.id == "resolution-P4" and o.clock is not None
                else o
                for o in DESK.objectives
            ]
        }
    )
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 12), "Resolved")
    ticket.status(ny(2026, 3, 16, 9), "Active")
    as_of = ny(2026, 3, 17, 9)
    result = evaluate(
        EventColumns.from_events(ticket.events), desk.objectives, calendars_of(desk), as_of
    )
    replay = all_clocks(ticket.events, desk.objectives, calendars_of(desk), as_of)
    assert _comparable(result.clocks()) == _comparable(replay)
    assert {c.metric for c in result.replayed} == {"resolution"}
    assert uncovered(desk.objectives) == [
        "objectives 'resolution-P1', 'resolution-P3', 'resolution-P4' (metric resolution): "
        "different clock rules within one metric"
    ]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=6), st.integers(0, 60 * 24 * 30))
def test_batch_equals_replay_where_the_batch_covers_every_ticket(
    tickets: list[list[TicketEvent]], minutes: int
) -> None:
    steady = [
        [e for e in events if "priority" not in e.fields or e.kind == "created"]
        for events in tickets
    ]
    log = _log(steady)
    as_of = min(e.at for e in log) + timedelta(minutes=minutes)
    batch = evaluate(EventColumns.from_events(log), DESK.objectives, calendars_of(DESK), as_of)
    assert batch.replayed == []  # the batch computed every clock itself
    replay = all_clocks(log, DESK.objectives, calendars_of(DESK), as_of)
    assert _comparable(batch.clocks()) == _comparable(replay)


def _rows(columns: EventColumns, rows: np.ndarray) -> EventColumns:
    """The same log with its rows in another order, or some rows twice."""
    return dataclasses.replace(
        columns,
        ticket=columns.ticket[rows],
        at=columns.at[rows],
        kind=columns.kind[rows],
        rank=columns.rank[rows],
        agent_reply=columns.agent_reply[rows],
        customer_message=columns.customer_message[rows],
        fields={
            name: (codes[rows], vocabulary) for name, (codes, vocabulary) in columns.fields.items()
        },
        arranged=None,  # the order is to be found again
    )


def _on_the_hour(log: list[TicketEvent]) -> list[TicketEvent]:
    """Every event moved to the start of its hour: many events of a ticket share an instant, and
    of those many share a kind too, which only their ids put in order."""
    return [dataclasses.replace(e, at=e.at.replace(minute=0, second=0, microsecond=0)) for e in log]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(histories(), min_size=1, max_size=6),
    st.integers(0, 60 * 24 * 30),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_batch_is_the_same_in_any_row_order_with_ties_and_duplicates(
    tickets: list[list[TicketEvent]], minutes: int, hourly: bool, rnd: random.Random
) -> None:
    log = _on_the_hour(_log(tickets)) if hourly else _log(tickets)
    as_of = min(e.at for e in log) + timedelta(minutes=minutes)
    replay = _with_fields(all_clocks(log, DESK.objectives, calendars_of(DESK), as_of))
    columns = EventColumns.from_events(log)
    n = len(columns.at)
    in_order = np.lexsort((columns.rank, sort_key(columns.at, columns.kind), columns.ticket))
    arranged = _rows(columns, in_order)
    assert arrange(arranged.ticket, arranged.at, arranged.kind, arranged.rank)[0] is None
    again = np.array(rnd.sample(range(n), k=n // 2), dtype=np.int64)
    twice = np.sort(np.concatenate([in_order, again]))
    shuffled = [int(r) for r in twice]
    rnd.shuffle(shuffled)
    # each ticket's rows together, in a random order within the ticket
    noise = np.array([rnd.random() for _ in range(n)])
    grouped = np.lexsort((noise, columns.ticket))
    for rows in (in_order, in_order[np.argsort(columns.rank[in_order], kind="stable")], grouped):
        batch = evaluate(_rows(columns, rows), DESK.objectives, calendars_of(DESK), as_of)
        assert _with_fields(batch.clocks()) == replay
    for rows in (np.array(shuffled, dtype=np.int64), np.sort(twice)):
        batch = evaluate(_rows(columns, rows), DESK.objectives, calendars_of(DESK), as_of)
        assert _with_fields(batch.clocks()) == replay  # a row given twice counts once


def test_arrange_sorts_only_the_tickets_out_of_order_and_reports_ties() -> None:
    ticket = np.array([0, 0, 0, 1, 1, 2, 2], dtype=np.int32)
    at = np.array([1, 3, 2, 5, 5, 7, 8], dtype=np.int64) * 1000
    kind = np.array([0, 1, 1, 0, 1, 0, 2], dtype=np.int32)
    order, tied = arrange(ticket, at, kind)
    assert order is not None
    assert order.tolist() == [0, 2, 1, 3, 4, 5, 6]
    assert not tied
    kind[4] = 0  # two creations of ticket 1 at one instant: ids decide
    order, tied = arrange(ticket, at, kind)
    assert tied
    rank = np.array([0, 1, 2, 4, 3, 5, 6], dtype=np.int32)
    order, tied = arrange(ticket, at, kind, rank)
    assert order is not None
    assert order.tolist() == [0, 2, 1, 4, 3, 5, 6]
    assert tied
    with patch.object(clocks_batch, "_BLOCK", 2):  # checked two rows at a time: the same
        assert arrange(ticket, at, kind, rank)[0].tolist() == order.tolist()
    # tickets not in runs: everything sorted
    order, _ = arrange(ticket[::-1].copy(), at[::-1].copy(), kind[::-1].copy())
    assert order is not None
    assert ticket[::-1][order].tolist() == sorted(ticket.tolist())
    assert arrange(ticket[:1], at[:1], kind[:1]) == (None, False)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=6), st.booleans())
def test_batch_without_as_of_evaluates_each_ticket_at_its_last_event(
    tickets: list[list[TicketEvent]], hourly: bool
) -> None:
    log = _on_the_hour(_log(tickets)) if hourly else _log(tickets)
    replay = all_clocks(log, DESK.objectives, calendars_of(DESK), None)
    batch = evaluate(EventColumns.from_events(log), DESK.objectives, calendars_of(DESK), None)
    assert _with_fields(batch.clocks()) == _with_fields(replay)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(histories(), min_size=1, max_size=8),
    st.integers(0, 60 * 24 * 30),
    st.integers(1, 12),
    st.booleans(),
    st.sampled_from([1, 3]),
)
def test_batch_in_chunks_of_whole_tickets_gives_the_same_clocks(
    tickets: list[list[TicketEvent]], minutes: int, chunk: int, hourly: bool, workers: int
) -> None:
    """A big log is evaluated in chunks of whole tickets (about a million events each), on
    several threads if asked; here chunks of a few events, so that most logs are cut into
    several."""
    log = _on_the_hour(_log(tickets)) if hourly else _log(tickets)
    # a ticket without its creation, replayed: its rows must be found across chunks
    log += [TicketEvent("x-1", "T999", log[0].at, "updated", {"status": "Active"})]
    as_of = min(e.at for e in log) + timedelta(minutes=minutes)
    replay = all_clocks(log, DESK.objectives, calendars_of(DESK), as_of)
    columns = EventColumns.from_events(log)
    with patch.object(clocks_batch, "_CHUNK", chunk), patch.object(clocks_batch, "_BLOCK", chunk):
        batch = evaluate(columns, DESK.objectives, calendars_of(DESK), as_of, workers=workers)
    assert _with_fields(batch.clocks()) == _with_fields(replay)


def test_two_different_events_under_one_id_are_an_error_in_the_columns_too() -> None:
    ticket = Ticket(ny(2026, 3, 9, 9))
    clash = TicketEvent(ticket.events[0].id, "T1", ny(2026, 3, 9, 10), "resolved")
    with pytest.raises(ClockError, match="two different events share this id"):
        EventColumns.from_events([*ticket.events, clash])


def test_an_empty_log_has_no_clocks() -> None:
    for as_of in (ny(2026, 3, 9, 9), None):
        result = evaluate(EventColumns.from_events([]), DESK.objectives, calendars_of(DESK), as_of)
        assert (len(result.table), result.clocks()) == (0, [])


def test_a_priority_raised_on_the_event_that_resolves_is_judged_at_the_new_level() -> None:
    """Resolved after 5 hours with the priority raised to P1 on the same event: both engines
    judge the clock against P1's 4 hours (breached at the change), not P3's 8."""
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 14), "Resolved", priority="P1")
    as_of = ny(2026, 3, 10, 9)
    replay = all_clocks(ticket.events, DESK.objectives, calendars_of(DESK), as_of)
    result = evaluate(
        EventColumns.from_events(ticket.events), DESK.objectives, calendars_of(DESK), as_of
    )
    assert result.replayed == []
    for clocks in (replay, result.clocks()):
        clock = {c.metric: c for c in clocks}["resolution"]
        assert (clock.objective, clock.state, clock.used) == ("resolution-P1", "breached", 5 * H)
        assert clock.breached_at == ny(2026, 3, 9, 14)


# ---------------------------------------------------------------- tangled logs

LEVELS = ["P1", "P3", "P4", "P3", "P2"]  # P2: in no objective's scope
KINDS = ["updated", "updated", "comment", "resolved", "reopened", "closed"]
EVERY_STATUS = ["Active", "Awaiting User Info", "Awaiting Vendor", "Resolved", "Closed"]
DESKS = [
    DESK,
    agreement(stop={}),  # stopped by resolved and closed events only
    agreement(stop_on=["resolved"], pause=[]),
    Agreement.model_validate(  # P1 around the clock, the others in office hours
        DESK.model_dump(mode="python")
        | {
            "objectives": [
                o.model_copy(update={"calendar": "ny-24x7"}) if o.id.endswith("P1") else o
                for o in DESK.objectives
            ]
        }
    ),
]


@st.composite
def tangled_histories(draw: st.DrawFn) -> list[TicketEvent]:
    """A ticket whose events change several fields at once (the priority with a stop, a pause,
    a reopen), several in one instant, levels changed while resolved, of every kind."""
    start = ny(2026, 3, 2, 8) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 20)))
    ticket = Ticket(start, priority=draw(st.sampled_from(LEVELS)))
    at = start
    for _ in range(draw(st.integers(0, 10))):
        at += timedelta(minutes=draw(st.sampled_from([0, 0, 1, 45, 60 * 3, 60 * 26])))
        kind = draw(st.sampled_from(KINDS))
        fields = {}
        if draw(st.booleans()):
            fields["priority"] = draw(st.sampled_from(LEVELS))
        if draw(st.booleans()):
            fields["status"] = draw(st.sampled_from(EVERY_STATUS))
        author = draw(st.sampled_from(["agent", "customer"])) if kind == "comment" else None
        ticket._add(at, kind, fields, author=author)
    return ticket.events


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(tangled_histories(), min_size=1, max_size=5),
    st.none() | st.integers(0, 60 * 24 * 30),
    st.sampled_from(range(len(DESKS))),
)
def test_batch_equals_replay_when_fields_change_on_stops_pauses_and_reopens(
    tickets: list[list[TicketEvent]], minutes: int | None, desk: int
) -> None:
    log = _log(tickets)
    rules = DESKS[desk]
    as_of = None if minutes is None else min(e.at for e in log) + timedelta(minutes=minutes)
    replay = all_clocks(log, rules.objectives, calendars_of(rules), as_of)
    batch = evaluate(EventColumns.from_events(log), rules.objectives, calendars_of(rules), as_of)
    assert _with_fields(batch.clocks()) == _with_fields(replay)


# ---------------------------------------------------------------- every rule

# ACCORD_CLOCK_EXAMPLES=3000 runs the differential tests of every rule thoroughly (minutes)
EXAMPLES = int(os.environ.get("ACCORD_CLOCK_EXAMPLES", "200"))
RULE_CALENDARS = {
    "office": {
        "timezone": "America/New_York",
        "hours": {"mon-fri": "09:00-17:00"},
        "holidays": {"country": "US"},
    },
    "ny-24x7": {"timezone": "America/New_York", "hours": "24x7"},
    "night": {"timezone": "America/New_York", "hours": {"daily": "22:00-06:00"}},
}
LOCATIONS = ["office", "ny-24x7", "night", "24x7"]
EVERY_KIND = ["updated", "updated", "comment", "comment", "comment", "resolved", "reopened"]
EVERY_KIND += ["closed", "created"]
LIMITS = ["30m", "2h", "6h", "1 business day", "3 business days"]
METRIC_NAMES = sorted(TICKET_METRICS)


@st.composite
def clock_rules(draw: st.DrawFn) -> dict[str, Any]:
    """Any clock rules: each start rule, reopen and priority-change rule, stops by status, by
    kind of event or both, with or without pauses, a calendar from a ticket field or not."""
    rules: dict[str, Any] = {
        "start": draw(st.sampled_from(["created", "assigned", "first_customer_message"])),
        "reopen": draw(st.sampled_from(["continue", "restart"])),
        "priority_change": draw(st.sampled_from(["carry_over", "restart"])),
    }
    if draw(st.booleans()):
        rules["pause"] = CLOCK["pause"]
    stop = draw(st.sampled_from(["status", "kinds", "both"]))
    if stop != "kinds":
        rules["stop"] = {"status": ["Resolved", "Closed"]}
    if stop != "status":
        rules["stop_on"] = draw(
            st.sampled_from([[], ["resolved"], ["closed"], ["agent_reply", "resolved"]])
        )
    if draw(st.booleans()):
        rules["calendar_from"] = "location"
    return rules


def _rule_agreement(objectives: list[dict[str, Any]], version: str = "1") -> Agreement:
    return Agreement.model_validate(
        {
            "id": "rules",
            "version": version,
            "overview": {"title": "Every rule"},
            "calendars": RULE_CALENDARS,
            "objectives": objectives,
        }
    )


@st.composite
def rule_objectives(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A few ticket metrics, each by priority (P2 in no scope) under its own clock rules."""
    found = []
    for metric in draw(st.lists(st.sampled_from(METRIC_NAMES), min_size=1, max_size=3)):
        if any(o["metric"] == metric for o in found):
            continue
        clock = draw(clock_rules())
        for level in draw(st.lists(st.sampled_from(["P1", "P3", "P4"]), min_size=2, max_size=4)):
            if any(o["id"] == f"{metric}-{level}" for o in found):
                continue
            found.append(
                {
                    "id": f"{metric}-{level}",
                    "metric": metric,
                    "within": draw(st.sampled_from(LIMITS)),
                    "target": "90%",
                    "calendar": draw(st.sampled_from(sorted(RULE_CALENDARS))),
                    "scope": {"priority": [level]},
                    "clock": clock,
                }
            )
    return found


@st.composite
def later_versions(draw: st.DrawFn, first: list[dict[str, Any]], start: datetime) -> Changes:
    """Zero to two later agreement versions, each in force from an instant: objectives kept as
    they were, given another limit, calendar or set of clock rules (a metric's at once), dropped
    or added."""
    changes = []
    objectives = first
    for k in range(draw(st.integers(0, 2))):
        changed = []
        rules = {o["metric"]: o["clock"] for o in objectives}
        for metric in sorted(rules):
            if draw(st.integers(0, 3)) == 0:
                start_rule = rules[metric].get("start")
                rules[metric] = draw(clock_rules())
                if draw(st.integers(0, 3)):  # mostly under the same start rule
                    rules[metric]["start"] = start_rule
        for objective in objectives:
            what = draw(st.sampled_from(["same", "same", "within", "calendar", "drop"]))
            if what == "drop":
                continue
            objective = {**objective, "clock": rules[objective["metric"]]}
            if what == "within":
                objective["within"] = draw(st.sampled_from(LIMITS))
            elif what == "calendar":
                objective["calendar"] = draw(st.sampled_from(sorted(RULE_CALENDARS)))
            changed.append(objective)
        for added in draw(rule_objectives()):  # under the rules of its metric, if it has some
            if not any(c["id"] == added["id"] for c in changed):
                changed.append({**added, "clock": rules.get(added["metric"], added["clock"])})
        at = start + timedelta(minutes=draw(st.sampled_from([0, 30, 60 * 5, 60 * 30, 60 * 70])))
        at += timedelta(minutes=draw(st.integers(0, 60 * 24 * 6)))
        changes.append((at, _rule_agreement(changed, str(k + 2)).objectives))
        objectives = changed
    return changes


@st.composite
def rule_histories(draw: st.DrawFn, start: datetime) -> list[TicketEvent]:
    """A ticket of any shape: every kind of event, comments by each author, public or not,
    priorities in and out of scope, statuses that pause, stop and reopen, assignees (one empty)
    and locations naming calendars, several fields at once, several events in one instant."""
    # in UTC: minutes added to a New York time are added to its wall clock, which jumps back
    # across the spring gap (02:15 + 45 min is 03:00 EDT, 15 minutes *earlier* than 02:15 read
    # as EST), making an event before the ticket's creation, a skew the column engine replays
    begin = (start + timedelta(minutes=draw(st.integers(0, 60 * 24 * 4)))).astimezone(UTC)
    ticket = Ticket(begin, priority=draw(st.sampled_from(LEVELS)))
    if draw(st.booleans()):
        ticket.events[0] = dataclasses.replace(
            ticket.events[0],
            fields={**ticket.events[0].fields, "location": draw(st.sampled_from(LOCATIONS))},
        )
    at = begin
    for _ in range(draw(st.integers(0, 12))):
        at += timedelta(minutes=draw(st.sampled_from([0, 0, 1, 45, 60 * 3, 60 * 26])))
        kind = draw(st.sampled_from(EVERY_KIND))
        fields = {}
        for name, values in (
            ("priority", LEVELS),
            ("status", EVERY_STATUS),
            ("assignee", ["", "ana", "bo"]),
            ("location", LOCATIONS),
        ):
            if draw(st.integers(0, 3)) == 0:
                fields[name] = draw(st.sampled_from(values))
        author, public = None, True
        if kind == "comment":
            author = draw(st.sampled_from(["agent", "agent", "customer", "third_party"]))
            public = draw(st.booleans()) or author != "agent"
        ticket._add(at, kind, fields, author=author, public=public)
    return ticket.events


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_every_rule_in_columns_equals_the_replay(data: st.DataObject) -> None:
    """Any clock rules (next response, periodic update, restarts, start rules, a calendar from
    a ticket field, agreement versions taking over mid-ticket) on random logs: the column
    engine gives the replay's clocks, computing every one itself, on the fast path or the cycle
    table alike, in any row order, with rows given twice."""
    start = ny(2026, 3, 2, 8) + timedelta(minutes=data.draw(st.integers(0, 60 * 24 * 20)))
    objectives = data.draw(rule_objectives())
    first = _rule_agreement(objectives)
    changes = data.draw(later_versions(objectives, start))
    tickets = data.draw(st.lists(rule_histories(start), min_size=1, max_size=5))
    created = tickets[0][0]  # the log carries every field the rules may read
    fields = {"assignee": "", "location": "office", **created.fields}
    tickets[0][0] = dataclasses.replace(created, fields=fields)
    log = _log(tickets)
    odd = data.draw(st.booleans())
    if odd:  # a ticket updated before its creation (clock skew): replayed
        log += [
            dataclasses.replace(e, id=f"x{e.id}", ticket="T999", at=e.at + timedelta(hours=1))
            for e in log
            if e.ticket == "T000"
        ]
        log.append(TicketEvent("x-skew", "T999", start - timedelta(hours=1), "updated"))
    if data.draw(st.booleans()):
        log = _on_the_hour(log)
    # judged at the end of the log, or about one of its events (before the end, or after it)
    near = data.draw(st.none() | st.sampled_from(log))
    minutes = data.draw(st.integers(-60 * 3, 60 * 24 * 3))
    as_of = None if near is None else near.at + timedelta(minutes=minutes)
    calendars = calendars_of(first)
    replay = _with_fields(all_clocks(log, first.objectives, calendars, as_of, changes))
    columns = EventColumns.from_events(log)
    batch = evaluate(columns, first.objectives, calendars, as_of, changes=changes)
    assert _with_fields(batch.clocks()) == replay
    if covers(first.objectives, changes):  # only the ticket not created first is replayed
        assert {ticket for ticket, _ in batch.replayed_for} <= {"T999"}
    # the cycle table alone, for the fast path's metrics too; rows shuffled, some twice
    rnd = data.draw(st.randoms(use_true_random=False))
    n = len(columns.at)
    rows = [*range(n), *rnd.sample(range(n), k=n // 3)]
    rnd.shuffle(rows)
    chunk = data.draw(st.sampled_from([1, 5, 1 << 20]))  # chunks of whole tickets, on threads
    with (
        patch.object(clocks_batch, "_fast", lambda family: False),
        patch.object(clocks_batch, "_CHUNK", chunk),
        patch.object(clocks_batch, "_BLOCK", chunk),
    ):
        shuffled = _rows(columns, np.array(rows, dtype=np.int64))
        again = evaluate(shuffled, first.objectives, calendars, as_of, changes=changes, workers=2)
    assert _with_fields(again.clocks()) == replay


def _both(
    events: list[TicketEvent],
    desk: Agreement,
    as_of: datetime | None,
    changes: Changes = (),
) -> list[Clock]:
    """The column engine's clocks, checked equal to the replay's and computed without it."""
    result = evaluate(
        EventColumns.from_events(events),
        desk.objectives,
        calendars_of(desk),
        as_of,
        changes=changes,
    )
    assert result.replayed == []
    found = _with_fields(result.clocks())
    assert found == _with_fields(
        all_clocks(events, desk.objectives, calendars_of(desk), as_of, changes)
    )
    return found


def _with_objectives(*objectives: dict[str, Any]) -> Agreement:
    return Agreement.model_validate(
        DESK.model_dump(mode="python")
        | {"objectives": [{"target": "90%", "calendar": "office", **o} for o in objectives]}
    )


def test_next_response_cycles_and_periodic_updates_in_columns() -> None:
    """Customer messages at 10 and 12 (the second while the first waits), replies at 11 and 15:
    next response cycles of 1h (met) and 3h (breached, 2h limit); agent updates at 11 and 15 end
    periodic update cycles of 2h (met) and 4h (breached, 3h limit), the third runs from 15."""
    desk = _with_objectives(
        {"id": "next", "metric": "next_response", "within": "2h"},
        {"id": "updates", "metric": "periodic_update", "within": "3h"},
    )
    ticket = Ticket(ny(2026, 3, 9, 9)).reply(ny(2026, 3, 9, 10), author="customer")
    ticket.reply(ny(2026, 3, 9, 11)).reply(ny(2026, 3, 9, 12), author="customer")
    ticket.reply(ny(2026, 3, 9, 13), author="customer").reply(ny(2026, 3, 9, 15))
    clocks = _both(ticket.events, desk, ny(2026, 3, 9, 16))
    assert [(c.metric, c.cycle, c.used, c.state) for c in clocks] == [
        ("next_response", 1, H, "met"),
        ("next_response", 2, 3 * H, "breached"),
        ("periodic_update", 1, 2 * H, "met"),
        ("periodic_update", 2, 4 * H, "breached"),
        ("periodic_update", 3, H, "running"),
    ]


def test_restarts_keep_the_earlier_cycles_in_columns() -> None:
    """Priority raised at 12 under ``priority_change: restart`` (the P3 cycle cancelled), resolved
    at 13, reopened the next day at 9 under ``reopen: restart``: three resolution cycles."""
    desk = agreement(priority_change="restart", reopen="restart")
    ticket = Ticket(ny(2026, 3, 9, 9)).set(ny(2026, 3, 9, 12), priority="P1")
    ticket.status(ny(2026, 3, 9, 13), "Resolved").status(ny(2026, 3, 10, 9), "Active")
    clocks = _both(ticket.events, desk, ny(2026, 3, 10, 11))
    assert [
        (c.cycle, c.objective, c.used, c.state) for c in clocks if c.metric == "resolution"
    ] == [
        (1, "resolution-P3", 3 * H, "cancelled"),
        (2, "resolution-P1", H, "met"),
        (3, "resolution-P1", 2 * H, "running"),
    ]


def test_start_rules_in_columns() -> None:
    """Assigned at 11 (an empty assignee at 10 does not count); the customer's first message at
    10:30 (the agent's reply before it does not count)."""
    ticket = Ticket(ny(2026, 3, 9, 9)).set(ny(2026, 3, 9, 10), assignee="")
    ticket.set(ny(2026, 3, 9, 11), assignee="ana")
    clocks = _both(ticket.events, agreement(start="assigned"), ny(2026, 3, 9, 12))
    assert {(c.metric, c.started_at, c.used) for c in clocks} == {
        ("first_response", ny(2026, 3, 9, 11), H),
        ("resolution", ny(2026, 3, 9, 11), H),
    }
    ticket = Ticket(ny(2026, 3, 9, 9)).set(ny(2026, 3, 9, 9, 30), assignee="ana")
    ticket.reply(ny(2026, 3, 9, 10), public=False).reply(ny(2026, 3, 9, 10, 30), author="customer")
    clocks = _both(ticket.events, agreement(start="first_customer_message"), ny(2026, 3, 9, 12))
    assert {(c.metric, c.started_at, c.used) for c in clocks} == {
        ("first_response", ny(2026, 3, 9, 10, 30), 1.5 * H),
        ("resolution", ny(2026, 3, 9, 10, 30), 1.5 * H),
    }


def test_calendar_from_switching_mid_ticket_in_columns() -> None:
    """Monday 09:00 in the office (8 hours to 17:00), moved to a 24x7 desk at 17:00: 3 more
    hours by 20:00, 11 in all; its P3 resolution (8h) breached at 17:00."""
    desk = agreement(calendar_from="location")
    events = [
        TicketEvent(
            "A-0",
            "A",
            ny(2026, 3, 9, 9),
            "created",
            {"priority": "P3", "status": "New", "location": "office"},
        ),
        TicketEvent("A-1", "A", ny(2026, 3, 9, 17), "updated", {"location": "ny-24x7"}),
    ]
    clocks = _both(events, desk, ny(2026, 3, 9, 20))
    resolution = next(c for c in clocks if c.metric == "resolution")
    assert (resolution.used, resolution.breached_at) == (11 * H, ny(2026, 3, 9, 17))


def test_an_unknown_calendar_from_value_is_the_same_error_in_columns() -> None:
    desk = agreement(calendar_from="location")
    events = [
        TicketEvent(
            "A-0",
            "A",
            ny(2026, 3, 9, 9),
            "created",
            {"priority": "P3", "status": "New", "location": "office"},
        ),
        TicketEvent("B-0", "B", ny(2026, 3, 9, 9), "created", {"priority": "P3"}),
        TicketEvent("B-1", "B", ny(2026, 3, 9, 10), "updated", {"location": "Lisbon"}),
    ]
    expected = r"ticket 'B': field 'location' .* is 'Lisbon', which names no calendar"
    with pytest.raises(ClockError, match=expected):
        all_clocks(events, desk.objectives, calendars_of(desk), ny(2026, 3, 9, 12))
    with pytest.raises(ClockError, match=expected):
        evaluate(EventColumns.from_events(events), desk.objectives, calendars_of(desk), None)


def test_a_version_taking_over_mid_ticket_in_columns() -> None:
    """P3 created Monday 13:00 (8h under version 1); version 2 (6h) in force from Tuesday 09:00:
    breached at 11:00 with 4h used on Monday, 2h more under version 2; version 2 with restart
    instead cancels the first cycle at the change."""
    ticket = Ticket(ny(2026, 3, 9, 13))
    v2 = _version_with("6h")
    change = [(ny(2026, 3, 10, 9), v2.objectives)]
    clocks = _both(ticket.events, DESK, ny(2026, 3, 10, 12), change)
    resolution = next(c for c in clocks if c.metric == "resolution")
    assert (resolution.state, resolution.target, resolution.breached_at) == (
        "breached",
        6 * H,
        ny(2026, 3, 10, 11),
    )
    restart = [(ny(2026, 3, 10, 9), _version_with("6h", priority_change="restart").objectives)]
    clocks = _both(ticket.events, DESK, ny(2026, 3, 10, 12), restart)
    assert [(c.cycle, c.state, c.used) for c in clocks if c.metric == "resolution"] == [
        (1, "cancelled", 4 * H),
        (2, "running", 3 * H),
    ]


def test_a_version_taking_over_at_a_local_time_the_clocks_skip() -> None:
    """Version 2 (restart) in force from 02:00 New York time on the night the clocks spring
    forward: that local time does not exist, it is 07:00 UTC, the instant of an update. Both
    engines cancel the first cycle at 07:00 UTC, given in UTC (the replay kept the local time,
    which compares unequal to every other zone's instant: hypothesis found it)."""
    ticket = Ticket(datetime(2026, 3, 6, 3, tzinfo=UTC), priority="P1")
    ticket.status(datetime(2026, 3, 8, 7, tzinfo=UTC), "Active")
    v2 = _version_with("6h", priority_change="restart")
    skipped = ny(2026, 3, 8, 2)
    assert skipped.astimezone(UTC) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    clocks = _both(ticket.events, DESK, None, [(skipped, v2.objectives)])
    first = next(c for c in clocks if c.metric == "resolution" and c.cycle == 1)
    assert (first.state, first.stopped_at) == ("cancelled", datetime(2026, 3, 8, 7, tzinfo=UTC))
    assert first.stopped_at is not None
    assert first.stopped_at.tzinfo is UTC


def test_a_version_from_a_naive_instant_is_refused() -> None:
    ticket = Ticket(ny(2026, 3, 9, 13))
    with pytest.raises(ClockError, match="naive instant 2026-03-10T09:00:00"):
        all_clocks(
            ticket.events,
            DESK.objectives,
            calendars_of(DESK),
            None,
            [(datetime(2026, 3, 10, 9), _version_with("6h").objectives)],
        )


def _benchmark() -> Any:
    """benchmarks/clocks.py, loaded by path (its folder holds a calendar.py that would shadow the
    standard library's)."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "clocks.py"
    spec = importlib.util.spec_from_file_location("clocks_benchmark", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_clock_is_replayed_under_any_example_agreement(tmp_path: Path) -> None:
    """A log generated from each example agreement's rules (the benchmark's), and the example
    data shipped with them: the column engine computes every clock itself, as the replay does."""
    benchmark = _benchmark()
    as_of = ny(2026, 6, 1)
    for path in benchmark.EXAMPLES:
        agreement_ = load_agreement(path)
        if not any(o.metric in TICKET_METRICS for o in agreement_.objectives):
            continue
        log = tmp_path / f"{path.stem}.parquet"
        benchmark.generate_for(agreement_, 150, log)
        calendars = calendars_of(agreement_)
        result = evaluate(read_event_columns(log), agreement_.objectives, calendars, as_of)
        assert (path.name, len(result.replayed)) == (path.name, 0)
        replay = all_clocks(read_events(log), agreement_.objectives, calendars, as_of)
        assert _with_fields(result.clocks()) == _with_fields(replay)
    examples = Path(__file__).resolve().parents[2] / "examples"
    for name, data in (
        ("it-service-desk.yaml", "service-desk-2026-10"),
        ("two-vendors.yaml", "field-support-2026-10"),
        ("ecommerce.yaml", "shopfront-2026-10"),
    ):
        agreement_ = load_agreement(examples / "agreements" / name)
        tickets = read_data(examples / "data" / data).tickets
        evaluation = evaluate_clocks(tickets, agreement_.objectives, calendars_of(agreement_))
        assert (name, evaluation.engine, evaluation.fell_back) == (name, "columns", frozenset())


def test_a_metric_a_later_version_brings_in_is_computed_in_columns() -> None:
    """Version 2 (from Tuesday 09:00) adds periodic updates, starting once the customer has
    written: Monday at 15:00, under version 1, which had no such objective. The clock starts at
    the next event under version 2 (09:30), the agent's reply at 10:00 ends that cycle and opens
    the next."""
    v2 = _with_objectives(
        *[o.model_dump(mode="python") for o in DESK.objectives],
        {
            "id": "updates",
            "metric": "periodic_update",
            "within": "2h",
            "clock": {**CLOCK, "start": "first_customer_message"},
        },
    )
    ticket = Ticket(ny(2026, 3, 9, 9)).reply(ny(2026, 3, 9, 15), author="customer")
    ticket.status(ny(2026, 3, 10, 9, 30), "Active").reply(ny(2026, 3, 10, 10))
    changes = [(ny(2026, 3, 10, 9), v2.objectives)]
    assert covers(DESK.objectives, changes)
    clocks = _both(ticket.events, DESK, ny(2026, 3, 10, 11), changes)
    assert [(c.cycle, c.started_at, c.state) for c in clocks if c.metric == "periodic_update"] == [
        (1, ny(2026, 3, 10, 9, 30), "met"),
        (2, ny(2026, 3, 10, 10), "running"),
    ]


def test_a_start_rule_holds_only_in_the_versions_that_have_it() -> None:
    """Resolution starts at the customer's first message under version 1; no customer writes,
    and the ticket resolved on Wednesday has its clock met at once. Version 2 (from Thursday)
    drops the objective: the reopen on Thursday, under version 2's rules (which start at
    creation), resumes the clock and cancels it, out of every scope, as the replay does."""
    first = _with_objectives(
        {
            "id": "resolution-P1",
            "metric": "resolution",
            "within": "4h",
            "scope": {"priority": ["P1"]},
            "clock": {**CLOCK, "start": "first_customer_message"},
        },
    )
    ticket = Ticket(ny(2026, 3, 9, 9), priority="P1").status(ny(2026, 3, 11, 12), "Resolved")
    ticket._add(ny(2026, 3, 12, 14), "reopened")
    changes = [(ny(2026, 3, 12, 6), _with_objectives().objectives)]
    clocks = _both(ticket.events, first, ny(2026, 3, 12, 16), changes)
    assert [(c.state, c.stopped_at, c.used) for c in clocks] == [
        ("cancelled", ny(2026, 3, 12, 14), timedelta(0))
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(histories(), min_size=1, max_size=6),
    st.booleans(),
    st.sampled_from(["shuffled", "none", "shared"]),
    st.randoms(use_true_random=False),
)
def test_columns_from_events_come_in_evaluation_order_ranked_as_the_source(
    tickets: list[list[TicketEvent]], hourly: bool, places: str, rnd: random.Random
) -> None:
    """The columns of a log (events in any order, some twice, places in the source shuffled,
    missing or shared) hold each event once, ranked as the replay orders events at one instant,
    and come in evaluation order (nothing left to sort at any instant)."""
    log = _on_the_hour(_log(tickets)) if hourly else _log(tickets)
    log = [*log, *rnd.sample(log, k=len(log) // 3)]  # some events twice
    rnd.shuffle(log)
    if places == "shuffled":
        numbers = rnd.sample(range(10 * len(log)), k=len(log))
        log = [dataclasses.replace(e, position=p) for e, p in zip(log, numbers, strict=True)]
    elif places == "shared":  # places given twice: kind and id order them
        log = [dataclasses.replace(e, position=rnd.randrange(3)) for e in log]
    columns = EventColumns.from_events(log)
    assert columns.arranged is not None
    order, tied = arrange(columns.ticket, columns.at, columns.kind, columns.rank)
    assert order is None
    assert columns.arranged == (None, tied)
    by_rank = sorted(columns.events_of(np.arange(len(columns.at))), key=lambda e: e.position or 0)
    expected = sorted(distinct(log), key=tie_order)
    assert [(e.ticket, e.at, e.kind, dict(e.fields), e.is_agent_reply) for e in by_rank] == [
        (e.ticket, e.at, e.kind, dict(e.fields), e.is_agent_reply) for e in expected
    ]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_the_tickets_that_may_be_open_at_an_instant_hold_every_open_clock(
    data: st.DataObject,
) -> None:
    """Judged from the clocks at one instant, the tickets that may be open at another (before
    it or after it, with events in between or not) hold every clock open then; evaluated on
    their own, they have the clocks the whole log gives them."""
    start = ny(2026, 3, 2, 8) + timedelta(minutes=data.draw(st.integers(0, 60 * 24 * 20)))
    first = _rule_agreement(data.draw(rule_objectives()))
    tickets = data.draw(st.lists(rule_histories(start), min_size=1, max_size=5))
    created = tickets[0][0]  # the log carries every field the rules may read
    fields = {"assignee": "", "location": "office", **created.fields}
    tickets[0][0] = dataclasses.replace(created, fields=fields)
    log = _log(tickets)
    if data.draw(st.booleans()):
        log = _on_the_hour(log)
    moment, instant = (
        data.draw(st.sampled_from(log)).at + timedelta(minutes=data.draw(st.integers(-90, 90)))
        for _ in range(2)
    )
    calendars = calendars_of(first)
    columns = EventColumns.from_events(log)
    base = evaluate(columns, first.objectives, calendars, moment)
    assume(not base.replayed)
    whole = evaluate(columns, first.objectives, calendars, instant)
    kept = open_tickets(columns, base.table, to_nanos(instant), to_nanos(moment))
    # asked again with what the evaluation keeps between questions (a trend's months), the
    # same answer; the rows of those tickets taken by their runs are theirs
    memo: dict[str, Any] = {}
    for _ in range(2):
        again = open_tickets(columns, base.table, to_nanos(instant), to_nanos(moment), memo)
        assert again.tolist() == kept.tolist()
        rows = open_rows(columns, base.table, to_nanos(instant), to_nanos(moment), memo)
        assert rows.tolist() == np.flatnonzero(kept[columns.ticket]).tolist()
    code = {name: i for i, name in enumerate(columns.tickets)}
    clocks = _with_fields(whole.clocks())
    for clock in clocks:
        if clock.stopped_at is None and clock.state in ("running", "paused", "breached"):
            assert kept[code[clock.ticket]], clock
    alone = evaluate(columns.of_tickets(kept), first.objectives, calendars, instant)
    assert _with_fields(alone.clocks()) == [c for c in clocks if kept[code[c.ticket]]]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(histories(), min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_columns_from_rows_in_any_order_decode_each_rows_fields(
    tickets: list[list[TicketEvent]], rnd: random.Random
) -> None:
    """Rows given out of order (as a store's aggregate returns them) are put in evaluation
    order with their fields: each field's codes, row by row, and each row's fields as given
    are those of the same rows given in order."""
    columns = EventColumns.from_events(_log(tickets))
    n = len(columns.at)
    shuffled = np.array(rnd.sample(range(n), k=n), dtype=np.int64)

    def made(rows: npt.NDArray[np.int64]) -> EventColumns:
        events = columns.events_of(rows)
        return EventColumns.from_codes(
            list(columns.tickets),
            columns.ticket[rows],
            columns.at[rows],
            columns.kind[rows],
            columns.agent_reply[rows],
            columns.customer_message[rows],
            [dict(e.fields) for e in events],
            columns.rank[rows],
        )

    expected, found = made(np.arange(n)), made(shuffled)
    assert found.arranged is not None
    assert found.arranged[0] is None
    assert np.array_equal(found.rank, expected.rank)
    assert list(found.fields) == list(expected.fields)
    for name in expected.fields:
        codes, vocabulary = found.fields[name]
        assert list(vocabulary) == list(expected.fields[name][1])
        assert np.array_equal(codes, expected.fields[name][0])
    rows = np.arange(n)
    assert [dict(e.fields) for e in found.events_of(rows)] == [
        dict(e.fields) for e in expected.events_of(rows)
    ]


@given(st.lists(st.integers(-(2**62), 2**62), max_size=40), st.sampled_from([np.int64, np.int32]))
def test_distinct_codes_are_numpys_unique_of_integers(values: list[int], dtype: Any) -> None:
    array = np.array([v % 1000 for v in values] if dtype is np.int32 else values, dtype=dtype)
    found = clock_cycles.distinct_codes(array)
    expected = np.unique(array)
    assert found.dtype == expected.dtype
    assert found.tolist() == expected.tolist()
