"""The one exception hierarchy of Accord: every message is written for a person to act on."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'office'?)`` when a known name is close to ``word``, else nothing."""
    close = close_match(word, choices)
    return f" (did you mean {close!r}?)" if close is not None else ""


def close_match(word: str, choices: Iterable[str]) -> str | None:
    """The known name closest to ``word`` when one is close enough (difflib's ratio of at
    least 0.6), else None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def format_path(path: Iterable[str | int]) -> str:
    """A key path as people write it: ``objectives[2].target``, ``except[0].hours``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
