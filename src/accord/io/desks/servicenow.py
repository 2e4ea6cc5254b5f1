"""ServiceNow: the incident audit export (one row per update of an incident, every field's value
after it) and, when given, ``task_sla`` records; ``made_sla`` and ``has_breached`` kept as the
desk's verdicts.

Shapes, from ServiceNow's published references:

* the **incident** table's columns as an audit export writes them (``number``,
  ``incident_state``, ``sys_mod_count``, ``made_sla``, ``opened_at``, ``sys_updated_at``,
  ``priority``, ``assignment_group``...), as in the UCI "Incident management process enriched
  event log" (Amaral, Fantinato, Peres 2018) taken from a ServiceNow instance's audit system;
  dates ``DD-MM-YYYY HH:MM`` or ``d/m/YYYY HH:MM``, ``?`` for no value, no time zone;
* the **Sys Audit [sys_audit]** table (ServiceNow docs, Platform security, "Viewing Sys Audit
  and Audit Relationship Change tables", c_UnderstandingTheSysAuditTable:
  https://www.servicenow.com/docs/r/platform-security/c_UnderstandingTheSysAuditTable.html;
  columns as the Table API ``GET /api/now/table/sys_audit`` returns them): one row per field
  changed, ``tablename``, ``documentkey`` (the record's sys_id), ``fieldname``, ``oldvalue``,
  ``newvalue`` (raw values: a choice's value, a reference's sys_id, dates in UTC as stored),
  ``user``, ``sys_created_on``, ``record_checkpoint`` (the record's update count); the
  insert's rows (empty ``oldvalue``) give the opening fields. Raw choice values are read as a
  base instance's choices: ``incident_state``/``state`` 1 New, 2 In Progress, 3 On Hold, 6
  Resolved, 7 Closed, 8 Canceled (in the status map written out, to adjust: the Table API
  reference's own example filters ``state=7`` for closed), ``priority`` 1-5 as ``1 -
  Critical`` ... ``5 - Planning`` and ``impact``/``urgency`` 1-3 as ``1 - High`` ... ``3 -
  Low``, the labels an incident export writes;
* the **Task SLA [task_sla]** table (ServiceNow docs, Service Level Management reference, "Task
  SLA table", r_TaskSLATable: https://www.servicenow.com/docs/r/it-service-management/
  service-level-management/r_TaskSLATable.html; columns as the Table API
  ``GET /api/now/table/task_sla`` returns them): ``task`` (the incident's number when exported
  with display values), ``sla`` (the SLA definition's name), ``stage`` (``in_progress``,
  ``paused``, ``completed``, ``cancelled``; ``breached`` with the 2010 engine),
  ``has_breached``, ``start_time``, ``end_time`` (stop time), ``planned_end_time`` (breach
  time), ``business_duration`` and ``pause_duration`` (glide durations: ``1970-01-01
  HH:MM:SS`` counted from the epoch, or seconds).

Each incident becomes a ``created`` event at its opening (or its first update, if earlier) with
its fields, then an ``updated`` event per row that changes a field, as
:func:`accord.io.tickets.read_events` reads the export through
``examples/servicenow/mapping.yaml``. The rows need not be sorted: they are gathered by
incident (:class:`accord.io.desks.records.Gathering`, in memory up to
``IN_MEMORY * ROWS_PER_RECORD`` rows, then in bucket files on disk), so an export in any row
order, or an incident's rows split over several files, imports as the sorted export does.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accord.core.clocks import TicketEvent
from accord.io.desks import records
from accord.io.desks.base import (
    Context,
    DeskError,
    Instants,
    Meaning,
    Outcome,
    Source,
    StatusEntry,
    StatusMap,
    Verdict,
    register,
    status_map,
    text_files,
)
from accord.io.desks.records import Gathering

FORMATS = ("%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S")
"""The sample's dates, the full log's (day and month unpadded: strptime reads both), and the
Table API's."""
MISSING = ("?", "")
FIELDS = {  # Accord's ticket field: the incident's column
    "status": "incident_state",
    "priority": "priority",
    "impact": "impact",
    "urgency": "urgency",
    "team": "assignment_group",
    "assignee": "assigned_to",
    "category": "category",
    "location": "location",
    "contact": "contact_type",
}
INCIDENT = ("number", "incident_state", "sys_updated_at")
KEPT = (
    "sys_updated_at",
    "sys_mod_count",
    "opened_at",
    "made_sla",
    *dict.fromkeys(FIELDS.values()),
)
"""The columns an incident's rows are gathered with (the rest of a row is not read)."""
KEPT_AT = {column: i for i, column in enumerate(KEPT)}
FIELD_AT = [(key, KEPT_AT[column]) for key, column in FIELDS.items()]
ROWS_PER_RECORD = 4
"""A gathered row (about 350 bytes: ``KEPT`` joined, its place, a hash) is a quarter of a JSON
desk's record or less: four rows are held for each record a JSON desk holds, so that the full
published log (141,712 rows, 47 MB gathered) is gathered without spilling."""
SEPARATOR = "\x00"
"""Joins a gathered row's values (the csv module refuses a NUL in a row, so none holds one)."""
TASK_SLA = ("task", "sla", "stage", "has_breached")
SYS_AUDIT = ("documentkey", "fieldname", "newvalue", "sys_created_on")
AUDITED = ("sys_created_on", "record_checkpoint", "tablename", "fieldname", "oldvalue", "newvalue")
"""The columns a sys_audit row is gathered with, in this order."""
AUDIT_FIELDS = frozenset({"number", "opened_at", "made_sla", "state", *KEPT})
"""The incident fields whose audit rows are read (``state`` stands in for ``incident_state``
where the incident has no row of its own)."""
CHOICES = {
    "priority": {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low",
                 "5": "5 - Planning"},
    "impact": {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"},
    "urgency": {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"},
}  # fmt: skip
"""Raw choice values, as sys_audit stores them, written as the labels an export shows."""
STATE_CODES: tuple[tuple[str, str, Meaning], ...] = (
    ("1", "New", "open"),
    ("2", "In Progress", "open"),
    ("3", "On Hold", "waiting_on_customer"),
    ("6", "Resolved", "resolved"),
    ("7", "Closed", "closed"),
    ("8", "Canceled", "closed"),
)
"""A base instance's incident state values (sys_audit's raw values) and what they mean."""
PROGRESS_ROWS = 2048


@register
class ServiceNow(Source):
    name = "servicenow"
    title = "ServiceNow incidents (audit export) and task SLAs"
    fields = tuple(FIELDS)
    statuses = status_map(
        [
            ("New", "open"),
            ("Active", "open"),
            ("Awaiting User Info", "waiting_on_customer"),
            ("Awaiting Evidence", "waiting_on_customer"),
            ("Awaiting Vendor", "waiting_on_third_party"),
            ("Awaiting Problem", "waiting_on_third_party"),
            ("On Hold", "waiting_on_customer"),
            ("In Progress", "open"),
            ("Resolved", "resolved"),
            ("Closed", "closed"),
            ("Canceled", "closed"),
        ],
        "servicenow",
    )
    statuses = StatusMap(
        statuses.source,
        {
            **statuses.entries,
            **{code: StatusEntry(name, means) for code, name, means in STATE_CODES},
        },
    )

    def read(self, files: Sequence[Path], context: Context) -> Iterator[TicketEvent | Verdict]:
        zone = context.require_zone(", ".join(map(str, files)))
        instants = Instants(FORMATS, zone, context)
        # an export need not keep an incident's rows together
        gathered = Gathering(held=records.IN_MEMORY * ROWS_PER_RECORD)
        audited = Gathering(held=records.IN_MEMORY * ROWS_PER_RECORD)
        names: list[str] = []
        for file in files:
            for name, text in text_files(file):
                reader = csv.reader(_counted(text, context))
                header = next(reader, [])
                if set(TASK_SLA) <= set(header):
                    yield from _task_slas(reader, _Columns(header), name, instants, context)
                    continue
                if set(SYS_AUDIT) <= set(header):
                    names.append(name)
                    _gather_audit(reader, header, len(names) - 1, audited)
                    continue
                absent = [c for c in INCIDENT if c not in header]
                if absent:
                    raise DeskError(
                        f"{name}:1: neither an incident export (no column "
                        f"{', '.join(map(repr, absent))}), sys_audit rows (columns "
                        f"{', '.join(SYS_AUDIT)}) nor task_sla records (columns "
                        f"{', '.join(TASK_SLA)}); its columns are {', '.join(header[:12])}"
                    )
                names.append(name)
                _gather(reader, header, name, len(names) - 1, gathered, context)
        for number, found in gathered.tickets():
            yield from _incident(number, found, names, instants, context)
        for key, rows in audited.tickets():
            number, snapshots = _snapshots(key, rows, names, instants, context)
            if snapshots:
                yield from _incident(number, snapshots, names, instants, context)


def _counted(text: Iterable[str], context: Context) -> Iterator[str]:
    """The lines, their characters reported as progress every few thousand lines."""
    done = 0
    for count, line in enumerate(text, 1):
        done += len(line)
        if count % PROGRESS_ROWS == 0:
            context.advance(done)
            done = 0
        yield line
    context.advance(done)


Row = list[str]


def _value(row: Row, column: str) -> str | None:
    """A gathered row's value in a column of ``KEPT`` (None when missing)."""
    value = row[KEPT_AT[column]]
    return None if value in MISSING else value


class _Columns:
    """A file's header: where each column is, and a row's value in it (None when missing)."""

    def __init__(self, header: Sequence[str]) -> None:
        self.index = {name: i for i, name in enumerate(header)}

    def value(self, row: Row, column: str) -> str | None:
        at = self.index.get(column)
        if at is None or at >= len(row):
            return None
        value = row[at]
        return None if value in MISSING else value


def _gather(
    reader: Iterator[Row],
    header: Sequence[str],
    name: str,
    file: int,
    gathered: Gathering,
    context: Context,
) -> None:
    """Each row of an incident export into ``gathered`` by its incident: the columns an
    import reads (``KEPT``, in that order, whatever the file's own order), where it came from,
    and a hash of the whole row (a duplicate is the whole row again)."""
    index = {column: i for i, column in enumerate(header)}
    number_at = index["number"]
    picks = [index.get(column, -1) for column in KEPT]
    width = len(header)
    for row in reader:
        if number_at >= len(row) or row[number_at] in MISSING:
            if not any(row):
                continue  # a blank line
            line = reader.line_num  # type: ignore[attr-defined]
            context.warn("missing incident number", f"{name}:{line}:number", "row skipped")
            continue
        if len(row) >= width:
            kept = [row[i] if i >= 0 else "" for i in picks]
        else:
            kept = [row[i] if 0 <= i < len(row) else "" for i in picks]
        line = reader.line_num  # type: ignore[attr-defined]
        gathered.add(row[number_at], (file, line, hash(tuple(row)), SEPARATOR.join(kept)))


def _incident(
    number: str,
    found: list[tuple[int, int, int, str]],
    names: Sequence[str],
    instants: Instants,
    context: Context,
) -> Iterator[TicketEvent | Verdict]:
    updates: list[tuple[datetime, float, tuple[int, int], Row]] = []
    seen: set[tuple[int, str]] = set()
    files = {record[0] for record in found}
    for file, line, whole, kept in found:
        name = names[file]
        if (whole, kept) in seen:
            context.warn(
                "duplicate row",
                f"{name}:{line}",
                f"the same as an earlier row of {number}: skipped",
            )
            continue
        seen.add((whole, kept))
        row = kept.split(SEPARATOR)
        text = _value(row, "sys_updated_at")
        if text is None:
            context.warn(
                "missing timestamp",
                f"{name}:{line}:sys_updated_at",
                f"an update of {number} without its time: skipped",
            )
            continue
        at = instants.parse(text, name, line, "sys_updated_at")
        order = _order(_value(row, "sys_mod_count"), line)
        updates.append((at, order, (file, line), row))
    if not updates:
        return
    in_file = [u[:3] for u in updates]
    updates.sort(key=lambda u: u[:3])
    if [u[:3] for u in updates] != in_file:
        late = next(u for u, f in zip(updates, in_file, strict=True) if u[:3] != f)
        context.warn(
            "rows out of order",
            f"{names[late[2][0]]}:{late[2][1]}",
            f"{number}'s rows are not in time order (sys_updated_at, sys_mod_count): sorted",
        )
    previous: dict[str, str] = {}
    entries = context.statuses.entries
    for index, (at, _, (file, line), row) in enumerate(updates):
        name = names[file]
        fields = {key: row[i] for key, i in FIELD_AT if row[i] not in MISSING}
        status = fields.get("status")
        if status is not None:
            known = entries.get(status)
            if known is not None:  # the usual case, counted without the warning's words
                context.seen[status] += 1
                fields["status"] = known.value
            else:
                fields["status"] = context.status(status, f"{name}:{line}:incident_state")
        if index == 0:
            opened = _value(row, "opened_at")
            if opened is None:
                context.warn(
                    "missing timestamp",
                    f"{name}:{line}:opened_at",
                    f"{number} has no opening time: opened at its first update",
                )
                created = at
            else:
                created = min(at, instants.parse(opened, name, line, "opened_at"))
            yield TicketEvent(f"{number}:created", number, created, "created", fields, position=0)
        else:
            changed = {k: v for k, v in fields.items() if previous.get(k) != v}
            if changed:
                # an incident whose rows come from several files names the file too
                ident = f"{number}:{line}" if len(files) == 1 else f"{number}:{file}:{line}"
                yield TicketEvent(ident, number, at, "updated", changed, position=index)
        previous = fields
    verdict = _made_sla(number, updates, names, context)
    if verdict is not None:
        yield verdict


def _gather_audit(
    reader: Iterator[Row], header: Sequence[str], file: int, gathered: Gathering
) -> None:
    """Each sys_audit row into ``gathered`` by its record (``documentkey``): the columns of
    ``AUDITED``, where it came from, and a hash of the whole row."""
    index = {column: i for i, column in enumerate(header)}
    key_at = index["documentkey"]
    picks = [index.get(column, -1) for column in AUDITED]
    for row in reader:
        if not any(row):
            continue  # a blank line
        line = reader.line_num  # type: ignore[attr-defined]
        key = row[key_at] if key_at < len(row) else ""
        kept = [row[i] if 0 <= i < len(row) else "" for i in picks]
        gathered.add(key, (file, line, hash(tuple(row)), SEPARATOR.join(kept)))


def _snapshots(
    key: str,
    found: list[tuple[int, int, int, str]],
    names: Sequence[str],
    instants: Instants,
    context: Context,
) -> tuple[str, list[tuple[int, int, int, str]]]:
    """One record's sys_audit rows as the rows of an incident export (each field's value after
    every update, an update being the rows of one ``sys_created_on`` and checkpoint), for
    :func:`_incident` to read as it reads an export; the incident's number from its audited
    ``number``, else its sys_id (warned)."""
    rows: list[tuple[datetime, float, int, int, list[str]]] = []
    seen: set[tuple[int, str]] = set()
    for file, line, whole, kept in found:
        where = f"{names[file]}:{line}"
        if (whole, kept) in seen:
            context.warn("duplicate row", where, f"the same as an earlier row of {key}: skipped")
            continue
        seen.add((whole, kept))
        text, checkpoint, table, field, old, new = kept.split(SEPARATOR)
        if not key:
            context.warn("missing incident number", f"{where}:documentkey", "row skipped")
            continue
        if table and table != "incident":
            context.warn("not an incident", f"{where}:tablename", f"a {table} row: skipped")
            continue
        if field not in AUDIT_FIELDS:
            context.warn("field not read", f"{where}:fieldname", f"{field!r}: not an SLA field")
            continue
        if not text:
            context.warn(
                "missing timestamp", f"{where}:sys_created_on", f"a change of {key}: skipped"
            )
            continue
        moment = instants.parse(text, names[file], line, "sys_created_on")
        rows.append((moment, _order(checkpoint or None, line), file, line, [field, old, new]))
    if not rows:
        return key, []
    rows.sort(key=lambda r: r[:4])
    own_state = any(r[4][0] == "incident_state" for r in rows)
    state: dict[str, str] = {}
    firsts: dict[str, str] = {}  # each field's value before its first change
    for *_, (field, old, _) in rows:
        firsts.setdefault(field, old)
    for field, old in firsts.items():
        before = _raw(field, old, instants)
        if before is not None:
            state[_column(field, own_state)] = before
    snapshots: list[tuple[int, int, int, str]] = []
    first_file, first_line = rows[0][2], rows[0][3]
    opening = rows[0][:2]
    if any(r[4][1] not in MISSING for r in rows if r[:2] == opening):
        # the first update changes values set earlier: the insert is not in the export
        context.warn(
            "insert not in the export",
            f"{names[first_file]}:{first_line}",
            f"{key}: opened with the old values of its first changes",
        )
        snapshots.append(_snapshot(state, rows[0][0], -1.0, first_file, first_line, instants))
    group: tuple[datetime, float] | None = None
    place = (first_file, first_line)
    for moment, order, file, line, (field, _, value_text) in rows:
        if group is not None and group != (moment, order):
            snapshots.append(_snapshot(state, *group, *place, instants))
        if group != (moment, order):
            group, place = (moment, order), (file, line)
        value = _raw(field, value_text, instants)
        column = _column(field, own_state)
        if value is None:
            state.pop(column, None)
        elif column != "":
            state[column] = value
    if group is not None:
        snapshots.append(_snapshot(state, *group, *place, instants))
    number = state.get("number")
    if number is None:
        context.warn(
            "incident number not in the export",
            f"{names[first_file]}:{first_line}:documentkey",
            f"{key}: named by its sys_id",
        )
    return number or key, snapshots


def _column(field: str, own_state: bool) -> str:
    """The export's column an audited field stands for ("" for none)."""
    if field == "state":
        return "" if own_state else "incident_state"
    return field


def _raw(field: str, value: str, instants: Instants) -> str | None:
    """An audited value as an incident export writes it: a choice's label, ``opened_at`` (UTC
    as stored) in the export's zone."""
    if value in MISSING:
        return None
    if field in CHOICES:
        return CHOICES[field].get(value, value)
    if field == "opened_at":
        try:
            stored = datetime.strptime(value, FORMATS[2]).replace(tzinfo=UTC)
        except ValueError:
            return value  # read (and refused, naming its place) as the export's own
        return stored.astimezone(instants.zone).strftime(FORMATS[2])
    return value


def _snapshot(
    state: dict[str, str],
    at: datetime,
    checkpoint: float,
    file: int,
    line: int,
    instants: Instants,
) -> tuple[int, int, int, str]:
    """The incident's fields after one update, as a gathered row of an export."""
    values = dict(state)
    values["sys_updated_at"] = at.astimezone(instants.zone).strftime(FORMATS[2])
    values["sys_mod_count"] = repr(checkpoint)
    kept = [values.get(column, "") for column in KEPT]
    return (file, line, hash((line, checkpoint)), SEPARATOR.join(kept))


def _order(value: str | None, line: int) -> float:
    try:
        return float(value) if value is not None else float(line)
    except ValueError:
        return float(line)


def _truth(text: str | None) -> bool | None:
    if text is None:
        return None
    return {"true": True, "false": False, "1": True, "0": False}.get(text.strip().lower())


def _made_sla(
    number: str,
    updates: list[tuple[datetime, float, tuple[int, int], Row]],
    names: Sequence[str],
    context: Context,
) -> Verdict | None:
    """``made_sla`` as the incident's last row has it; when it changed, since which row."""
    values = [(at, place, _truth(_value(row, "made_sla")), row) for at, _, place, row in updates]
    known = [v for v in values if v[2] is not None]
    if not known:
        file, line = values[-1][1]
        context.warn(
            "no verdict", f"{names[file]}:{line}:made_sla", f"{number} has no made_sla value"
        )
        return None
    final = known[-1][2]
    since = len(known) - 1
    while since > 0 and known[since - 1][2] == final:
        since -= 1
    changed_at, (_, changed_line), _, _ = known[since]
    # a miss is decided where it was first said; a success stands as of the last row
    at, (file, line) = (changed_at, known[since][1]) if not final else known[-1][:2]
    last_status = _value(values[-1][3], "incident_state")
    entry = context.statuses.entries.get(last_status or "")
    ended = entry is not None and entry.means in ("resolved", "closed")
    note = ""
    if since > 0:
        note = (
            f"made_sla was {str(not final).upper()} at first, {str(final).upper()} from row "
            f"{changed_line} ({changed_at:%Y-%m-%d %H:%M}) on"
        )
    outcome: Outcome = "breached" if not final else ("met" if ended else "running")
    return Verdict(number, "made_sla", outcome, at, f"{names[file]}:{line}", note=note)


_GLIDE = re.compile(r"^1970-01-(\d\d) (\d\d):(\d\d):(\d\d)$")


def _duration(text: str | None, where: str) -> timedelta | None:
    """A glide duration as the Table API gives it (``1970-01-02 03:00:00`` is 27 hours after
    the epoch) or seconds."""
    if text is None:
        return None
    found = _GLIDE.match(text.strip())
    if found:
        day, hours, minutes, seconds = map(int, found.groups())
        return timedelta(days=day - 1, hours=hours, minutes=minutes, seconds=seconds)
    try:
        return timedelta(seconds=float(text))
    except ValueError:
        raise DeskError(
            f"{where}: {text!r} is not a duration; expected '1970-01-DD HH:MM:SS' (a glide "
            "duration) or seconds"
        ) from None


_STAGES = ("in_progress", "paused", "completed", "cancelled", "breached")


def _task_slas(
    reader: Iterator[Row], columns: _Columns, name: str, instants: Instants, context: Context
) -> Iterator[Verdict]:
    for row in reader:
        line = reader.line_num  # type: ignore[attr-defined]
        if not any(row):
            continue
        where = f"{name}:{line}"
        task, sla = columns.value(row, "task"), columns.value(row, "sla")
        if task is None or sla is None:
            column = "task" if task is None else "sla"
            context.warn("no verdict", f"{where}:{column}", "a task SLA without it: skipped")
            continue
        stage = (columns.value(row, "stage") or "").strip().lower().replace(" ", "_")
        if stage not in _STAGES:
            raise DeskError(f"{where}:stage: {stage!r}; expected one of {', '.join(_STAGES)}")
        if stage == "cancelled":
            context.warn("cancelled task SLA", where, f"{task} {sla!r}: no verdict to compare")
            continue
        breached = _truth(columns.value(row, "has_breached"))
        if breached is None:
            raise DeskError(
                f"{where}:has_breached: {columns.value(row, 'has_breached')!r}; "
                "expected true or false"
            )

        def instant(column: str, row: Row = row, line: int = line) -> datetime | None:
            text = columns.value(row, column)
            return None if text is None else instants.parse(text, name, line, column)

        ended = instant("end_time")
        outcome: Outcome = "breached" if breached or stage == "breached" else "running"
        if outcome == "running" and stage == "completed":
            outcome = "met"
        paused = _duration(columns.value(row, "pause_duration"), f"{where}:pause_duration")
        yield Verdict(
            task,
            sla,
            outcome,
            ended if ended is not None else (instant("planned_end_time") if breached else None),
            where,
            elapsed=_duration(
                columns.value(row, "business_duration"), f"{where}:business_duration"
            ),
            note=f"stage {stage}" + (f", paused {paused}" if paused else ""),
        )
