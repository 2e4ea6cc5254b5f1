"""The agreement as a document for people: calendars in words."""

from __future__ import annotations

from accord.core.agreement import check_agreement
from accord.render.agreement import to_markdown


def test_calendars_made_of_others_are_said_in_words() -> None:
    agreement, problems = check_agreement(
        {
            "id": "desk",
            "version": "1",
            "overview": {"title": "Desk"},
            "calendars": {
                "prime": {"timezone": "UTC", "hours": {"mon-fri": "08:00-18:00"}},
                "weekend": {"timezone": "UTC", "hours": {"sat,sun": "10:00-16:00"}},
                "staffed": {"union": ["prime", "weekend"]},
                "evenings": {
                    "union": ["staffed"],
                    "except": ["prime", {"timezone": "UTC", "hours": {"sat": "10:00-12:00"}}],
                    "timezone": "Europe/London",
                },
            },
        }
    )
    assert agreement is not None
    assert problems == []
    text = to_markdown(agreement)
    assert "- `staffed`: whenever `prime` or `weekend` is open\n" in text
    assert (
        "- `evenings`: whenever `staffed` is open, except when `prime` or "
        "(sat 10:00-12:00 (UTC)) is open (Europe/London)\n"
    ) in text
