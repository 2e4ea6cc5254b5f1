"""Columns topped up with some tickets read again (``EventColumns.replaced``, what the service
does to the evidence it holds when tickets change) are the columns of the whole log read
afresh: row for row, field for field, and the clocks judged on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.calendar import to_nanos
from accord.core.clocks import TicketEvent, calendars_of
from accord.core.clocks_batch import EventColumns, evaluate
from tests.core.test_clocks import DESK
from tests.core.test_clocks_batch import tangled_histories

DESK_START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _columns(events: list[tuple[int, TicketEvent]]) -> EventColumns:
    """The events as a store reads them: numbered by their rows' ids (``rank``), in the
    order of their tickets' names."""
    tickets = sorted({e.ticket for _, e in events})
    code = {t: i for i, t in enumerate(tickets)}
    return EventColumns.from_rows(
        tickets,
        np.array([code[e.ticket] for _, e in events], dtype=np.int64),
        np.array([to_nanos(e.at) for _, e in events], dtype=np.int64),
        [e.kind for _, e in events],
        [e.author for _, e in events],
        [e.public for _, e in events],
        [dict(e.fields) for _, e in events],
        np.array([n for n, _ in events], dtype=np.int64),
    )


def _rows(columns: EventColumns) -> list[tuple[Any, ...]]:
    """Each row as plain values: its ticket, instant, kind, rank, flags and the fields set."""
    found = []
    for row in range(len(columns.at)):
        fields = {}
        for name in columns.fields:
            codes, vocabulary = columns.fields[name]
            if codes[row] >= 0:
                fields[name] = vocabulary[codes[row]]
        found.append(
            (
                columns.tickets[columns.ticket[row]],
                int(columns.at[row]),
                int(columns.kind[row]),
                int(columns.rank[row]),
                bool(columns.agent_reply[row]),
                bool(columns.customer_message[row]),
                fields,
            )
        )
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(tangled_histories(), min_size=1, max_size=6),
    st.data(),
)
def test_columns_with_tickets_read_again_are_the_columns_read_afresh(
    histories: list[list[TicketEvent]], data: st.DataObject
) -> None:
    # each ticket's events numbered as a store numbers rows; a share of them stored later
    numbered: list[tuple[int, TicketEvent]] = []
    for n, events in enumerate(histories):
        for e in events:
            event = TicketEvent(f"{n}-{e.id}", f"T{n:03d}", e.at, e.kind, e.fields, e.author)
            numbered.append((len(numbered), event))
    names = sorted({e.ticket for _, e in numbered})
    late = data.draw(st.sets(st.sampled_from(names)), label="tickets with later events")
    gone = data.draw(st.sets(st.sampled_from(names)), label="tickets no longer read")
    cut = {t: data.draw(st.integers(0, 3), label=f"events of {t} stored later") for t in late}
    held = [
        (n, e)
        for n, e in numbered
        if sum(1 for m, f in numbered if f.ticket == e.ticket and m > n) >= cut.get(e.ticket, 0)
    ]
    if not held:
        return
    changed = late | gone
    fresh = [(n, e) for n, e in numbered if e.ticket in late - gone]
    now = [(n, e) for n, e in held if e.ticket not in changed] + fresh
    topped_up = _columns(held).replaced(changed, _columns(fresh) if fresh else None)
    if not now:
        assert len(topped_up.at) == 0
        assert list(topped_up.tickets) == []
        return
    afresh = _columns(sorted(now, key=lambda item: item[0]))
    assert list(topped_up.tickets) == list(afresh.tickets)
    assert _rows(topped_up) == _rows(afresh)
    assert topped_up.arranged == afresh.arranged
    as_of = max(e.at for _, e in numbered) + timedelta(hours=1)
    calendars = calendars_of(DESK)
    judged = evaluate(topped_up, DESK.objectives, calendars, as_of).clocks()
    assert judged == evaluate(afresh, DESK.objectives, calendars, as_of).clocks()


def test_tickets_read_again_replace_their_rows_and_fields_keep_only_values_set() -> None:
    at = timedelta(hours=1)
    first = TicketEvent("a1", "A", DESK_START, "created", {"status": "New", "priority": "P1"})
    second = TicketEvent("b1", "B", DESK_START, "created", {"status": "Odd"})
    again = TicketEvent("b2", "B", DESK_START + at, "resolved", {"status": "Resolved"})
    held = _columns([(1, first), (2, second)])
    topped_up = held.replaced(["B"], _columns([(2, second), (3, again)]))
    assert list(topped_up.tickets) == ["A", "B"]
    assert [topped_up.tickets[t] for t in topped_up.ticket] == ["A", "B", "B"]
    codes, vocabulary = topped_up.fields["status"]
    assert [vocabulary[c] for c in codes] == ["New", "Odd", "Resolved"]
    dropped = held.replaced(["B"], None)
    assert list(dropped.tickets) == ["A"]
    assert dropped.fields["status"][1] == ["New"]  # "Odd" was only B's
