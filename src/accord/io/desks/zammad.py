"""Zammad: a ticket's history, its articles, and the ticket records with Zammad's SLA figures.

The shapes read are those of Zammad's REST API (https://docs.zammad.org/en/latest/api/ticket/)
and of the code that answers it (zammad/zammad: ``app/models/history.rb``, ``lib/escalation.rb``,
``db/seeds``):

* ``GET /api/v1/ticket_history/{id}``: ``{"history": [{"id", "o_id", "object": "Ticket" |
  "Ticket::Article", "type": "created" | "updated" | ..., "attribute": "state" | "priority" |
  "group" | "owner", "value_from", "value_to", "related_o_id", "created_at",
  "created_by_id"}], "assets": {"TicketArticle": {ID: {"sender_id", "internal", ...}},
  "Ticket": {ID: {...}}}}``: an article's creation is an entry of object ``Ticket::Article``
  whose ``related_o_id`` is the ticket.
* ``GET /api/v1/ticket_articles/by_ticket/{id}`` (with ``expand=true``, ``sender`` by name;
  else ``sender_id``: 1 Agent, 2 Customer, 3 System, Zammad's seeded ids), each ``{"id",
  "ticket_id", "sender", "internal", "created_at"}``.
* ``GET /api/v1/tickets/{id}`` or ``/api/v1/tickets/search?expand=true``: the ticket record
  (``id``, ``number``, ``created_at``, ``state``, ``priority``, ``group``) with the SLA figures
  Zammad keeps: ``first_response_in_min`` / ``first_response_diff_in_min``, ``close_in_min`` /
  ``close_diff_in_min``, ``update_in_min`` / ``update_diff_in_min`` (the diff is the SLA's
  minutes less those used: below zero, breached), and ``first_response_escalation_at`` /
  ``close_escalation_at`` while running.

A ticket is named by its ``number`` when a ticket record gives it, else by its id. Fields that
never changed take the ticket record's values (without a record, only what changed is known:
counted per ticket). System articles (notifications) are not messages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
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
    in_order,
    iso_instant,
    json_documents,
    meaning_of,
    status_change_kind,
)

FIELDS: Mapping[str, str] = {
    "state": "status",
    "priority": "priority",
    "group": "group",
    "owner": "assignee",
}
"""Zammad ticket attributes imported (as the history names them) and the Accord field each
becomes."""
SENDERS: Mapping[str, Role | None] = {"Agent": "agent", "Customer": "customer", "System": None}
SENDER_IDS: Mapping[int, str] = {1: "Agent", 2: "Customer", 3: "System"}
METRICS = ("first_response", "update", "close")


def _instant(text: Any, where: str) -> datetime:
    return iso_instant(text, where, "Zammad", "2026-03-02T09:00:00.000Z")


@register
class Zammad(Source):
    name: ClassVar[str] = "zammad"
    title: ClassVar[str] = "Zammad"
    fields: ClassVar[tuple[str, ...]] = tuple(FIELDS.values())
    statuses = status_map(
        [
            ("new", "open"),
            ("open", "open"),
            ("pending reminder", "waiting_on_customer"),
            ("pending close", "waiting_on_customer"),
            ("closed", "closed"),
            ("merged", "closed"),
            ("removed", "closed"),
        ],
        "zammad",
    )

    def read(self, files: Sequence[Path], context: Context) -> Iterator[TicketEvent | Verdict]:
        gathered = Gathering()
        for file in files:
            for where, page in json_documents(file, context):
                if isinstance(page.get("history"), list) or isinstance(page.get("list"), list):
                    _add_history(gathered, page, where)
                elif "ticket_id" in page and ("sender" in page or "sender_id" in page):
                    _add_article(gathered, page, where)
                elif "id" in page and "created_at" in page and "number" in page:
                    gathered.add(str(page["id"]), {"ticket": dict(page), "where": where})
                elif isinstance(page.get("assets"), Mapping) and isinstance(
                    page["assets"].get("Ticket"), Mapping
                ):  # a search answer without expand: the tickets are among its assets
                    for tid, ticket in page["assets"]["Ticket"].items():
                        gathered.add(str(tid), {"ticket": dict(ticket), "where": where})
                else:
                    raise DeskError(
                        f"{where}: not a Zammad page; expected a ticket history ('history'), "
                        "an article ('ticket_id', 'sender') or a ticket ('id', 'number', "
                        "'created_at')"
                    )
        for tid, records in gathered.tickets():
            yield from _ticket(tid, records, context)


def _add_history(gathered: Gathering, page: Mapping[str, Any], where: str) -> None:
    articles = (page.get("assets") or {}).get("TicketArticle") or {}
    for index, entry in enumerate(page.get("history") or page.get("list") or ()):
        place = f"{where}:history[{index}]"
        obj = entry.get("object")
        if obj == "Ticket":
            tid = entry.get("o_id")
        elif obj == "Ticket::Article":
            tid = entry.get("related_o_id")
        else:
            continue
        if tid is None:
            raise DeskError(f"{place}: no ticket ('o_id' or 'related_o_id')")
        record = {"entry": dict(entry), "where": place}
        if obj == "Ticket::Article" and entry.get("type") == "created":
            asset = articles.get(str(entry.get("o_id"))) or {}
            record = {
                "article": {
                    "id": entry.get("o_id"),
                    "sender": _sender(asset),
                    "internal": bool(asset.get("internal", False)),
                    "created_at": entry.get("created_at"),
                },
                "where": place,
            }
        gathered.add(str(tid), record)


def _add_article(gathered: Gathering, article: Mapping[str, Any], where: str) -> None:
    gathered.add(
        str(article["ticket_id"]),
        {
            "article": {
                "id": article.get("id"),
                "sender": _sender(article),
                "internal": bool(article.get("internal", False)),
                "created_at": article.get("created_at"),
            },
            "where": where,
        },
    )


def _sender(article: Mapping[str, Any]) -> str | None:
    if article.get("sender"):
        return str(article["sender"])
    if article.get("sender_id") is not None:
        return SENDER_IDS.get(int(article["sender_id"]), str(article["sender_id"]))
    return None


def _ticket(
    tid: str, records: list[dict[str, Any]], context: Context
) -> Iterator[TicketEvent | Verdict]:
    ticket = next((r["ticket"] for r in reversed(records) if "ticket" in r), None)
    name = str(ticket["number"]) if ticket and ticket.get("number") else tid
    entries: dict[str, tuple[str, dict[str, Any]]] = {}
    articles: dict[str, tuple[str, dict[str, Any]]] = {}
    for record in records:
        if "entry" in record:
            entries.setdefault(str(record["entry"].get("id", record["where"])),
                               (record["where"], record["entry"]))  # fmt: skip
        elif "article" in record:
            article = record["article"]
            key = str(article.get("id", record["where"]))
            if key not in articles or articles[key][1].get("sender") is None:
                articles[key] = (record["where"], article)
    created_entry = next(
        (
            e
            for _, e in entries.values()
            if e.get("object") == "Ticket" and e.get("type") == "created"
        ),
        None,
    )
    created_text = (ticket or {}).get("created_at") or (created_entry or {}).get("created_at")
    if created_text is None:
        context.warn(
            "ticket without its creation",
            records[0]["where"],
            f"ticket {name}: neither its record nor a 'created' history entry was given: skipped",
        )
        return
    created = _instant(created_text, f"{records[0]['where']}:created_at")
    changes = sorted(
        (
            (_instant(e.get("created_at"), f"{place}:created_at"), int(e.get("id") or 0), place, e)
            for place, e in entries.values()
            if e.get("object") == "Ticket" and e.get("type") == "updated"
            and e.get("attribute") in FIELDS
        ),
        key=lambda c: c[:2],
    )  # fmt: skip
    initial: dict[str, str] = {}
    for attribute, field in FIELDS.items():
        first = next((e for *_, e in changes if e.get("attribute") == attribute), None)
        value = first.get("value_from") if first else (ticket or {}).get(attribute)
        if isinstance(value, str) and value:
            initial[field] = value
    if ticket is None and any(f not in initial for f in FIELDS.values()):
        context.warn(
            "fields at creation unknown",
            records[0]["where"],
            f"ticket {name}: no ticket record given, so fields that never changed "
            f"({', '.join(f for f in FIELDS.values() if f not in initial)}) are unknown",
        )
    meaning: Meaning | None = None
    if "status" in initial:
        meaning = meaning_of(context, initial["status"])
        initial["status"] = context.status(initial["status"], f"{records[0]['where']}:state")
    timeline: list[tuple[datetime, int, TicketEvent]] = [
        (created, 0, TicketEvent(f"{name}:created", name, created, "created", dict(initial)))
    ]
    fields = dict(initial)
    for at, _, place, entry in changes:
        field = FIELDS[str(entry["attribute"])]
        value = entry.get("value_to")
        if not isinstance(value, str) or not value:
            continue
        kind: EventKind = "updated"
        if field == "status":
            after = meaning_of(context, value)
            value = context.status(value, f"{place}:value_to")
            kind = status_change_kind(meaning, after)
            meaning = after
        if fields.get(field) == value:
            continue
        fields[field] = value
        at = max(at, created)
        event_id = f"{name}:{entry.get('id', place)}"
        timeline.append((at, 2, TicketEvent(event_id, name, at, kind, {field: value})))
    first_article = True
    for place, article in sorted(
        articles.values(), key=lambda a: (str(a[1].get("created_at")), str(a[1].get("id")))
    ):
        at = _instant(article.get("created_at"), f"{place}:created_at")
        sender = str(article.get("sender"))
        if sender not in SENDERS:
            context.warn(
                "article sender unknown",
                place,
                f"ticket {name}: article {article.get('id')} has sender {sender!r}; expected "
                "Agent, Customer or System: not imported as a message",
            )
            continue
        role = SENDERS[sender]
        if role is None:
            continue  # a system notification, not a message
        if first_article and role == "customer" and at <= created + timedelta(seconds=1):
            first_article = False
            continue  # the request's own text
        first_article = False
        timeline.append((max(at, created), 1, TicketEvent(
            f"{name}:article:{article.get('id')}", name, max(at, created), "comment", {}, role,
            not article.get("internal", False))))  # fmt: skip
    yield from in_order(timeline)
    if ticket is not None:
        yield from _verdicts(name, ticket, records[0]["where"])


def _verdicts(name: str, ticket: Mapping[str, Any], where: str) -> Iterator[Verdict]:
    for metric in METRICS:
        used, diff = ticket.get(f"{metric}_in_min"), ticket.get(f"{metric}_diff_in_min")
        escalation = ticket.get(f"{metric}_escalation_at")
        outcome: Outcome
        if used is not None and diff is not None:
            outcome = "breached" if float(diff) < 0 else "met"
            decided = ticket.get(f"{metric}_at") or (
                ticket.get("close_at") if metric == "close" else None
            )
            yield Verdict(
                name,
                metric,
                outcome,
                None if not decided else _instant(decided, f"{where}:{metric}_at"),
                where,
                target=timedelta(minutes=float(used) + float(diff)),
                elapsed=timedelta(minutes=float(used)),
            )
        elif escalation:
            yield Verdict(
                name, metric, "running", None, where,
                note=f"escalates at {_instant(escalation, f'{where}:{metric}_escalation_at')}",
            )  # fmt: skip
