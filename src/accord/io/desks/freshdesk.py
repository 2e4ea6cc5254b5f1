"""Freshdesk: the ticket activities export, and tickets with their due dates and stats.

The shapes read are those of Freshdesk's API v2 reference (https://developers.freshdesk.com/api/):

* Ticket activities export, ``GET /api/v2/export/ticket_activities?created_at=YYYY-MM-DD``,
  whose answer links a JSON file: ``{"activities_data": [{"ticket_id", "performer_id",
  "performer_type": "agent" | "user" | ..., "performed_at", "activity": {"new_ticket": true,
  "status", "priority", "group", "agent_id", "note": {"id", "type"}, ...}}]}``.
* Tickets, ``GET /api/v2/tickets/{id}?include=stats`` (or the list): ``{"id", "created_at",
  "fr_due_by", "due_by", "stats": {"first_responded_at", "resolved_at", "closed_at"}}``: the
  desk's deadlines, whence its verdicts (first response by ``fr_due_by``, resolution by
  ``due_by``, which Freshdesk moves on while a ticket waits).

What the export does not say is read thus, and said in the summary when it matters: a note by a
``user`` (the requester or a contact) is the customer's message; an agent's is a public message
unless it is private. Whether it is private: the note's ``"private"`` when the export gives it;
otherwise its ``type``, which is the conversation's ``source`` of the API reference
(Conversations: 0 Reply, 2 Note, 5 Created from tweets, 6 Created from survey feedback, 7
Created from Facebook post, 8 Created from Forwarded Email, 9 Created from Phone, 10 Created
from Mobihelp, 11 E-Commerce). Source 2 says *note*, not *private*: the reference makes
privacy a separate field (``private``, "Set to true if the note is private", true by default
when a note is added), and Freshworks' developer documentation counts public notes as
responses ("Replies and public notes are considered as responses": App SDK,
``onConversationCreate``, https://developers.freshworks.com/docs/app-sdk/v2.3/freshdesk/
serverless-apps/product-events/onconversation/). So a note (2) without ``"private"`` is taken
as private, Freshdesk's default, and counted (``note taken as private``); one that says
``"private": false`` is a public response. Adjust ``--statuses`` for the workflow's own
statuses (Freshdesk lets an account add them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
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
    Verdict,
    register,
    status_map,
)
from accord.io.desks.records import (
    Gathering,
    file_of,
    in_order,
    json_documents,
    meaning_of,
    status_change_kind,
)

FIELDS: Mapping[str, str] = {
    "status": "status",
    "priority": "priority",
    "group": "group",
    "agent_id": "assignee",
    "responder_id": "assignee",
    "ticket_type": "type",
}
CUSTOMERS = ("user", "contact", "requester", "customer")
NOTE = "2"
"""The conversation source of a note (the API reference's Conversations: 0 Reply, 2 Note, ...),
private unless it says otherwise."""
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2}|UTC|GMT)$")
"""The end of an instant that states its offset."""
FORMATS = ("%d-%m-%Y %H:%M:%S %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S %Z")


@register
class Freshdesk(Source):
    name: ClassVar[str] = "freshdesk"
    title: ClassVar[str] = "Freshdesk"
    fields: ClassVar[tuple[str, ...]] = ("status", "priority", "group", "assignee", "type")
    statuses = status_map(
        [
            ("Open", "open"),
            ("Pending", "waiting_on_customer"),
            ("Waiting on Customer", "waiting_on_customer"),
            ("Waiting on Third Party", "waiting_on_third_party"),
            ("Resolved", "resolved"),
            ("Closed", "closed"),
        ],
        "freshdesk",
    )

    def read(self, files: Sequence[Path], context: Context) -> Iterator[TicketEvent | Verdict]:
        # times carry their offset; a zone given is only used for any that do not
        instants = Instants(FORMATS, context.zone or UTC, context)  # type: ignore[arg-type]
        gathered = Gathering()
        for file in files:
            for where, page in json_documents(file, context):
                if isinstance(page.get("activities_data"), list):
                    for index, item in enumerate(page["activities_data"]):
                        place = f"{where}:activities_data[{index}]"
                        if item.get("ticket_id") is None:
                            raise DeskError(f"{place}: no 'ticket_id'")
                        gathered.add(str(item["ticket_id"]), {"activity": item, "where": place})
                elif "fr_due_by" in page or "due_by" in page:
                    if page.get("id") is None:
                        raise DeskError(f"{where}: a ticket without its 'id'")
                    gathered.add(str(page["id"]), {"ticket": page, "where": where})
                else:
                    raise DeskError(
                        f"{where}: not a Freshdesk page; expected the activities export "
                        "('activities_data') or a ticket ('id', 'due_by', 'fr_due_by')"
                    )
        for tid, records in gathered.tickets():
            yield from _ticket(tid, records, context, instants)


def _ticket(
    tid: str, records: list[dict[str, Any]], context: Context, instants: Instants
) -> Iterator[TicketEvent | Verdict]:
    def at(text: Any, where: str, key: str) -> datetime:
        if not isinstance(text, str) or not text:
            raise DeskError(f"{where}:{key}: no instant")
        moment = instants.parse(text, where, None, key, file_of(where))
        if context.zone is None and not _OFFSET.search(text.strip()):
            context.require_zone(f"{where}:{key}: {text!r}")  # never taken as UTC silently
        return moment.astimezone(UTC)

    ticket = next((r for r in reversed(records) if "ticket" in r), None)
    seen: set[str] = set()
    activities = []
    for record in records:
        if "activity" not in record:
            continue
        item = record["activity"]
        key = repr((item.get("performed_at"), item.get("performer_id"),
                    sorted(map(str, (item.get("activity") or {}).items()))))  # fmt: skip
        if key in seen:
            context.warn("duplicate activity", record["where"], "read twice: skipped")
            continue
        seen.add(key)
        activities.append((at(item.get("performed_at"), record["where"], "performed_at"), record))
    activities.sort(key=lambda a: a[0])
    created: datetime | None = None
    if ticket is not None and ticket["ticket"].get("created_at"):
        created = at(ticket["ticket"]["created_at"], ticket["where"], "created_at")
    opening = next((a for a in activities if (a[1]["activity"].get("activity") or {})
                    .get("new_ticket")), None)  # fmt: skip
    if created is None and opening is not None:
        created = opening[0]
    if created is None:
        context.warn(
            "ticket without its creation",
            records[0]["where"],
            f"ticket {tid}: neither its 'new_ticket' activity nor the ticket was given: skipped",
        )
        return
    opening_record = None if opening is None else opening[1]
    fields: dict[str, str] = {}
    created_fields: dict[str, str] = {}
    meaning: Meaning | None = None
    events: list[tuple[datetime, int, TicketEvent]] = []
    for moment, record in activities:
        item, where = record["activity"], record["where"]
        change = item.get("activity") or {}
        moment = max(moment, created)
        changed: dict[str, str] = {}
        kind: EventKind = "updated"
        for key, field in FIELDS.items():
            if change.get(key) in (None, ""):
                continue
            value = str(change[key])
            if field == "status":
                after = meaning_of(context, value)
                value = context.status(value, f"{where}:activity.status")
                kind = status_change_kind(meaning, after)
                meaning = after
            if fields.get(field) != value:
                changed[field] = value
        fields.update(changed)
        if record is opening_record:  # its note is the request's own text
            created_fields = dict(changed)
            continue
        note = change.get("note")
        if isinstance(note, Mapping):
            performer = str(item.get("performer_type", "")).lower()
            role: Role = "customer" if performer in CUSTOMERS else "agent"
            private = _private(note, role, where, context)
            note_id = f"{tid}:note:{note.get('id', where)}"
            events.append(
                (moment, 1, TicketEvent(note_id, tid, moment, "comment", {}, role, not private))
            )
        if changed:
            events.append((moment, 2, TicketEvent(f"{tid}:{where}", tid, moment, kind, changed)))
    if opening_record is None:
        context.warn(
            "opening not in the export",
            records[0]["where"],
            f"ticket {tid}: its 'new_ticket' activity is not among the files: its fields at "
            "creation are unknown (the export covers days; add the day it was opened)",
        )
    timeline = [
        (created, 0, TicketEvent(f"{tid}:created", tid, created, "created", created_fields)),
        *events,
    ]
    yield from in_order(timeline)
    if ticket is not None:
        yield from _verdicts(tid, ticket["ticket"], ticket["where"], created, at)


def _private(note: Mapping[str, Any], role: Role, where: str, context: Context) -> bool:
    """Whether a note is private: as it says, else by its source (see the module's text)."""
    said = note.get("private")
    if isinstance(said, bool):
        return said
    if role == "agent" and str(note.get("type")) == NOTE:
        context.warn(
            "note taken as private",
            f"{where}:activity.note",
            "a note (source 2) that does not say whether it is private: taken as private, "
            "Freshdesk's default for notes",
        )
        return True
    return False


def _verdicts(
    tid: str, row: Mapping[str, Any], where: str, created: datetime, at: Any
) -> Iterator[Verdict]:
    stats = row.get("stats") or {}
    for metric, due_key, done_keys in (
        ("first_response", "fr_due_by", ("first_responded_at",)),
        ("resolution", "due_by", ("resolved_at", "closed_at")),
    ):
        if not row.get(due_key):
            continue
        due = at(row[due_key], where, due_key)
        done_text = next((stats[k] for k in done_keys if stats.get(k)), None)
        done = None if done_text is None else at(done_text, where, "stats")
        outcome: Outcome = "running" if done is None else ("met" if done <= due else "breached")
        yield Verdict(tid, metric, outcome, done, where, target=due - created,
                      elapsed=None if done is None else done - created,
                      note=f"due by {due:%Y-%m-%d %H:%M} UTC")  # fmt: skip
