"""Accord: service level agreements as code, measured in business time.

The public names below are imported when first used (PEP 562), so that ``import accord`` (and
the ``accord`` command, whose modules import it) does not build the agreement schema before
anything asks for it."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "Agreement": "accord.core.agreement",
    "AgreementError": "accord.core.agreement",
    "diff_agreements": "accord.core.agreement",
    "resolve": "accord.core.agreement",
    "BusinessCalendar": "accord.core.calendar",
    "OpenInterval": "accord.core.calendar",
    "AccordError": "accord.core.errors",
    "CalendarError": "accord.core.errors",
    "SpecError": "accord.core.errors",
    "AgreementFileError": "accord.io.agreements",
    "load_agreement": "accord.io.agreements",
    "load_agreements": "accord.io.agreements",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'accord' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
