"""The batch evaluation gives exactly the replay's clocks (the reference), on random logs."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.clocks import Clock, TicketEvent, all_clocks, calendars_of
from accord.core.clocks_batch import EventColumns, evaluate
from tests.core.test_clocks import DESK, H, Ticket, agreement, histories, ny


def _comparable(clocks: list[Clock]) -> list[Clock]:
    """Clocks without what only the replay keeps (intervals, fields), in a stable order."""
    return sorted(
        (dataclasses.replace(c, intervals=(), fields={}) for c in clocks),
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
    assert _comparable(batch.clocks()) == _comparable(replay)


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
    desk = agreement(reopen="restart")
    ticket = Ticket(ny(2026, 3, 9, 9)).status(ny(2026, 3, 9, 12), "Resolved")
    ticket.status(ny(2026, 3, 16, 9), "Active")
    as_of = ny(2026, 3, 17, 9)
    result = evaluate(
        EventColumns.from_events(ticket.events), desk.objectives, calendars_of(desk), as_of
    )
    replay = all_clocks(ticket.events, desk.objectives, calendars_of(desk), as_of)
    assert _comparable(result.clocks()) == _comparable(replay)
    assert {c.metric for c in result.replayed} == {"first_response", "resolution"}


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
