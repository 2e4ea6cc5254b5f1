"""Business calendars and business-time arithmetic (scalar and numpy batch)."""

from accord.core.calendar.business import BusinessCalendar, OpenInterval, to_micros, to_nanos
from accord.core.calendar.composed import Composition
from accord.core.calendar.named import named_calendars
from accord.core.calendar.spec import (
    CalendarSpec,
    ComposedSpec,
    DailyHours,
    HolidayRule,
    parse_calendar,
    parse_calendar_spec,
)

__all__ = [
    "BusinessCalendar",
    "CalendarSpec",
    "ComposedSpec",
    "Composition",
    "DailyHours",
    "HolidayRule",
    "OpenInterval",
    "named_calendars",
    "parse_calendar",
    "parse_calendar_spec",
    "to_micros",
    "to_nanos",
]
