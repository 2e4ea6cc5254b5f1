"""The small quantities an agreement is written in, each parsed from the text people write.

Every parser raises ``ValueError`` with a message that shows the expected form; the schema turns it
into an error naming the file, line and field. Each value prints back to the text it was read
from, so an agreement round-trips through YAML unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_DURATION_WORDS = re.compile(
    r"^(\d+(?:\.\d+)?)\s*(weeks?|days?|hours?|hrs?|minutes?|mins?|seconds?|secs?)$", re.IGNORECASE
)
_MONTHS = re.compile(r"^\d+\s*(months?|years?)$", re.IGNORECASE)
_BUSINESS_DAYS = re.compile(r"^(\d+)\s+business\s+days?$", re.IGNORECASE)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
LONGEST_DAYS = 36_600  # about a century: longer than any term an agreement is written for


@dataclass(frozen=True)
class Duration:
    """A span of time in an objective's calendar.

    ``8h`` is eight hours of business time; ``3 business days`` is three days of the calendar (the
    same wall time three open days later), never three 24-hour blocks of business time.
    """

    time: timedelta | None = None
    business_days: int | None = None

    def __str__(self) -> str:
        if self.business_days is not None:
            unit = "business day" if self.business_days == 1 else "business days"
            return f"{self.business_days} {unit}"
        return format_timedelta(self.time or timedelta(0), days=True)

    @property
    def is_zero(self) -> bool:
        return self.business_days == 0 if self.time is None else self.time <= timedelta(0)


def format_timedelta(span: timedelta, *, days: bool = False) -> str:
    """A duration in hours, minutes and seconds (``27h30m``): business time never in days,
    which would read as 24 business hours, not as business days. ``days``: whole days of
    real time may print as ``d`` (a duration as an agreement writes it, such as ``30d``)."""
    seconds = int(span.total_seconds())
    if not days:  # hours, minutes and seconds (what reports print thousands of times)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        text = (
            (f"{hours}h" if hours else "")
            + (f"{minutes}m" if minutes else "")
            + (f"{seconds}s" if seconds else "")
        )
        return text or "0m"
    parts = []
    units = (("d", 86400),) if days else ()
    for unit, size in (*units, ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0m"


def parse_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, timedelta):
        return Duration(time=value)
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            f"expected a duration such as '30m', '1h', '4h30m' or '3 business days', got {value!r}"
            + ("; a bare number has no unit" if isinstance(value, int | float) else "")
        )
    text = value.strip()
    days = _BUSINESS_DAYS.match(text)
    if days:
        count = int(days.group(1))
        if count > LONGEST_DAYS:
            raise ValueError(_too_long(text))
        return Duration(business_days=count)
    words = _DURATION_WORDS.match(text)
    if words:
        return parse_duration(f"{words.group(1)}{words.group(2)[0].lower()}")
    if _MONTHS.match(text):
        raise ValueError(
            f"months and years vary in length, so {text!r} is not a duration; write days "
            "(e.g. '30d'), or use billing_cycles for claim windows"
        )
    compact = text.replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not parts or "".join(f"{n}{u}" for n, u in parts).lower() != compact.lower():
        raise ValueError(
            f"expected a duration such as '30m', '1h', '4h30m' or '3 business days', got {text!r}"
        )
    seconds = sum(Decimal(n) * _UNIT_SECONDS[u.lower()] for n, u in parts)
    if seconds > LONGEST_DAYS * 86400:
        raise ValueError(_too_long(text))
    return Duration(time=timedelta(seconds=float(seconds)))


def _too_long(text: str) -> str:
    return f"{text!r} is longer than the longest duration Accord handles, {LONGEST_DAYS:,} days"


def parse_percent(value: Any) -> Decimal:
    """``"99.9%"`` -> ``Decimal("99.9")``. A bare number is refused: 99.9 or 0.999 is ambiguous."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, str) or not value.strip().endswith("%"):
        hint = f"; write '{value}%'" if isinstance(value, int | float) and 0 < value <= 100 else ""
        raise ValueError(f"expected a percentage such as '99.9%', got {value!r}{hint}")
    try:
        number = Decimal(value.strip()[:-1].strip())
    except InvalidOperation:
        raise ValueError(f"expected a percentage such as '99.9%', got {value!r}") from None
    if not Decimal(0) <= number <= Decimal(100):
        raise ValueError(f"a percentage must lie between 0% and 100%, got {value!r}")
    return number


def format_percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


@dataclass(frozen=True)
class Period:
    """The span a target is judged over: a month, quarter, year, week, or rolling N days."""

    kind: Literal["week", "month", "quarter", "year", "rolling"]
    days: int = 0

    def __str__(self) -> str:
        return f"rolling {self.days} days" if self.kind == "rolling" else self.kind


_ROLLING = re.compile(r"^rolling\s+(\d+)\s+days?$", re.IGNORECASE)


