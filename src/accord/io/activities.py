"""Activity logs: one row per activity of a case, as most ticket histories and process-mining
exports (CSV, Parquet, XES) have them, read through a mapping of ``kind: activities``.

Each activity's name is looked up in the mapping's ``activities``, which says what it means for
the clocks, and becomes a ticket event:

* ``created``: the ticket's creation (a case is created at its first activity whatever that
  means; a ``created`` activity later than that is an error);
* ``agent_reply`` and ``customer_message``: a public comment by an agent, by the customer;
* ``resolved``, ``reopened``, ``closed``: those events;
* ``update``: a change of the ticket's fields only (its status, assignee, case attributes);
* ``{pause: REASON}``: the ticket waits (its ``waiting`` field is the reason) until the next
  activity, or with ``until`` until one of the activities named; a ``resume``, a resolution,
  reopening or closure, or another pause ends it too;
* ``ignore``: the row is left out, as rows that the mapping's ``ignore`` filters are.

Every event carries the ticket's fields as they stand after it: ``status`` (the activity's
name), ``assignee`` (the activity's resource, when the mapping names a ``resource`` column and
the activity is not the customer's), ``waiting`` (a pause's reason, else ``no``) and the case
attributes of the mapping's ``fields``. An agreement pauses its clocks on ``waiting``:
``pause: [{when: {waiting: [customer]}, reason: customer}]``.

Activities of a case at one instant are applied in the source's order (the mapping's ``order``
column, else the row's number), a ``created`` one first.

The rows come from any source that yields a dict of column to value per row
(:func:`activity_events` takes them numbered): CSV, JSON Lines and Parquet through
:func:`accord.io.tickets.read_events`; an XES log's events as its reader yields them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.core.clocks import EventKind, Role, TicketEvent
from accord.io.mapping import ColumnMapping, Pause
from accord.io.tickets import TicketLogError, _instant, _order, _value

WAITING = "waiting"
"""The field a pause sets to its reason (customer, third_party, provider, other)."""
NOT_WAITING = "no"
"""The ``waiting`` field's value when the ticket waits on nobody."""
ENDS_PAUSES = frozenset({"resume", "resolved", "reopened", "closed"})
"""Meanings that end a pause whatever its ``until``."""
_KINDS: dict[str, EventKind] = {
    "created": "created",
    "agent_reply": "comment",
    "customer_message": "comment",
    "update": "updated",
    "resume": "updated",
    "resolved": "resolved",
    "reopened": "reopened",
    "closed": "closed",
}
_AUTHORS: dict[str, Role] = {"agent_reply": "agent", "customer_message": "customer"}
_SHOWN = 10  # unmapped activities listed in an error


@dataclass(frozen=True, slots=True)
class _Activity:
    """One kept row of a case: where it is, when, in which place, what it is and sets."""

    number: int
    at: datetime
    rank: float
    name: str
    meaning: str | Pause
    fields: dict[str, str]


def activity_events(
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    mapping: ColumnMapping,
    source: str,
    place: Callable[[int], str] | None = None,
) -> list[TicketEvent]:
    """The ticket events of an activity log's rows, each a dict of column to value numbered
    from its source (a line, a row, an XES event's ordinal), untranslated: the mapping's
    ``ignore`` and ``values`` are applied here. ``place`` names a row in errors (by default
    ``source:number``, as a file's line).

    An XES log is read with ``activity_events(enumerate(iter_xes_rows(path), 1), mapping,
    str(path), lambda n: f"{path}: event {n}")``."""
    where = place or (lambda number: f"{source}:{number}")
    cases: dict[str, list[_Activity]] = {}
    unmapped: Counter[str] = Counter()
    first_unmapped: dict[str, int] = {}
    for number, raw in rows:
        row = mapping.translate(dict(raw))
        if row is None:
            continue
        here = where(number)
        name = _text(_value(row, mapping.activity, here))
        meaning = mapping.activities.get(name)
        if meaning is None:
            if mapping.other == "error":
                unmapped[name] += 1
                first_unmapped.setdefault(name, number)
            continue
        if meaning == "ignore":
            continue
        case = _text(_value(row, mapping.ticket, here))
        at = _instant(_value(row, mapping.at, here), mapping.at, mapping, here)
        fields = {
            field: _text(row[column])
            for field, column in mapping.fields.items()
            if row.get(column) is not None
        }
        fields["status"] = name
        resource = None if mapping.resource is None else row.get(mapping.resource)
        if resource is not None and meaning != "customer_message":
            fields["assignee"] = _text(resource)
        rank = _order(number, row, mapping, source)
        cases.setdefault(case, []).append(_Activity(number, at, rank, name, meaning, fields))
    if unmapped:
        raise TicketLogError(_unmapped(unmapped, first_unmapped, mapping, source, where))
    events: list[TicketEvent] = []
    for case, activities in cases.items():
        events.extend(_case_events(case, activities, where))
    return events


