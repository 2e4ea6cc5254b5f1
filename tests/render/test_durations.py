"""Durations in words: the largest units, cut and never rounded up; two spans read side by
side (used of allowed) never read in the wrong order."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from accord import load_agreement
from accord.cli import parse_period
from accord.core.clocks import TicketEvent
from accord.core.report import Data, evaluate
from accord.render.report import report_markdown
from accord.render.report_view import build
from accord.render.words import (
    EXACT,
    business,
    business_against,
    duration,
    duration_against,
)

ROOT = Path(__file__).resolve().parents[2]
DESK = ROOT / "examples" / "agreements" / "it-service-desk.yaml"

_UNIT = {"day": 86400, "days": 86400, "h": 3600, "min": 60, "s": 1}
_WORD = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?) (days?|h|min|s)")
_NEXT = {86400: 3600, 3600: 60, 60: 1, 1: 1}


def read_back(text: str) -> timedelta:
    """The span a duration in words says (``1 h 0 min 5 s``: 3605 s)."""
    sign = -1 if text.startswith("-") else 1
    found = _WORD.findall(text.lstrip("-"))
    assert " ".join(f"{n} {u}" for n, u in found) == text.lstrip("-"), text
    seconds = sum(Decimal(n) * _UNIT[u] for n, u in found)
    return sign * timedelta(microseconds=int(seconds.scaleb(6)))


def test_seconds_are_told_under_an_hour_as_the_second_unit() -> None:
    assert business(timedelta(seconds=90)) == "1 min 30 s"
    assert business(timedelta(seconds=35)) == "35 s"
    assert business(timedelta(minutes=44, seconds=31)) == "44 min 31 s"
    assert business(timedelta(hours=2, minutes=17, seconds=28)) == "2 h 17 min"
    assert business(timedelta(hours=1, seconds=5)) == "1 h"
    assert business(timedelta(hours=27, minutes=30)) == "27 h 30 min"
    assert duration(timedelta(days=3, hours=4, minutes=5)) == "3 days 4 h"
    assert duration(timedelta(seconds=-90)) == "-1 min 30 s"
    assert business(timedelta(0)) == "0 s"


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)))
def test_a_duration_is_its_two_largest_units_cut_never_rounded_up(span: timedelta) -> None:
    for told, units in ((duration(span), _CALENDAR), (business(span), _BUSINESS)):
        value = read_back(told)
        whole = span // timedelta(seconds=1)
        largest = next((u for u in units if whole >= u), 1)
        cut = timedelta(seconds=_NEXT[largest])  # the second unit's size: what is cut off
        assert value <= span < value + cut, (span, told)
    assert "day" not in business(span)


_CALENDAR = (86400, 3600, 60, 1)
_BUSINESS = (3600, 60, 1)


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
def test_exactly_is_the_span_itself(span: timedelta) -> None:
    assert read_back(business(span, EXACT)) == span


_SPANS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))


@given(_SPANS, _SPANS, st.sampled_from([business_against, duration_against]))
def test_used_against_allowed_reads_in_the_order_the_spans_are(
    used: timedelta, allowed: timedelta, against: Callable[..., tuple[str, str]]
) -> None:
    """Downtime against its budget, a ticket's business time against its target: the words
    compare as the spans do."""
    said_used, said_allowed = against(used, allowed)
    shown, meant = read_back(said_used), read_back(said_allowed)
    assert (shown > meant) == (used > allowed), (used, allowed, said_used, said_allowed)
    assert (shown < meant) == (used < allowed), (used, allowed, said_used, said_allowed)
    # and each is still the span cut, never more than it
    assert shown <= used
    assert meant <= allowed


@given(st.integers(min_value=0, max_value=3600), st.integers(min_value=1, max_value=59))
def test_a_few_seconds_over_the_allowance_are_told(minutes: int, seconds: int) -> None:
    allowed = timedelta(minutes=minutes)
    used, limit = business_against(allowed + timedelta(seconds=seconds), allowed)
    assert used != limit
    assert used.endswith(f"{seconds} s")


def test_2_min_10_s_used_of_the_1_min_30_s_allowed() -> None:
    assert business_against(timedelta(seconds=130), timedelta(seconds=90)) == (
        "2 min 10 s",
        "1 min 30 s",
    )
    assert business_against(timedelta(hours=5, minutes=30), timedelta(hours=4)) == (
        "5 h 30 min",
        "4 h",
    )
    assert business_against(timedelta(hours=4, seconds=5), timedelta(hours=4)) == (
        "4 h 0 min 5 s",
        "4 h",
    )


def test_a_ticket_late_by_seconds_does_not_read_as_within_its_allowance() -> None:
    """Resolved 4 h 0 min 5 s after it opened against 4 h allowed: "4 h used of the 4 h
    allowed" read as kept; the report must say the 5 seconds."""
    opened = datetime(2026, 10, 6, 10, tzinfo=UTC)
    fields = {"priority": "1 - Critical", "service": "service-desk", "status": "New"}
    events = (
        TicketEvent("T1-1", "T1", opened, "created", fields),
        TicketEvent(
            "T1-2",
            "T1",
            opened + timedelta(hours=4, seconds=5),
            "updated",
            {"status": "Resolved"},
        ),
    )
    report = evaluate(load_agreement(DESK), Data(tickets=events), *parse_period("2026-10", "UTC"))
    [breach] = [b for b in build(report).breaches if b.objective == "p1-resolution"]
    assert "4 h 0 min 5 s of business time used of the 4 h allowed" in breach.text
    assert breach.text in " ".join(report_markdown(report).split())
