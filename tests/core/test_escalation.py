"""Escalation moments: when each level of an agreement's escalation falls due for a clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from accord.core.agreement import Agreement
from accord.core.clocks import TicketEvent, calendars_of, ticket_clocks
from accord.core.escalation import escalation_moments, levels_for
from accord.core.reminders import date_reminders
from accord.io.agreements import load_agreement

AGREEMENT = """
id: desk
version: "1"
overview: {title: Desk}
parties:
  customer: {id: acme, name: ACME}
  provider: {id: us, name: Us}
effective: {start: 2026-01-01, review: {next: 2026-12-15, owner: owner@us.example}}
calendars:
  office: {timezone: UTC, hours: {mon-fri: "09:00-17:00"}}
objectives:
  - id: resolution
    metric: resolution
    within: 4h
    target: 90%
    calendar: office
    clock:
      pause: [{when: {status: [Waiting]}, reason: customer}]
      stop: {status: [Resolved]}
escalation:
  - levels:
      - {at: 50%, notify: [lead@us.example]}
      - {at: breach, notify: [manager@us.example], channels: [email, webhook]}
      - {at: breach + 2h, notify: [director@us.example], respect_calendar: office}
"""


def agreement() -> Agreement:
    return load_agreement(AGREEMENT)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(n: int, when: str, kind: str = "updated", **fields: str) -> TicketEvent:
    return TicketEvent(f"e{n}", "T1", at(when), kind, fields)  # type: ignore[arg-type]


def moments(events: list[TicketEvent], as_of: str) -> dict[str, tuple[str, datetime | None]]:
    chosen = agreement()
    calendars = calendars_of(chosen)
    clocks = ticket_clocks(events, chosen.objectives, calendars, at(as_of))
    (clock,) = clocks
    return {d.at: (d.state, d.due) for d in escalation_moments(clock, chosen, calendars, at(as_of))}


# 2026-11-23 is a Monday.
OPENED = [event(1, "2026-11-23T10:00", "created", status="New")]


def test_running_clock_levels_fall_due_in_business_time() -> None:
    found = moments(OPENED, "2026-11-23T10:30")
    assert found["50%"] == ("pending", at("2026-11-23T12:00"))
    assert found["breach"] == ("pending", at("2026-11-23T14:00"))
    assert found["breach + 2h"] == ("pending", at("2026-11-23T16:00"))


def test_breach_late_in_the_day_escalates_the_next_business_morning() -> None:
    late = [event(1, "2026-11-27T14:00", "created", status="New")]  # a Friday
    found = moments(late, "2026-11-27T14:00")
    assert found["breach"][1] == at("2026-11-30T10:00")  # 3h on Friday, 1h on Monday
    assert found["breach + 2h"][1] == at("2026-11-30T12:00")


def test_paused_clock_holds_its_future_levels_and_keeps_past_ones() -> None:
    paused = [*OPENED, event(2, "2026-11-23T12:30", status="Waiting")]
    found = moments(paused, "2026-11-23T13:00")
    assert found["50%"] == ("pending", at("2026-11-23T12:00"))  # crossed before the pause
    assert found["breach"] == ("held", None)
    assert found["breach + 2h"] == ("held", None)


def test_resumed_clock_moves_its_levels_by_the_pause() -> None:
    resumed = [
        *OPENED,
        event(2, "2026-11-23T11:00", status="Waiting"),
        event(3, "2026-11-23T12:00", status="In Progress"),
    ]
    found = moments(resumed, "2026-11-23T12:00")
    assert found["50%"] == ("pending", at("2026-11-23T13:00"))
    assert found["breach"] == ("pending", at("2026-11-23T15:00"))


def test_resolved_clock_cancels_levels_not_reached() -> None:
    done = [*OPENED, event(2, "2026-11-23T12:30", "resolved", status="Resolved")]
    found = moments(done, "2026-11-23T13:00")
    assert found["50%"] == ("pending", at("2026-11-23T12:00"))
    assert found["breach"] == ("cancelled", None)


def test_breached_clock_keeps_the_instant_of_the_breach() -> None:
    found = moments(OPENED, "2026-11-24T10:00")
    assert found["breach"] == ("pending", at("2026-11-23T14:00"))
    assert found["breach + 2h"] == ("pending", at("2026-11-23T16:00"))


def test_levels_are_numbered_per_block() -> None:
    two_blocks = AGREEMENT.replace(
        "escalation:\n",
        "escalation:\n  - objectives: [resolution]\n    levels: [{at: 90%, notify: [a@b.c]}]\n",
    )
    numbered = [(n, level.at) for n, level in levels_for(load_agreement(two_blocks), "resolution")]
    assert numbered == [(0, "90%"), (100, "50%"), (101, "breach"), (102, "breach + 2h")]


def test_review_reminders_ahead_and_on_the_day() -> None:
    reminders = date_reminders(agreement())
    assert [r.due for r in reminders] == [at("2026-11-15T00:00"), at("2026-12-15T00:00")]
    assert [r.at for r in reminders] == ["review - 30d", "review"]
    assert reminders[0].notify == ("owner@us.example",)


@given(opened=st.integers(min_value=0, max_value=60 * 24 * 14))
def test_levels_fall_due_after_their_share_of_business_time(opened: int) -> None:
    start = at("2026-11-02T00:00") + timedelta(minutes=opened)
    chosen = agreement()
    calendars = calendars_of(chosen)
    events = [TicketEvent("e1", "T1", start, "created", {"status": "New"})]
    (clock,) = ticket_clocks(events, chosen.objectives, calendars, start)
    (lower,) = [d for d in escalation_moments(clock, chosen, calendars, start) if d.at == "50%"]
    (breach,) = [d for d in escalation_moments(clock, chosen, calendars, start) if d.at == "breach"]
    assert lower.due is not None
    assert breach.due is not None
    assert lower.due <= breach.due
    office = calendars["office"]
    assert office.elapsed(start, breach.due) == timedelta(hours=4)
    assert office.elapsed(start, lower.due) == timedelta(hours=2)


def test_a_ticket_clock_leaves_burn_rate_levels_to_availability() -> None:
    mixed = load_agreement(
        AGREEMENT.replace(
            "escalation:\n  - levels:\n",
            "  - {id: uptime, metric: availability, target: 99.9%, calendar: 24x7}\n"
            "escalation:\n  - levels:\n"
            "      - {at: burn 14.4x over 1h/5m, notify: [oncall@us.example]}\n",
        )
    )
    calendars = calendars_of(mixed)
    (clock,) = ticket_clocks(OPENED, mixed.objectives, calendars, at("2026-11-23T10:30"))
    found = escalation_moments(clock, mixed, calendars, at("2026-11-23T10:30"))
    assert [d.at for d in found] == ["50%", "breach", "breach + 2h"]
    assert [d.level for d in found] == [1, 2, 3]  # numbered as written, the burn level being 0
