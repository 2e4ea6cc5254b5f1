"""Accord: service level agreements as code, measured in business time."""

from accord.core.calendar import BusinessCalendar, OpenInterval
from accord.core.errors import AccordError, CalendarError, SpecError

__all__ = ["AccordError", "BusinessCalendar", "CalendarError", "OpenInterval", "SpecError"]
__version__ = "0.1.0"