def parse_period(value: Any) -> Period:
    if isinstance(value, Period):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else ""
    aliases = {"monthly": "month", "quarterly": "quarter", "yearly": "year", "annual": "year"}
    text = aliases.get(text, text)
    if text in ("week", "month", "quarter", "year"):
        return Period(text)  # type: ignore[arg-type]
    rolling = _ROLLING.match(text)
    if rolling and int(rolling.group(1)) > 0:
        return Period("rolling", int(rolling.group(1)))
    raise ValueError(
        f"expected a period: week, month, quarter, year or 'rolling N days', got {value!r}"
    )


@dataclass(frozen=True)
class Bound:
    """A limit on a measured quantity: ``>= 200``, ``at least 20 Mbit/s``, ``<= 50 ms``."""

    comparator: Literal[">=", ">", "<=", "<", "=="]
    value: Decimal
    unit: str = ""

    def __str__(self) -> str:
        return f"{self.comparator} {self.value.normalize():f}" + (
            f" {self.unit}" if self.unit else ""
        )

    def holds(self, measured: Decimal) -> bool:
        """Whether a measured value satisfies the bound (exact decimal comparison)."""
        return {
            ">=": measured >= self.value,
            ">": measured > self.value,
            "<=": measured <= self.value,
            "<": measured < self.value,
            "==": measured == self.value,
        }[self.comparator]


_BOUND = re.compile(
    r"^(>=|<=|==|>|<|at least|at most|more than|less than|exactly)\s*(-?\d+(?:\.\d+)?)\s*(.*)$",
    re.IGNORECASE,
)
_WORDS = {"at least": ">=", "at most": "<=", "more than": ">", "less than": "<", "exactly": "=="}


def parse_bound(value: Any) -> Bound:
    if isinstance(value, Bound):
        return value
    match = _BOUND.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            f"expected a bound such as '>= 200', 'at least 20 Mbit/s' or '<= 50 ms', got {value!r}"
        )
    word, number, unit = match.groups()
    comparator = _WORDS.get(word.lower(), word)
    return Bound(comparator, Decimal(number), unit.strip())  # type: ignore[arg-type]


def parse_target(value: Any) -> Decimal | Bound:
    """A target: a percentage ('99.9%') of items or time, or a bound ('>= 200')."""
    if isinstance(value, Decimal | Bound):
        return value
    if isinstance(value, str) and value.strip().endswith("%"):
        return parse_percent(value)
    if isinstance(value, str) and _BOUND.match(value.strip()):
        return parse_bound(value)
    hint = f"; write '{value}%'" if isinstance(value, int | float) and 0 < value <= 100 else ""
    raise ValueError(f"expected a target such as '99.9%' or '>= 200', got {value!r}{hint}")


def format_target(value: Decimal | Bound) -> str:
    return format_percent(value) if isinstance(value, Decimal) else str(value)


def parse_condition(value: Any) -> Bound | str:
    """A filter value: a bound ('>= 60') or an exact value ('qualified')."""
    if isinstance(value, Bound):
        return value
    if isinstance(value, str) and _BOUND.match(value.strip()):
        return parse_bound(value)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a value or a bound such as '>= 60', got {value!r}")


def _schema(pattern: str, description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "description": description})


DurationText = Annotated[
    Duration,
    BeforeValidator(parse_duration),
    PlainSerializer(str, return_type=str),
    _schema(
        r"^(\d+(\.\d+)?\s*[wdhms]\s*)+$|^\d+\s+business\s+days?$",
        "A duration: '30m', '1h', '4h30m' (business time) or '3 business days'.",
    ),
]
PercentText = Annotated[
    Decimal,
    BeforeValidator(parse_percent),
    PlainSerializer(format_percent, return_type=str),
    _schema(r"^\d+(\.\d+)?\s*%$", "A percentage such as '99.9%'."),
]
PeriodText = Annotated[
    Period,
    BeforeValidator(parse_period),
    PlainSerializer(str, return_type=str),
    _schema(
        r"^(week|month|quarter|year|monthly|quarterly|yearly|rolling \d+ days?)$",
        "week, month, quarter, year or 'rolling N days'.",
    ),
]
BoundText = Annotated[
    Bound,
    BeforeValidator(parse_bound),
    PlainSerializer(str, return_type=str),
    _schema(
        r"^(>=|<=|==|>|<|at least|at most|more than|less than|exactly)\s*-?\d",
        "A bound such as '>= 200', 'at least 20 Mbit/s' or '<= 50 ms'.",
    ),
]
TargetText = Annotated[
    Decimal | Bound,
    BeforeValidator(parse_target),
    PlainSerializer(format_target, return_type=str),
    WithJsonSchema({"type": "string", "description": "A target: '99.9%' or a bound '>= 200'."}),
]
ConditionText = Annotated[
    Bound | str,
    BeforeValidator(parse_condition),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "description": "A value, or a bound such as '>= 60'."}),
]
