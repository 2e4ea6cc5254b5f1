"""A set of named calendars, such as an agreement's, some made of others by name.

Each is built once, after the calendars it names, so ``off-hours: {except: prime}`` shares the
``prime`` every objective measured in prime time uses. A name must exist, and no calendar may be
made of itself, directly or through others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from accord.core.calendar.business import BusinessCalendar
from accord.core.calendar.spec import (
    BUILT_IN_CALENDARS,
    CalendarSpec,
    ComposedSpec,
    Path,
    parse_calendar,
)
from accord.core.errors import SpecError, did_you_mean, format_path
from accord.core.graph import path_between

Parsed = CalendarSpec | ComposedSpec


def named_calendars(specs: Mapping[str, Any]) -> dict[str, BusinessCalendar]:
    """The calendars of ``name: mapping`` pairs, and the built-in 24x7.

    The first mistake raises :class:`SpecError` naming the calendar and the key
    (``off-hours.except: unknown calendar 'prme' ...``).
    """
    parsed: dict[str, Parsed] = {}
    for name, spec in specs.items():
        try:
            parsed[name] = parse_calendar(spec)
        except SpecError as error:
            where = f"{name}.{error.where}" if error.where else name
            raise SpecError(where, error.problem) from None
    for path, problem in reference_problems(parsed):
        raise SpecError(format_path(path), problem)
    built: dict[str, BusinessCalendar] = {"24x7": BusinessCalendar.always_open()}

    def build(name: str) -> BusinessCalendar:
        if name not in built:
            spec = parsed[name]
            if isinstance(spec, ComposedSpec):
                for _, other in spec.names():
                    if other in parsed:
                        build(other)
            built[name] = BusinessCalendar.from_parsed(spec, built)
        return built[name]

    return {**{name: build(name) for name in parsed}, "24x7": built["24x7"]}


def reference_problems(
    parsed: Mapping[str, Parsed], defined: Iterable[str] = ()
) -> Iterator[tuple[Path, str]]:
    """Names that are not calendars, and cycles: ``(path from the calendar's name, message)``.

    ``defined`` adds names whose mapping could not be read (its own mistake is reported apart).
    """
    known = sorted({*parsed, *defined, *BUILT_IN_CALENDARS})
    made_of = {
        name: [other for _, other in spec.names()]
        for name, spec in parsed.items()
        if isinstance(spec, ComposedSpec)
    }
    for name, spec in parsed.items():
        if not isinstance(spec, ComposedSpec):
            continue
        for path, other in spec.names():
            if other not in known:
                yield (
                    (name, *path),
                    f"unknown calendar {other!r}{did_you_mean(other, known)}; "
                    f"defined: {', '.join(known)}",
                )
            elif other == name:
                yield (name, *path), f"a calendar cannot be made of itself ({name!r})"
            elif (chain := path_between(made_of, other, name)) is not None:
                yield (
                    (name, *path),
                    f"a cycle: {name} is made of {other}"
                    + "".join(f", which is made of {step}" for step in chain[1:]),
                )
