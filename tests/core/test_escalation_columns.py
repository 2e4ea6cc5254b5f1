"""Escalation moments in columns (``batch_escalation``, with the column engine's
``crossings``) against the reference: :func:`escalation_moments` of each clock the replay
computes, on random logs, levels and instants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.agreement import Agreement
from accord.core.calendar import to_nanos
from accord.core.clocks import TicketEvent, all_clocks, calendars_of
from accord.core.clocks_batch import EventColumns, crossings, evaluate
from accord.core.escalation import DUE_STATES, Due, batch_escalation, escalation_moments
from tests.core.test_clocks import DESK, Ticket, ny
from tests.core.test_clocks_batch import DESKS, _log, tangled_histories

_NAT = int(np.iinfo(np.int64).min)
SHARES = ["0%", "25%", "50%", "62.5%", "75%", "100%", "150%", "breach", "breach + 2h"]


def escalating(desk: Agreement, levels: list[dict[str, Any]], blocks: int) -> Agreement:
    """The desk's rules with escalation levels: all objectives in one block, or the first
    response and the resolution in blocks of their own."""
    if blocks == 1:
        escalation = [{"levels": levels}]
    else:
        escalation = [
            {"objectives": [o.id for o in desk.objectives if o.metric == metric], "levels": part}
            for metric, part in (("first_response", levels[::2]), ("resolution", levels[1::2]))
            if part
        ]
    return Agreement.model_validate(desk.model_dump(mode="python") | {"escalation": escalation})


@st.composite
def levels(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for at in draw(st.lists(st.sampled_from(SHARES), min_size=1, max_size=5)):
        level: dict[str, Any] = {"at": at, "notify": ["lead@us.example"]}
        if draw(st.booleans()):
            level["respect_calendar"] = draw(st.sampled_from(["office", "ny-24x7"]))
        found.append(level)
    return found


def _due_key(ticket: str, due: Due) -> tuple[Any, ...]:
    instant = None if due.due is None else to_nanos(due.due)
    return (ticket, due.objective, due.cycle, due.level, due.at, due.state, instant)


def both(log: list[TicketEvent], rules: Agreement, as_of: datetime) -> tuple[list[Any], ...]:
    """The due items of every clock: by the reference, and in columns (the clocks the columns
    leave out judged one by one, as the worker does); and the number of clocks whose level was
    reached after they started that the columns judged themselves."""
    calendars = calendars_of(rules)
    replay = all_clocks(log, rules.objectives, calendars, as_of)
    reference = sorted(
        _due_key(c.ticket, d)
        for c in replay
        for d in escalation_moments(c, rules, calendars, as_of)
    )
    batch = evaluate(EventColumns.from_events(log), rules.objectives, calendars, as_of)
    table = batch.table
    walked: list[int] = []

    def crossed(clocks: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
        found = crossings(batch, calendars, as_of, clocks, thresholds)
        walked.extend(clocks[found != _NAT].tolist())
        return found

    due, left_out = batch_escalation(rules, calendars, as_of, batch, crossed)
    assert not (set(due.clock.tolist()) & set(np.flatnonzero(left_out).tolist()))
    columns = []
    for i in range(len(due)):
        clock = int(due.clock[i])
        level = due.levels[int(due.level[i])]
        instant = int(due.due[i])
        columns.append(
            (
                batch.tickets[table.ticket[clock]],
                batch.objectives[table.objective[clock]].id,
                int(table.cycle[clock]),
                int(due.number[i]),
                level.at,
                DUE_STATES[int(due.state[i])],
                None if instant == _NAT else instant,
            )
        )
    # the clocks left out, and those the batch replayed itself: one by one
    objects = list(batch.replayed)
    for row in np.flatnonzero(left_out).tolist():
        name = batch.tickets[table.ticket[row]]
        objective = batch.objectives[table.objective[row]].id
        objects += [
            c
            for c in replay
            if (c.ticket, c.objective, c.cycle) == (name, objective, int(table.cycle[row]))
        ]
    columns += [
        _due_key(c.ticket, d)
        for c in objects
        for d in escalation_moments(c, rules, calendars, as_of)
    ]
    return reference, sorted(columns), walked


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(tangled_histories(), min_size=1, max_size=5),
    st.integers(0, 60 * 24 * 30),
    st.sampled_from(range(len(DESKS))),
    levels(),
    st.sampled_from([1, 2]),
)
def test_escalation_in_columns_equals_the_replay_clock_by_clock(
    tickets: list[list[TicketEvent]],
    minutes: int,
    desk: int,
    written: list[dict[str, Any]],
    blocks: int,
) -> None:
    log = _log(tickets)
    rules = escalating(DESKS[desk], written, blocks)
    as_of = min(e.at for e in log) + timedelta(minutes=minutes)
    reference, columns, _ = both(log, rules, as_of)
    assert columns == reference


def test_a_level_crossed_in_the_past_is_found_in_columns_without_the_replay() -> None:
    """A P3 ticket (8 business hours to resolve, office 9-17) worked for 5 hours, paused on
    the customer, then resumed: 50% was reached at 13:00 on the first day, 75% on the
    second day; the columns find both instants themselves, as the replay's intervals do."""
    ticket = Ticket(ny(2026, 3, 9, 9))
    ticket.status(ny(2026, 3, 9, 14), "Awaiting User Info")
    ticket.status(ny(2026, 3, 10, 9), "Active")
    rules = escalating(
        DESK, [{"at": "50%", "notify": ["a@x"]}, {"at": "75%", "notify": ["b@x"]}], 1
    )
    reference, columns, walked = both(ticket.events, rules, ny(2026, 3, 10, 12))
    assert columns == reference
    assert walked  # found in columns, not replayed
    dues = {r[4]: r[6] for r in reference if r[1] == "resolution-P3"}
    assert dues == {"50%": to_nanos(ny(2026, 3, 9, 13)), "75%": to_nanos(ny(2026, 3, 10, 10))}


