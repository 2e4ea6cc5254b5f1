"""GLPI: a ticket's log, its followups and requesters, and the ticket rows with GLPI's SLA dates.

The shapes read are those of GLPI's REST API (``apirest.php``, https://github.com/glpi-project/glpi/blob/main/apirest.md)
and of the ``glpi_logs`` table it answers from (glpi-project/glpi ``src/Log.php``):

* ``GET /apirest.php/Ticket/{id}/Log`` (or rows of ``glpi_logs`` exported as CSV with its column
  names): ``{"id", "itemtype": "Ticket", "items_id", "itemtype_link", "linked_action",
  "user_name", "date_mod", "id_search_option", "old_value", "new_value"}``. A field of the ticket's
  own table is logged with its raw value (status 1-6, priority 1-6: search options 12 and 3);
  ``linked_action`` 20 is the ticket's creation.
* ``GET /apirest.php/Ticket/{id}/ITILFollowup``: ``{"id", "itemtype": "Ticket", "items_id",
  "users_id", "date", "is_private"}``; ``GET /apirest.php/Ticket/{id}/Ticket_User``:
  ``{"tickets_id", "users_id", "type"}`` (1 requester, 2 assigned, 3 observer): a followup by a
  requester is the customer's, any other the desk's.
* ``GET /apirest.php/Ticket/{id}`` or ``/apirest.php/Ticket``: ``{"id", "date", "status",
  "priority", "solvedate", "closedate", "time_to_resolve", "time_to_own",
  "takeintoaccount_delay_stat"}``: GLPI's deadlines, whence its verdicts (resolved by
  ``time_to_resolve``; taken into account by ``time_to_own``).

GLPI writes local times without a zone: ``--timezone`` is required.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from accord.core.clocks import EventKind, Role, TicketEvent
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
    text_files,
)
from accord.io.desks.records import (
    Gathering,
    file_of,
    in_order,
    json_documents,
    meaning_of,
    status_change_kind,
)

STATUS_OPTION, PRIORITY_OPTION = "12", "3"
CREATED = "20"  # Log::HISTORY_CREATE_ITEM
PRIORITIES = {"1": "Very low", "2": "Low", "3": "Medium", "4": "High", "5": "Very high",
              "6": "Major"}  # fmt: skip
REQUESTER = "1"
FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


@register
class Glpi(Source):
    name: ClassVar[str] = "glpi"
    title: ClassVar[str] = "GLPI"
    fields: ClassVar[tuple[str, ...]] = ("status", "priority")
    statuses = StatusMap(
        "glpi",
        {
            "1": StatusEntry("New", "open"),
            "2": StatusEntry("Processing (assigned)", "open"),
            "3": StatusEntry("Processing (planned)", "open"),
            "4": StatusEntry("Pending", "waiting_on_customer"),
            "5": StatusEntry("Solved", "resolved"),
            "6": StatusEntry("Closed", "closed"),
        },
    )

    def read(self, files: Sequence[Path], context: Context) -> Iterator[TicketEvent | Verdict]:
        zone = context.require_zone("glpi")
        instants = Instants(FORMATS, zone, context)
        gathered = Gathering()
        for file in files:
            for where, row in _rows(file, context):
                if "id_search_option" in row or "linked_action" in row:
                    if row.get("itemtype", "Ticket") == "Ticket":
                        gathered.add(
                            _required(row, "items_id", where), {"log": row, "where": where}
                        )
                elif "is_private" in row and "users_id" in row:
                    gathered.add(
                        _required(row, "items_id", where), {"followup": row, "where": where}
                    )
                elif "tickets_id" in row and "type" in row and "users_id" in row:
                    gathered.add(
                        _required(row, "tickets_id", where), {"actor": row, "where": where}
                    )
                elif "status" in row and "date" in row and "id" in row:
                    gathered.add(_required(row, "id", where), {"ticket": row, "where": where})
                else:
                    raise DeskError(
                        f"{where}: not a GLPI row; expected a log row ('id_search_option', "
                        "'linked_action'), a followup ('is_private', 'users_id'), a ticket actor "
                        "('tickets_id', 'type') or a ticket ('id', 'date', 'status')"
                    )
        for tid, records in gathered.tickets():
            yield from _ticket(tid, records, context, instants)


def _required(row: Mapping[str, Any], key: str, where: str) -> str:
    value = row.get(key)
    if value in (None, ""):
        raise DeskError(f"{where}:{key}: missing; the row names its ticket by it")
    return str(value)


def _rows(file: Path, context: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    """JSON answers of the API (one or many rows per document), or a CSV of table rows."""
    if file.suffix.lower() in (".csv", ".gz") and not file.name.endswith(".json.gz"):
        for name, text in text_files(file):
            reader = csv.DictReader(text, delimiter=";" if _semicolons(file) else ",")
            for row in reader:
                context.advance(sum(len(v or "") + 1 for v in row.values()))
                yield f"{name}:{reader.line_num}", dict(row)
        return
    yield from json_documents(file, context)


def _semicolons(file: Path) -> bool:
    for _, text in text_files(file):
        first = text.readline()
        return first.count(";") > first.count(",")
    return False


def _text(value: Any) -> str | None:
    return None if value in (None, "", "NULL") else str(value)


def _ticket(
    tid: str, records: list[dict[str, Any]], context: Context, instants: Instants
) -> Iterator[TicketEvent | Verdict]:
    def at(row: Mapping[str, Any], key: str, where: str) -> datetime | None:
        text = _text(row.get(key))
        if text is None:
            return None
        file, _, rest = where.rpartition(":")
        if not rest.isdigit():
            file = where
        moment = instants.parse(
            text, file, int(rest) if rest.isdigit() else None, key, file_of(where)
        )
        return moment.astimezone(UTC)

    ticket = next((r for r in reversed(records) if "ticket" in r), None)
    logs = sorted(
        {str(r["log"].get("id", r["where"])): r for r in records if "log" in r}.values(),
        key=lambda r: (str(r["log"].get("date_mod")), int(r["log"].get("id") or 0)),
    )
    requesters = {
        str(r["actor"]["users_id"]) for r in records
        if "actor" in r and str(r["actor"].get("type")) == REQUESTER
    }  # fmt: skip
    where0 = (ticket or records[0])["where"]
    created: datetime | None = None
    if ticket is not None:
        created = at(ticket["ticket"], "date", ticket["where"])
    if created is None:
        creation = next((r for r in logs if str(r["log"].get("linked_action")) == CREATED), None)
        if creation is not None:
            created = at(creation["log"], "date_mod", creation["where"])
    if created is None:
        context.warn(
            "ticket without its creation",
            where0,
            f"ticket {tid}: neither its row nor its creation in the log was given: skipped",
        )
        return
    changes = [
        r for r in logs
        if str(r["log"].get("linked_action") or "0") == "0"
        and str(r["log"].get("id_search_option")) in (STATUS_OPTION, PRIORITY_OPTION)
    ]  # fmt: skip
    initial: dict[str, str] = {}
    for option, field in ((STATUS_OPTION, "status"), (PRIORITY_OPTION, "priority")):
        first = next((r for r in changes if str(r["log"]["id_search_option"]) == option), None)
        value = _text(first["log"].get("old_value")) if first else None
        if value is None and ticket is not None:
            value = _text(ticket["ticket"].get(field))
        if value is not None:
            initial[field] = value
    meaning: Meaning | None = None
    fields: dict[str, str] = {}
    if "status" in initial:
        meaning = meaning_of(context, initial["status"])
        fields["status"] = context.status(initial["status"], f"{where0}:status")
    if "priority" in initial:
        fields["priority"] = PRIORITIES.get(initial["priority"], initial["priority"])
    timeline: list[tuple[datetime, int, TicketEvent]] = [
        (created, 0, TicketEvent(f"{tid}:created", tid, created, "created", dict(fields)))
    ]
    for record in changes:
        row, where = record["log"], record["where"]
        moment = at(row, "date_mod", where)
        value = _text(row.get("new_value"))
        if moment is None or value is None:
            context.warn("log row without a date or value", where, "skipped")
            continue
        moment = max(moment, created)
        kind: EventKind = "updated"
        if str(row["id_search_option"]) == STATUS_OPTION:
            after = meaning_of(context, value)
            field, value = "status", context.status(value, f"{where}:new_value")
            kind = status_change_kind(meaning, after)
            meaning = after
        else:
            field, value = "priority", PRIORITIES.get(value, value)
        if fields.get(field) == value:
            continue
        fields[field] = value
        timeline.append((moment, 2, TicketEvent(f"{tid}:log:{row.get('id')}", tid, moment, kind,
                                                {field: value})))  # fmt: skip
    followups = {str(r["followup"].get("id", r["where"])): r for r in records if "followup" in r}
    for record in followups.values():
        row, where = record["followup"], record["where"]
        moment = at(row, "date", where)
        if moment is None:
            context.warn("followup without a date", where, "skipped")
            continue
        author = str(row.get("users_id"))
        role: Role = "customer" if author in requesters else "agent"
        if not requesters:
            context.warn(
                "followup author's role guessed",
                where,
                f"ticket {tid}: no Ticket_User rows given, so user {author} is taken as the desk",
            )
        private = str(row.get("is_private")) in ("1", "True", "true")
        moment = max(moment, created)
        timeline.append((moment, 1, TicketEvent(f"{tid}:followup:{row.get('id')}", tid, moment,
                                                "comment", {}, role, not private)))  # fmt: skip
    yield from in_order(timeline)
    if ticket is not None:
        yield from _verdicts(tid, ticket["ticket"], ticket["where"], created, at)


def _verdicts(
    tid: str, row: Mapping[str, Any], where: str, created: datetime, at: Any
) -> Iterator[Verdict]:
    resolve_by = at(row, "time_to_resolve", where)
    if resolve_by is not None:
        done = at(row, "solvedate", where) or at(row, "closedate", where)
        outcome: Outcome = (
            "running" if done is None else ("met" if done <= resolve_by else "breached")
        )
        yield Verdict(tid, "time_to_resolve", outcome, done, where,
                      target=resolve_by - created,
                      elapsed=None if done is None else done - created)  # fmt: skip
    own_by = at(row, "time_to_own", where)
    delay = _text(row.get("takeintoaccount_delay_stat"))
    if own_by is not None:
        taken = None if delay in (None, "0") else created + timedelta(seconds=float(delay))
        outcome = "running" if taken is None else ("met" if taken <= own_by else "breached")
        yield Verdict(tid, "time_to_own", outcome, taken, where, target=own_by - created,
                      elapsed=None if taken is None else taken - created)  # fmt: skip
