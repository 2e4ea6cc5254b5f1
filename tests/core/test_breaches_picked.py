"""A ticket objective's breaches judged in columns are made when read: a report for people
shows the ten costliest of thousands, and finds them from each breach's business time without
making the others. The breaches picked that way are those, and in the order, that making every
breach and ranking them gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord import load_agreement
from accord.cli import parse_period
from accord.core import judging
from accord.core.clocks import TicketEvent
from accord.core.clocks_batch import EventColumns
from accord.core.judging import Breach, Breaches, costliest
from accord.core.report import Data, evaluate
from accord.render.report import markdown_of
from accord.render.report_view import SHOWN_BREACHES, build

DESK = Path(__file__).resolve().parents[2] / "examples" / "agreements" / "it-service-desk.yaml"
OPENED = datetime(2026, 10, 6, 10, tzinfo=UTC)


def _breach(place: int, micros: int) -> Breach:
    spent = timedelta(microseconds=micros)
    return Breach("o", OPENED, None, f"B{place}", item=f"B{place}", business=spent)


@given(st.lists(st.integers(0, 5), max_size=30), st.integers(0, 35))
def test_the_costliest_from_the_costs_are_those_the_made_breaches_rank(
    costs: list[int], count: int
) -> None:
    made: list[int] = []

    def make() -> tuple[Breach, ...]:
        made.append(len(costs))
        return tuple(_breach(i, c) for i, c in enumerate(costs))

    def pick(places: list[int]) -> list[Breach]:
        return [_breach(p, costs[p]) for p in places]

    lazy = Breaches(len(costs), make, lambda: np.array(costs, dtype=np.int64), pick)
    expected = costliest(tuple(_breach(i, c) for i, c in enumerate(costs)), count)
    assert costliest(lazy, count) == expected  # ties (equal costs) by place, as sorting has them
    assert [lazy[i] for i in expected] == [_breach(i, costs[i]) for i in expected]
    if costs:
        assert lazy[-1] == _breach(len(costs) - 1, costs[-1])
    assert made == []  # none made to find and read them
    assert tuple(lazy) == make()  # then all of them, the ones read among them


def _log(tickets: int) -> EventColumns:
    """P1 tickets resolved after 5 h plus 0 to 6 times 10 minutes: many tie."""
    fields = {"priority": "1 - Critical", "service": "service-desk", "status": "New"}
    events = []
    for number in range(tickets):
        name = f"T{number:03d}"
        resolved = OPENED + timedelta(hours=5, minutes=10 * ((number * 7) % 7 + number % 3))
        events += [
            TicketEvent(f"{name}-1", name, OPENED, "created", {**fields, "team": "Desk"}),
            TicketEvent(f"{name}-2", name, resolved, "updated", {"status": "Resolved"}),
        ]
    return EventColumns.from_events(events)


@pytest.mark.parametrize("explain", [SHOWN_BREACHES, 3, None])
def test_a_report_for_people_makes_only_the_breaches_it_shows(
    explain: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    october = parse_period("2026-10", "UTC")
    agreement = load_agreement(DESK)
    made: list[int] = []
    breaches_of = judging._ticket_breaches

    def counted(*arguments: object, **named: object) -> tuple[Breach, ...]:
        found = breaches_of(*arguments, **named)  # type: ignore[arg-type]
        made.append(len(found))
        return found

    monkeypatch.setattr(judging, "_ticket_breaches", counted)
    data = Data(ticket_columns=_log(60))
    report = evaluate(agreement, data, *october, explain=explain)
    shown = markdown_of(build(report, "UTC"))
    [resolution] = [o for o in report.objectives if o.objective == "p1-resolution"]
    assert len(resolution.breaches) == 60
    if explain is not None:  # (all explained: all made, to find their tickets' events)
        assert sum(made) <= SHOWN_BREACHES * len(report.objectives)  # not the 60
    # the same page as when every breach is made first, then ranked
    again = evaluate(agreement, data, *october, explain=explain)
    for objective in again.objectives:
        tuple(objective.breaches)
    assert markdown_of(build(again, "UTC")) == shown
    assert "and 50 more breaches" in shown
