"""The one exception hierarchy of Accord: every message is written for a person to act on."""

from __future__ import annotations


class AccordError(Exception):
    """Base of every error Accord raises on purpose."""


class SpecError(AccordError, ValueError):
    """A document (calendar, agreement...) is malformed.

    ``where`` names the offending key path (``hours.mon-fri``), and ``source`` the file when known,
    so a message reads ``office.yaml:4: hours.mon-fri: malformed hours '9-5'; expected ...``.
    """

    def __init__(self, where: str, problem: str, source: str | None = None) -> None:
        self.where = where
        self.problem = problem
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        located = f"{self.where}: {self.problem}" if self.where else self.problem
        return f"{self.source}: {located}" if self.source else located

    def in_source(self, source: str) -> SpecError:
        """The same error, now naming the file it came from."""
        return type(self)(self.where, self.problem, source)


class CalendarError(AccordError, ValueError):
    """A business-time question that has no answer (naive datetime, a calendar that never opens)."""
