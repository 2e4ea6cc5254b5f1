from __future__ import annotations

import os
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings

from accord import BusinessCalendar

NY = ZoneInfo("America/New_York")


@pytest.fixture(scope="session")
def office() -> BusinessCalendar:
    """Mon-Fri 09:00-17:00 New York, US (NY) public holidays, closed on Christmas Eve 2026."""
    return BusinessCalendar.from_spec(
        {
            "timezone": "America/New_York",
            "hours": {"mon-fri": "09:00-17:00"},
            "holidays": {"country": "US", "subdivision": "NY", "dates": ["2026-12-24"]},
        }
    )


@pytest.fixture(scope="session")
def nights() -> BusinessCalendar:
    """Every night 22:00-06:00 New York, no holidays."""
    return BusinessCalendar.from_spec(
        {"timezone": "America/New_York", "hours": {"daily": "22:00-06:00"}}
    )


# `make test` runs 60 examples a property; ACCORD_HYPOTHESIS_PROFILE=thorough runs 1500.
settings.register_profile("accord", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=1500, deadline=None)
settings.load_profile(os.environ.get("ACCORD_HYPOTHESIS_PROFILE", "accord"))
