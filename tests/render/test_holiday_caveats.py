"""A report of a period whose public holidays are unknown for a calendar says so in its notes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from accord import load_agreement
from accord.core.calendar import named_calendars
from accord.core.report import Data, evaluate
from accord.render.report import report_markdown

DESK = Path(__file__).resolve().parents[2] / "examples" / "agreements" / "it-service-desk.yaml"


def test_a_period_past_the_known_years_is_caveated_in_the_notes() -> None:
    agreement = load_agreement(DESK)
    office = named_calendars(agreement.calendars)["new-york-office"]
    assert office.public_holiday_years is not None
    last = office.public_holiday_years[1]
    beyond = evaluate(
        agreement,
        Data(),
        datetime(last + 1, 1, 1, tzinfo=UTC),
        datetime(last + 1, 2, 1, tzinfo=UTC),
    )
    assert len(beyond.caveats) == 1
    assert "US-NY" in beyond.caveats[0]
    assert f"through {last}: in {last + 1}" in beyond.caveats[0]
    notes = report_markdown(beyond).split("## Notes", 1)[1]
    assert beyond.caveats[0] in notes


def test_a_period_inside_the_known_years_has_no_caveat() -> None:
    agreement = load_agreement(DESK)
    within = evaluate(
        agreement, Data(), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    )
    assert within.caveats == ()
    assert "known only" not in report_markdown(within)