def _case_events(
    case: str, activities: list[_Activity], where: Callable[[int], str]
) -> list[TicketEvent]:
    """A case's events: created at its first activity, then one event per activity in order,
    each carrying the fields it changed (the first, all of them); an event's position is its
    activity's place in that order."""
    activities.sort(key=lambda a: (a.at, a.meaning != "created", a.rank, a.number))
    first = activities[0]
    state: dict[str, str] = {}
    waiting: Pause | None = None
    events: list[TicketEvent] = []
    for place, activity in enumerate(activities):
        meaning = activity.meaning
        if isinstance(meaning, Pause):
            waiting = meaning
        elif waiting is not None and (
            not waiting.until or activity.name in waiting.until or meaning in ENDS_PAUSES
        ):
            waiting = None
        fields = {**activity.fields, WAITING: waiting.pause if waiting else NOT_WAITING}
        changed = {k: v for k, v in fields.items() if state.get(k) != v}
        state.update(fields)
        event_id = f"{case}:{activity.number}"
        if activity is first:
            if meaning != "created":  # the case begins here: its creation, then the activity
                events.append(
                    TicketEvent(
                        f"{event_id}:created", case, activity.at, "created", dict(state),
                        position=place,
                    )
                )  # fmt: skip
                changed = {}
            else:
                changed = dict(state)
        elif meaning == "created":
            if activity.at == first.at:  # the creation given twice
                meaning = "update"
            else:
                raise TicketLogError(
                    f"{where(activity.number)}: case {case!r}: activity {activity.name!r} means "
                    f"created, but the case began earlier, at {where(first.number)} "
                    f"({first.at.isoformat()}); a case is created once: map {activity.name!r} "
                    "to update, or ignore it"
                )
        kind = "updated" if isinstance(meaning, Pause) else _KINDS[meaning]
        if kind == "updated" and not changed:
            continue  # nothing changes: no event
        events.append(
            TicketEvent(
                event_id,
                case,
                activity.at,
                kind,
                changed,
                author=_AUTHORS.get(meaning) if isinstance(meaning, str) else None,
                position=place,
            )
        )
    return events


def _unmapped(
    counts: Counter[str],
    first: Mapping[str, int],
    mapping: ColumnMapping,
    source: str,
    where: Callable[[int], str],
) -> str:
    listed = ", ".join(
        f"{name!r} ({count} row{'s' if count > 1 else ''}, first at {where(first[name])})"
        for name, count in counts.most_common(_SHOWN)
    )
    more = f" and {len(counts) - _SHOWN} more" if len(counts) > _SHOWN else ""
    return (
        f"{source}: {len(counts)} activit{'ies' if len(counts) > 1 else 'y'} of column "
        f"{mapping.activity!r} not in the mapping's activities: {listed}{more}; give each its "
        "meaning under `activities:` (created, agent_reply, customer_message, update, resume, "
        "resolved, reopened, closed, ignore, or {pause: REASON}), or write `other: ignore`"
    )


def _text(value: Any) -> str:
    """A cell as text: an instant in ISO 8601, anything else as ``str`` writes it."""
    return value.isoformat() if isinstance(value, datetime) else str(value)