def test_a_level_reached_exactly_at_an_event_is_due_then_not_at_the_next_running_span() -> None:
    """75% of the P3 first response (4 business hours) is 3 hours: used up exactly when the
    ticket pauses at 12:00; the clock runs again from 13:00. The level fell due at 12:00 (the
    time used reached the threshold), not when the clock next ran."""
    ticket = Ticket(ny(2026, 3, 9, 9))
    ticket.status(ny(2026, 3, 9, 12), "Awaiting User Info")
    ticket.status(ny(2026, 3, 9, 13), "Active")
    rules = escalating(DESK, [{"at": "75%", "notify": ["a@x"]}], 1)
    reference, columns, walked = both(ticket.events, rules, ny(2026, 3, 9, 14))
    assert columns == reference
    assert walked
    dues = {r[1]: r[6] for r in reference}
    assert dues["response-P3"] == to_nanos(ny(2026, 3, 9, 12))


def test_a_level_crossed_before_a_change_of_calendar_is_found_in_columns() -> None:
    """A P3 ticket (office hours) raised to P1 (around the clock) at 14:00: the resolution
    clock counted its first five hours in the office's calendar, and its 50% of P1's four
    hours was reached at 11:00, placed by the clock's own calendar; the columns find it
    themselves (they left such a clock to the replay before), as the replay does."""
    desk = DESKS[3]  # P1 around the clock, the others in office hours
    ticket = Ticket(ny(2026, 3, 9, 9))
    ticket.set(ny(2026, 3, 9, 14), priority="P1")
    rules = escalating(
        desk, [{"at": "50%", "notify": ["a@x"]}, {"at": "75%", "notify": ["b@x"]}], 1
    )
    reference, columns, walked = both(ticket.events, rules, ny(2026, 3, 10, 12))
    assert columns == reference
    assert walked
    dues = {r[4]: r[6] for r in reference if r[1] == "resolution-P1"}
    assert dues == {"50%": to_nanos(ny(2026, 3, 9, 11)), "75%": to_nanos(ny(2026, 3, 9, 12))}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(tangled_histories(), min_size=1, max_size=5),
    st.integers(0, 60 * 24 * 30),
    levels(),
)
def test_escalation_in_columns_equals_the_replay_across_calendars(
    tickets: list[list[TicketEvent]], minutes: int, written: list[dict[str, Any]]
) -> None:
    """The desk whose priorities count in different calendars, every level in one block:
    tickets changing priority change calendar, and their crossings are placed in columns."""
    log = _log(tickets)
    rules = escalating(DESKS[3], written, 1)
    as_of = min(e.at for e in log) + timedelta(minutes=minutes)
    reference, columns, _ = both(log, rules, as_of)
    assert columns == reference
