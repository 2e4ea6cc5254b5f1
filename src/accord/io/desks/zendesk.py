"""Zendesk Support: ticket audits or incremental ticket events, and ticket metric events.

The shapes read are those of Zendesk's published API reference:

* Ticket Audits, ``GET /api/v2/tickets/{ticket_id}/audits`` (and ``/api/v2/ticket_audits``):
  ``{"audits": [{"id", "ticket_id", "created_at", "author_id", "events": [{"type": "Create" |
  "Change" | "Comment", "field_name", "value", "previous_value", "public", "author_id"}]}],
  "users": [...]}`` with ``include=users`` for the authors' roles.
  https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/
* Incremental Ticket Event Export, ``GET /api/v2/incremental/ticket_events?start_time=...
  &include=comment_events``: ``{"ticket_events": [{"id", "ticket_id", "created_at",
  "updater_id", "child_events": [{"event_type": "Create" | "Change" | "Comment", "<field>":
  value, "previous_value", "public", "author_id"}]}], "end_time", "end_of_stream"}``; a change
  names its field by a key of the child event (``"status": "open"``) or, in some payloads, by
  ``field_name``/``value`` as audits do: both are read.
  https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
* Ticket Metric Events, ``GET /api/v2/incremental/ticket_metric_events?start_time=...``:
  ``{"ticket_metric_events": [{"id", "ticket_id", "metric", "instance_id", "type": "activate" |
  "pause" | "fulfill" | "apply_sla" | "breach" | "update_status" | "measure", "time", "sla":
  {"target", "target_in_seconds", "business_hours", "policy": {"title"}}, "status":
  {"calendar", "business"}, "deleted"}]}``: the desk's own SLA verdicts.
  https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_metric_events/ and
  https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-metric-event-types-reference

Every file given may hold any of these pages (one JSON document, an array of pages, or JSON
Lines); users sideloaded on any page give comment authors' roles (``end-user``: the customer;
``agent``, ``admin``: the desk). An author with no known role is the customer when it is the
ticket's requester, else the desk, with a counted warning.

A verdict is kept for each metric instance an SLA policy applied to (``apply_sla``): breached
when a breach event was recorded and not deleted (Zendesk deletes a scheduled breach the
metric was fulfilled before), met when fulfilled, else running. Metrics without a policy get
activate/fulfill events too: those carry no verdict.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from accord.core.clocks import EventKind, Role, TicketEvent
from accord.io.desks.base import (
    Context,
    DeskError,
    Meaning,
    Outcome,
    Source,
    Verdict,
    register,
    status_map,
)
from accord.io.desks.records import (
    Gathering,
    iso_instant,
    json_documents,
    meaning_of,
    status_change_kind,
)

FIELDS: Mapping[str, str] = {
    "status": "status",
    "priority": "priority",
    "group_id": "group",
    "assignee_id": "assignee",
    "type": "type",
}
"""Zendesk ticket fields imported, and the Accord field each becomes."""
ROLES: Mapping[str, Role] = {"end-user": "customer", "agent": "agent", "admin": "agent"}


def _instant(text: Any, where: str) -> datetime:
    if isinstance(text, int | float) and not isinstance(text, bool):
        return datetime.fromtimestamp(text, tz=UTC)
    return iso_instant(text, where, "Zendesk", "2026-03-01T09:00:00Z")


@register
class Zendesk(Source):
    name: ClassVar[str] = "zendesk"
    title: ClassVar[str] = "Zendesk Support"
    fields: ClassVar[tuple[str, ...]] = tuple(FIELDS.values())
    statuses = status_map(
        [
            ("new", "open"),
            ("open", "open"),
            ("pending", "waiting_on_customer"),
            ("hold", "waiting_on_third_party"),
            ("solved", "resolved"),
            ("closed", "closed"),
        ],
        "zendesk",
    )

    def read(self, files: Sequence[Path], context: Context) -> Iterator[TicketEvent | Verdict]:
        updates, metrics = Gathering(), Gathering()
        roles: dict[str, Role] = {}
        for file in files:
            for where, page in json_documents(file, context):
                known = False
                for user in page.get("users") or ():
                    role = ROLES.get(str(user.get("role")))
                    if role is not None and user.get("id") is not None:
                        roles[str(user["id"])] = role
                for key, normalise in (("audits", _audit), ("ticket_events", _ticket_event)):
                    items = page.get(key)
                    if items is None and key == "audits" and isinstance(page.get("audit"), dict):
                        items = [page["audit"]]
                    if items is None:
                        continue
                    known = True
                    for index, item in enumerate(items):
                        place = f"{where}:{key}[{index}]"
                        if key == "ticket_events" and "metric" in item:  # a metric event page
                            _add_metric(metrics, item, place)
                            continue
                        update = normalise(item, place)
                        if update is not None:
                            updates.add(update["ticket"], update)
                for index, item in enumerate(page.get("ticket_metric_events") or ()):
                    known = True
                    _add_metric(metrics, item, f"{where}:ticket_metric_events[{index}]")
                if "ticket_metric_events" in page:
                    known = True
                if not known and "users" not in page:
                    raise DeskError(
                        f"{where}: not a Zendesk page; expected 'audits', 'ticket_events' or "
                        "'ticket_metric_events' (the API's JSON, saved as it came)"
                    )
        for ticket, records in updates.tickets():
            yield from _events(ticket, records, roles, context)
        for ticket, records in metrics.tickets():
            yield from _verdicts(ticket, records)


def _audit(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    """An audit as an update: ticket, at, author, changes and comments."""
    if item.get("ticket_id") is None:
        raise DeskError(f"{where}: no 'ticket_id'; an audit names its ticket")
    changes, comments, requester = [], [], None
    for index, event in enumerate(item.get("events") or ()):
        kind = event.get("type")
        if kind in ("Create", "Change") and event.get("field_name") == "requester_id":
            requester = _text(event.get("value"))
        elif kind in ("Create", "Change") and event.get("field_name") in FIELDS:
            changes.append([kind, event["field_name"], _text(event.get("value"))])
        elif kind == "Comment":
            comments.append([bool(event.get("public", True)), _text(event.get("author_id")), index])
    return {
        "ticket": str(item["ticket_id"]),
        "id": str(item.get("id", where)),
        "at": _instant(item.get("created_at"), f"{where}:created_at").isoformat(),
        "author": _text(item.get("author_id")),
        "requester": requester,
        "changes": changes,
        "comments": comments,
        "where": where,
    }


def _ticket_event(item: Mapping[str, Any], where: str) -> dict[str, Any] | None:
    """An incremental export's ticket event as an update."""
    if item.get("ticket_id") is None:
        raise DeskError(f"{where}: no 'ticket_id'; a ticket event names its ticket")
    changes, comments, requester = [], [], None
    for index, child in enumerate(item.get("child_events") or ()):
        kind = child.get("event_type") or child.get("type")
        if kind in ("Create", "Change"):
            if "requester_id" in child or child.get("field_name") == "requester_id":
                requester = _text(child.get("requester_id", child.get("value")))
            elif child.get("field_name") in FIELDS:
                changes.append([kind, child["field_name"], _text(child.get("value"))])
            else:
                for name in FIELDS:
                    if name in child:
                        changes.append([kind, name, _text(child[name])])
        elif kind == "Comment" or child.get("comment_present"):
            public = child.get("public", child.get("comment_public", True))
            comments.append([bool(public), _text(child.get("author_id")), index])
    at = item.get("created_at") or item.get("timestamp")
    return {
        "ticket": str(item["ticket_id"]),
        "id": str(item.get("id", where)),
        "at": _instant(at, f"{where}:created_at").isoformat(),
        "author": _text(item.get("updater_id")),
        "requester": requester,
        "changes": changes,
        "comments": comments,
        "where": where,
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _events(
    ticket: str, records: list[dict[str, Any]], roles: Mapping[str, Role], context: Context
) -> Iterator[TicketEvent]:
    seen: set[str] = set()
    ordered = []
    for record in records:
        if record["id"] in seen:
            context.warn(
                "duplicate update", record["where"], f"update {record['id']} read twice: skipped"
            )
            continue
        seen.add(record["id"])
        ordered.append(record)
    ordered.sort(key=lambda r: (r["at"], _number(r["id"])))
    requester = next((r["requester"] for r in ordered if r.get("requester")), None)
    fields: dict[str, str] = {}
    meaning: Meaning | None = None
    position = 0
    for number, record in enumerate(ordered):
        at = datetime.fromisoformat(record["at"])
        where = record["where"]
        changed: dict[str, str] = {}
        status_meaning: Meaning | None = None
        for _, name, value in record["changes"]:
            if value is None:
                continue
            field = FIELDS[name]
            if field == "status":
                status_meaning = meaning_of(context, value)
                value = context.status(value, f"{where}:status")
            if fields.get(field) != value:
                changed[field] = value
        if number == 0:
            # the comment that opens a ticket is its description, not a reply
            fields.update(changed)
            meaning = status_meaning
            yield TicketEvent(f"{ticket}:created", ticket, at, "created", dict(fields),
                              position=position)  # fmt: skip
            position += 1
            continue
        for public, author, index in record["comments"]:
            role = roles.get(author or "")
            if role is None:
                role = "customer" if author is not None and author == requester else "agent"
                context.warn(
                    "comment author's role guessed",
                    f"{where}:{index}",
                    f"user {author} is not among the sideloaded users (include=users): taken "
                    f"as {'the requester' if role == 'customer' else 'an agent'}",
                )
            yield TicketEvent(
                f"{ticket}:{record['id']}:{index}", ticket, at, "comment", {}, role, public,
                position=position,
            )  # fmt: skip
            position += 1
        if not changed:
            continue
        kind: EventKind = "updated"
        if "status" in changed and status_meaning is not None:
            kind = status_change_kind(meaning, status_meaning)
            meaning = status_meaning
        fields.update(changed)
        yield TicketEvent(f"{ticket}:{record['id']}", ticket, at, kind, changed, position=position)
        position += 1


def _number(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)


def _add_metric(metrics: Gathering, item: Mapping[str, Any], where: str) -> None:
    if item.get("ticket_id") is None or not item.get("metric") or not item.get("type"):
        raise DeskError(
            f"{where}: a ticket metric event needs 'ticket_id', 'metric' and 'type'; got "
            f"{sorted(item)}"
        )
    record = {
        "metric": str(item["metric"]),
        "instance": int(item.get("instance_id") or 1),
        "type": str(item["type"]),
        "time": _instant(item.get("time"), f"{where}:time").isoformat(),
        "deleted": bool(item.get("deleted", False)),
        "sla": item.get("sla"),
        "status": item.get("status"),
        "where": where,
    }
    metrics.add(str(item["ticket_id"]), record)


def _verdicts(ticket: str, records: list[dict[str, Any]]) -> Iterator[Verdict]:
    by_metric: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for record in records:
        by_metric.setdefault((record["metric"], record["instance"]), []).append(record)
    for (metric, instance), events in sorted(by_metric.items()):
        events.sort(key=lambda r: r["time"])
        applied = [e for e in events if e["type"] == "apply_sla"]
        if not applied:
            continue
        sla = applied[-1].get("sla") or {}
        target = _target(sla)
        breaches = [e for e in events if e["type"] == "breach" and not e["deleted"]]
        fulfilled = [e for e in events if e["type"] == "fulfill"]
        outcome: Outcome
        if breaches:
            outcome, decided = "breached", breaches[0]
        elif fulfilled:
            outcome, decided = "met", fulfilled[-1]
        else:
            outcome, decided = "running", None
        elapsed = _elapsed(events, bool(sla.get("business_hours")))
        policy = (sla.get("policy") or {}).get("title")
        yield Verdict(
            ticket,
            metric if instance == 1 else f"{metric}#{instance}",
            outcome,
            None if decided is None else datetime.fromisoformat(decided["time"]),
            (decided or applied[-1])["where"],
            target=target,
            elapsed=elapsed,
            note=""
            if not policy
            else f"policy {policy!r}"
            + (", business hours" if sla.get("business_hours") else ", calendar hours"),
        )


def _target(sla: Mapping[str, Any]) -> timedelta | None:
    if sla.get("target_in_seconds") is not None:
        return timedelta(seconds=float(sla["target_in_seconds"]))
    if sla.get("target") is not None:
        return timedelta(minutes=float(sla["target"]))
    return None


def _elapsed(events: list[dict[str, Any]], business: bool) -> timedelta | None:
    """The desk's own measure when it recorded one (an ``update_status`` event's minutes)."""
    for event in reversed(events):
        status = event.get("status") or {}
        value = status.get("business" if business else "calendar")
        if event["type"] == "update_status" and value is not None:
            return timedelta(minutes=float(value))
    return None
