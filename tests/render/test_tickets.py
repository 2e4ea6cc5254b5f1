"""A ticket's clocks in words: time left, paused and why, breached and by how much, met; and
where a clock's business time went."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accord import load_agreement
from accord.core.clocks import Clock, TicketEvent, calendars_of, ticket_clocks
from accord.core.timer import of_clock
from accord.render.tickets import picture, time_went, timer
from tests.service.agreements import DESK

OPENED = datetime(2026, 12, 7, 9, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def _clocks(events: list[TicketEvent], as_of: datetime) -> dict[str, Clock]:
    agreement = load_agreement(DESK)
    found = ticket_clocks(events, agreement.objectives, calendars_of(agreement), as_of)
    return {c.objective: c for c in found}


def _event(number: int, minutes: int, kind: str, **fields: str) -> TicketEvent:
    author = "agent" if kind == "comment" else None
    return TicketEvent(
        f"T-{number}",
        "T",
        OPENED + timedelta(minutes=minutes),
        kind,  # type: ignore[arg-type]
        fields,
        author,  # type: ignore[arg-type]
    )


def test_a_running_clock_says_the_time_left_and_its_deadline() -> None:
    clocks = _clocks([_event(1, 0, "created", status="New")], OPENED + timedelta(minutes=30))
    said = timer(clocks["resolution"], False, UTC_ZONE)
    assert (said.state, said.words) == ("running", "3 h 30 min left of 4 h")
    assert said.when == "due 7 Dec 2026, 13:00 UTC"


def test_a_clock_past_its_warning_share_is_at_risk() -> None:
    clocks = _clocks([_event(1, 0, "created", status="New")], OPENED + timedelta(hours=3))
    resolution = clocks["resolution"]
    assert of_clock(resolution, Decimal("0.75")).at_risk
    assert not of_clock(resolution, Decimal("0.80")).at_risk
    assert timer(resolution, True, UTC_ZONE).state == "at risk"


def test_a_paused_clock_says_why_and_has_no_deadline() -> None:
    events = [
        _event(1, 0, "created", status="New"),
        _event(2, 10, "comment"),
        _event(3, 60, "updated", status="Waiting on customer"),
    ]
    said = timer(_clocks(events, OPENED + timedelta(hours=2))["resolution"], False, UTC_ZONE)
    assert said.words == "paused (customer): 3 h left"
    assert said.when == "no deadline while paused"


def test_a_breached_clock_says_by_how_much_and_when_the_deadline_passed() -> None:
    clocks = _clocks([_event(1, 0, "created", status="New")], OPENED + timedelta(hours=5))
    said = timer(clocks["response"], False, UTC_ZONE)
    assert said.words == "breached by 4 h, still running"
    assert said.when == "deadline passed 7 Dec 2026, 10:00 UTC"


def test_a_met_clock_says_how_much_it_used() -> None:
    events = [_event(1, 0, "created", status="New"), _event(2, 20, "comment")]
    said = timer(_clocks(events, OPENED + timedelta(hours=1))["response"], False, UTC_ZONE)
    assert (said.state, said.words) == ("met", "met: 20 min of 1 h used")


def test_where_the_time_went_counts_running_time_by_status_and_pauses_by_reason() -> None:
    events = [
        _event(1, 0, "created", status="New"),
        _event(2, 30, "updated", status="In progress"),
        _event(3, 90, "updated", status="Waiting on customer"),
        _event(4, 150, "updated", status="In progress"),
    ]
    resolution = _clocks(events, OPENED + timedelta(hours=3))["resolution"]
    went = time_went(resolution, UTC_ZONE)
    assert went.by_status == (("In progress", "1 h 30 min"), ("New", "30 min"))
    assert went.paused == (("customer", "1 h"),)
    drawn = picture(0, "Resolution", resolution, UTC_ZONE)
    assert drawn is not None
    assert [row[3] for row in drawn.rows] == ["running", "running", "paused: customer", "running"]
