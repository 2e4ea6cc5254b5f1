"""Reminders of an agreement's own dates (review, notice deadline) and of a termination right
coming near: when they fall due, to whom, and when one more miss is "near"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord import load_agreement
from accord.core.agreement import Agreement
from accord.core.reminders import (
    NOTICE_LEVELS,
    TERMINATION_LEVELS,
    date_reminders,
    kind_of_level,
    notice_by,
    recipients,
    term_end,
    termination_near,
)
from accord.core.termination import TerminationRight
from accord.io.agreements import AgreementFileError

AGREEMENT = """
id: renewing
version: "1"
overview: {title: Renewing}
parties:
  customer: {id: acme, name: ACME, contacts: [{name: Ann, email: ann@acme.example},
                                             {name: Front desk}]}
  provider: {id: us, name: Us, contacts: [{name: Bob, email: bob@us.example}]}
effective:
  start: 2026-01-01
  end: 2027-12-31
  renewal: automatic
  notice: 90d
  review: {next: 2027-06-01, owner: owner@us.example}
objectives:
  - {id: availability, metric: availability, target: 99.9%, calendar: 24x7}
"""


def agreement(text: str = AGREEMENT) -> Agreement:
    return load_agreement(text)


def midnight(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_the_last_day_to_give_notice_is_the_end_less_the_notice() -> None:
    assert notice_by(agreement().effective) == date(2027, 10, 2)  # 2027-12-31 less 90 days


def test_by_default_the_notice_deadline_is_announced_30_and_7_days_ahead_and_on_the_day() -> None:
    notices = [r for r in date_reminders(agreement()) if r.kind == "notice"]
    assert [(r.at, r.due, r.level) for r in notices] == [
        ("notice - 30d", midnight("2027-09-02"), NOTICE_LEVELS),
        ("notice - 7d", midnight("2027-09-25"), NOTICE_LEVELS + 1),
        ("notice", midnight("2027-10-02"), NOTICE_LEVELS + 2),
    ]
    assert {r.day for r in notices} == {date(2027, 10, 2)}
    assert {r.notify for r in notices} == {("owner@us.example",)}  # the review owner
    assert {r.channels for r in notices} == {("email", "webhook")}
    assert {kind_of_level(r.level) for r in notices} == {"notice"}


def test_lead_times_and_recipients_are_as_the_agreement_writes_them() -> None:
    text = AGREEMENT.replace(
        "  review: {next: 2027-06-01, owner: owner@us.example}",
        "  review: {next: 2027-06-01, owner: owner@us.example}\n"
        "  reminders: {notice: [1d, 60d], review: [14d], notify: [provider, customer, "
        "owner, legal@us.example], channels: [webhook]}",
    )
    found = date_reminders(agreement(text))
    assert [(r.kind, r.at, r.due) for r in found] == [
        ("review", "review - 14d", midnight("2027-05-18")),
        ("notice", "notice - 60d", midnight("2027-08-03")),
        ("notice", "notice - 1d", midnight("2027-10-01")),
    ]
    assert found[0].notify == (
        "bob@us.example",
        "ann@acme.example",
        "Front desk",  # a contact without an address is named
        "owner@us.example",
        "legal@us.example",
    )
    assert found[0].channels == ("webhook",)


def test_without_an_owner_the_providers_contacts_are_reminded() -> None:
    text = AGREEMENT.replace(", owner: owner@us.example", "")
    assert recipients(agreement(text)) == ("bob@us.example",)


@pytest.mark.parametrize(
    "change",
    [
        ("renewal: automatic", "renewal: manual"),  # the term ends unless renewed
        ("renewal: automatic", "renewal: none"),
        ("  notice: 90d\n", ""),  # no notice to give
        ("  end: 2027-12-31\n", ""),  # no end: nothing renews
    ],
)
def test_only_an_automatic_renewal_with_notice_has_a_notice_deadline_reminded(
    change: tuple[str, str],
) -> None:
    found = date_reminders(agreement(AGREEMENT.replace(*change)))
    assert [r.kind for r in found] == ["review", "review"]


def test_a_deadline_past_is_not_announced_and_of_those_due_already_only_the_latest() -> None:
    chosen = agreement()
    late = date_reminders(chosen, today=date(2027, 9, 28))  # 30d and 7d ahead are past
    assert [r.at for r in late if r.kind == "notice"] == ["notice - 7d", "notice"]
    assert [
        r.at for r in date_reminders(chosen, today=date(2027, 10, 2)) if r.kind == "notice"
    ] == ["notice"]
    # the day passed without notice: the agreement renews for another term as long as the
    # first (24 months, to 2029-12-31), whose last day to give notice is 2029-10-02
    after = [r for r in date_reminders(chosen, today=date(2027, 10, 3)) if r.kind == "notice"]
    assert [(r.at, r.day) for r in after] == [
        ("notice - 30d", date(2029, 10, 2)),
        ("notice - 7d", date(2029, 10, 2)),
        ("notice", date(2029, 10, 2)),
    ]


@pytest.mark.parametrize(
    ("start", "end", "today", "current"),
    [
        # "renews automatically for successive terms equal to the initial term"
        ("2026-01-01", "2027-12-31", "2027-12-31", "2027-12-31"),  # its last day: still the first
        ("2026-01-01", "2027-12-31", "2028-01-01", "2029-12-31"),  # 24 months more
        ("2026-01-01", "2027-12-31", "2031-06-15", "2031-12-31"),  # the third term after
        ("2026-01-31", "2026-02-27", "2026-03-10", "2026-03-30"),  # a month from the 31st
        ("2026-01-01", "2026-01-10", "2026-01-25", "2026-01-30"),  # 10 days, not months
    ],
)
def test_an_automatic_renewal_runs_on_in_terms_as_long_as_the_first(
    start: str, end: str, today: str, current: str
) -> None:
    text = AGREEMENT.replace(
        "  start: 2026-01-01\n  end: 2027-12-31", f"  start: {start}\n  end: {end}"
    )
    effective = agreement(text).effective
    assert term_end(effective, date.fromisoformat(today)) == date.fromisoformat(current)
    manual = agreement(text.replace("renewal: automatic", "renewal: manual")).effective
    assert term_end(manual, date.fromisoformat(today)) == date.fromisoformat(end)


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2060, 12, 31)))
def test_the_notice_deadline_announced_is_never_past_and_a_term_end_less_the_notice(
    today: date,
) -> None:
    effective = agreement().effective
    deadline = notice_by(effective, today)
    assert deadline is not None
    assert deadline >= today
    end = deadline + (date(2027, 12, 31) - date(2027, 10, 2))
    assert (end.month, end.day) == (12, 31)
    assert (end.year - 2027) % 2 == 0  # terms of 2 years
    assert term_end(effective, end) == end


def test_a_lead_time_in_business_days_or_hours_is_refused_naming_the_field() -> None:
    for wrong in ("3 business days", "36h"):
        text = AGREEMENT.replace(
            "  notice: 90d\n", f"  notice: 90d\n  reminders: {{notice: ['{wrong}']}}\n"
        )
        with pytest.raises(AgreementFileError, match=r"effective\.reminders\.notice.*whole days"):
            agreement(text)


def test_reminder_levels_tell_the_kinds_apart() -> None:
    assert [kind_of_level(n) for n in (0, 1, NOTICE_LEVELS, TERMINATION_LEVELS + 2)] == [
        "review",
        "review",
        "notice",
        "termination",
    ]


@given(st.integers(1, 12), st.integers(0, 14))
def test_near_means_exactly_one_miss_short_of_the_right(after: int, misses: int) -> None:
    right = TerminationRight(
        after,
        "rolling 90 days",
        midnight("2030-01-01"),
        midnight("2030-04-01"),
        tuple(f"availability 2030-{n:02}" for n in range(misses)),
    )
    near = termination_near(right)
    assert near == (misses == after - 1 and misses > 0)
    assert not (near and right.triggered)
    if near:  # one more miss gives the right
        one_more = TerminationRight(
            after, right.within, right.since, right.until, (*right.misses, "one more")
        )
        assert one_more.triggered


def test_the_document_states_the_last_day_to_give_notice() -> None:
    from accord.render.agreement import to_markdown

    assert "- Renewal: automatic, notice 90d (the last day to give it: 2027-10-02)." in (
        to_markdown(agreement())
    )
    manual = to_markdown(agreement(AGREEMENT.replace("renewal: automatic", "renewal: manual")))
    assert "- Renewal: manual, notice 90d." in manual  # nothing renews by itself
