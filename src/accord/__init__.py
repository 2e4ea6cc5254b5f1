"""Accord: service level agreements as code, measured in business time."""

from accord.core.agreement import Agreement, AgreementError, diff_agreements, resolve
from accord.core.calendar import BusinessCalendar, OpenInterval
from accord.core.errors import AccordError, CalendarError, SpecError
from accord.io.agreements import AgreementFileError, load_agreement, load_agreements

__all__ = [
    "AccordError",
    "Agreement",
    "AgreementError",
    "AgreementFileError",
    "BusinessCalendar",
    "CalendarError",
    "OpenInterval",
    "SpecError",
    "diff_agreements",
    "load_agreement",
    "load_agreements",
    "resolve",
]
__version__ = "0.1.0"
