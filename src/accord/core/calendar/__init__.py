"""Business calendars and business-time arithmetic (scalar and numpy batch)."""

from accord.core.calendar.business import BusinessCalendar, OpenInterval, to_micros, to_nanos
from accord.core.calendar.spec import CalendarSpec, DailyHours, HolidayRule, parse_calendar_spec

__all__ = [
    "BusinessCalendar",
    "CalendarSpec",
    "DailyHours",
    "HolidayRule",
    "OpenInterval",
    "parse_calendar_spec",
    "to_micros",
    "to_nanos",
]
