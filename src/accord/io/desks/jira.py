"""Jira Service Management: issues with their changelog, comments, and the requests' SLA cycles.

The shapes read are those of Atlassian's published REST API reference:

* Issue search with the changelog, ``GET /rest/api/3/search?jql=...&expand=changelog`` (and
  ``/rest/api/3/search/jql``), or one issue, ``GET /rest/api/3/issue/{key}?expand=changelog``:
  ``{"issues": [{"id", "key", "fields": {"created", "status": {"name"}, "priority": {"name"},
  "assignee", "reporter": {"accountId"}, "comment": {"comments": [{"id", "created", "author":
  {"accountId", "accountType"}, "jsdPublic"}]}}, "changelog": {"startAt", "maxResults",
  "total", "histories": [{"id", "created", "author", "items": [{"field", "fieldtype", "from",
  "fromString", "to", "toString"}]}]}}]}``.
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
* An issue's changelog page by page, ``GET /rest/api/3/issue/{key}/changelog``
  (``{"values": [histories], "startAt", "maxResults", "total", "isLast"}``, which does not name
  its issue: save it wrapped as ``{"issueKey": KEY, ...page}``), or in bulk, ``POST
  /rest/api/3/changelog/bulkfetch`` (``{"issueChangeLogs": [{"issueId", "changeHistories":
  [...]}], "nextPageToken"}``). An embedded changelog holds at most its ``maxResults``
  histories: when ``total`` is larger and no page completes it, the import says so per issue.
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/
* A request's SLAs, ``GET /rest/servicedeskapi/request/{issueIdOrKey}/sla``: ``{"values":
  [{"id", "name", "_links": {"self": ".../request/KEY/sla/ID"}, "completedCycles": [{"startTime",
  "stopTime", "breachTime", "breached", "goalDuration": {"millis"}, "elapsedTime": {"millis"},
  "remainingTime"}], "ongoingCycle": {..., "breached", "paused", "withinCalendarHours"}}]}``:
  the desk's own verdicts, one per cycle. The request is named by ``_links.self`` (or an
  ``issueKey`` beside ``values``).
  https://developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/#api-rest-servicedeskapi-request-issueidorkey-sla-get

Times carry their offset (``2026-03-02T09:00:00.000+0100``). A comment is the customer's when
its author is a portal customer (``accountType: customer``) or the reporter, else the desk's;
``jsdPublic: false`` is an internal note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from accord.core.clocks import EventKind, Role, TicketEvent
from accord.io.desks import records
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
    "status": "status",
    "priority": "priority",
    "assignee": "assignee",
    "issuetype": "type",
}
"""Jira fields imported (as the changelog's ``field`` names them) and the Accord field each
becomes."""
_SELF = re.compile(r"/request/([^/]+)/sla")
ISSUE_WEIGHT = 4
"""An issue's gathered record (its fields, comments, changelog) weighs several of a Zendesk
update's: a quarter as many are held before spilling (605 MB at 150,000 issues when as many
were held)."""


def _instant(text: Any, where: str) -> datetime:
    if isinstance(text, Mapping):  # the service desk API's DateDTO
        if text.get("epochMillis") is not None:
            return datetime.fromtimestamp(float(text["epochMillis"]) / 1000, tz=UTC)
        text = text.get("iso8601")
    return iso_instant(text, where, "Jira", "2026-03-02T09:00:00.000+0100")


@register
class Jira(Source):
    name: ClassVar[str] = "jira"
    title: ClassVar[str] = "Jira Service Management"
    fields: ClassVar[tuple[str, ...]] = tuple(FIELDS.values())
    statuses = status_map(
        [
            ("Open", "open"),
            ("To Do", "open"),
            ("Waiting for support", "open"),
            ("In Progress", "open"),
            ("Work in progress", "open"),
            ("Escalated", "open"),
            ("Waiting for customer", "waiting_on_customer"),
            ("Waiting for approval", "waiting_on_customer"),
            ("Pending", "waiting_on_third_party"),
            ("Resolved", "resolved"),
            ("Done", "resolved"),
            ("Completed", "resolved"),
            ("Closed", "closed"),
            ("Canceled", "closed"),
            ("Declined", "closed"),
        ],
        "jira",
    )

    def read(self, files: Sequence[Path], context: Context) -> Iterator[TicketEvent | Verdict]:
        issues, slas = Gathering(held=records.IN_MEMORY // ISSUE_WEIGHT), Gathering()
        ids: dict[str, str] = {}  # issue id -> key, for bulk changelogs that name only the id
        by_id = False  # whether any records were gathered under an issue's id
        for file in files:
            for where, page in json_documents(file, context):
                if isinstance(page.get("issues"), list):
                    for index, issue in enumerate(page["issues"]):
                        _add_issue(issues, ids, issue, f"{where}:issues[{index}]")
                elif "key" in page and isinstance(page.get("fields"), Mapping):
                    _add_issue(issues, ids, page, where)
                elif isinstance(page.get("issueChangeLogs"), list):
                    for index, log in enumerate(page["issueChangeLogs"]):
                        place = f"{where}:issueChangeLogs[{index}]"
                        issue = str(log.get("issueId", ""))
                        if not issue:
                            raise DeskError(f"{place}: no 'issueId'")
                        issues.add(issue, {"histories": log.get("changeHistories") or [],
                                           "where": place, "by_id": True})  # fmt: skip
                        by_id = True
                elif isinstance(page.get("values"), list) and _is_sla_page(page):
                    for index, sla in enumerate(page["values"]):
                        place = f"{where}:values[{index}]"
                        key = page.get("issueKey") or _request_of(sla, place)
                        slas.add(str(key), {"sla": sla, "where": place})
                elif isinstance(page.get("values"), list) and page.get("issueKey"):
                    issues.add(str(page["issueKey"]),
                               {"histories": page["values"], "where": where})  # fmt: skip
                else:
                    raise DeskError(
                        f"{where}: not a Jira page; expected an issue search ('issues'), an "
                        "issue, a changelog page ('values' with 'issueKey', or "
                        "'issueChangeLogs') or a request's SLAs ('values' of SLA cycles)"
                    )
        if by_id:  # gathered again under each issue's key, as boundedly as the first time
            keyed = Gathering(held=records.IN_MEMORY // ISSUE_WEIGHT)
            for key, found in issues.tickets():
                for record in found:
                    keyed.add(ids.get(key, key), record)
            issues = keyed
        for key, found in issues.tickets():
            yield from _events(key, found, context)
        for key, found in slas.tickets():
            yield from _verdicts(ids.get(key, key), found)


def _is_sla_page(page: Mapping[str, Any]) -> bool:
    values = page["values"]
    return bool(values) and any(
        isinstance(v, Mapping) and ("completedCycles" in v or "ongoingCycle" in v) for v in values
    )


def _request_of(sla: Mapping[str, Any], where: str) -> str:
    link = ((sla.get("_links") or {}).get("self")) or ""
    found = _SELF.search(str(link))
    if found is None:
        raise DeskError(
            f"{where}: an SLA without its request: expected '_links.self' ending in "
            '/request/KEY/sla/ID, or the page saved as {"issueKey": KEY, "values": [...]}'
        )
    return found.group(1)


def _add_issue(
    issues: Gathering, ids: dict[str, str], issue: Mapping[str, Any], where: str
) -> None:
    key = issue.get("key")
    fields = issue.get("fields")
    if not key or not isinstance(fields, Mapping):
        raise DeskError(f"{where}: an issue needs 'key' and 'fields'")
    if issue.get("id") is not None:
        ids[str(issue["id"])] = str(key)
    changelog = issue.get("changelog") or {}
    histories = changelog.get("histories") or []
    reporter = _account(fields.get("reporter"))
    comments = [
        {
            "id": str(c.get("id", index)),
            "created": c.get("created"),
            "author": _account(c.get("author")),
            "customer": (c.get("author") or {}).get("accountType") == "customer",
            "public": c.get("jsdPublic", True) is not False,
        }
        for index, c in enumerate(((fields.get("comment") or {}).get("comments")) or [])
    ]
    issues.add(
        str(key),
        {
            "issue": {
                "created": fields.get("created"),
                "status": _name(fields.get("status")),
                "priority": _name(fields.get("priority")),
                "assignee": _account(fields.get("assignee")),
                "type": _name(fields.get("issuetype")),
                "reporter": reporter,
                "comments": comments,
                "total": changelog.get("total"),
            },
            "histories": histories,
            "where": where,
        },
    )


def _name(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("value")
    return None if value is None else str(value)


def _account(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("accountId") or value.get("name") or value.get("key")
    return None if value is None else str(value)


def _events(key: str, records: list[dict[str, Any]], context: Context) -> Iterator[TicketEvent]:
    # an issue read twice (two searches, or pulls over time): its latest reading
    issue = next((r["issue"] for r in reversed(records) if "issue" in r), None)
    where = next((r["where"] for r in reversed(records) if "issue" in r), records[0]["where"])
    if issue is None:
        context.warn(
            "changelog without its issue",
            records[0]["where"],
            f"issue {key}: a changelog was given but not the issue (its creation and fields): "
            "skipped",
        )
        return
    histories: dict[str, tuple[str, dict[str, Any]]] = {}
    for record in records:
        for index, history in enumerate(record["histories"]):
            histories.setdefault(str(history.get("id", f"{record['where']}:{index}")),
                                 (f"{record['where']}:histories[{index}]", history))  # fmt: skip
    total = issue.get("total")
    if isinstance(total, int) and total > len(histories):
        context.warn(
            "changelog truncated",
            where,
            f"issue {key}: {len(histories)} of its {total} changes were given (an embedded "
            "changelog is cut at maxResults); add its changelog pages "
            "(GET /rest/api/3/issue/KEY/changelog, or POST /rest/api/3/changelog/bulkfetch)",
        )
    changes = sorted(
        (
            (_instant(h.get("created"), f"{place}:created"), _number(hid), place, h)
            for hid, (place, h) in histories.items()
        ),
        key=lambda c: c[:2],
    )
    created = _instant(issue.get("created"), f"{where}:fields.created")
    # the fields at creation: each field's value before its first change, else its value now
    now = {"status": issue["status"], "priority": issue["priority"],
           "assignee": issue["assignee"], "type": issue["type"]}  # fmt: skip
    initial: dict[str, str | None] = dict(now)
    first_seen: set[str] = set()
    for _, _, _, history in changes:
        for item in history.get("items") or ():
            field = FIELDS.get(str(item.get("field")))
            if field is not None and field not in first_seen:
                first_seen.add(field)
                initial[field] = _item_value(item, "from")
    fields: dict[str, str] = {}
    meaning: Meaning | None = None
    raw_status = initial.get("status")
    if raw_status is not None:
        meaning = meaning_of(context, raw_status)
        initial["status"] = context.status(raw_status, f"{where}:fields.status")
    fields = {k: v for k, v in initial.items() if v is not None}
    timeline: list[tuple[datetime, int, TicketEvent]] = [
        (created, 0, TicketEvent(f"{key}:created", key, created, "created", dict(fields)))
    ]
    for at, _, place, history in changes:
        if at < created:
            context.warn(
                "change before creation",
                f"{place}:created",
                f"issue {key}: a change stamped before the issue's creation: taken at creation",
            )
            at = created
        changed: dict[str, str] = {}
        kind: EventKind = "updated"
        for item in history.get("items") or ():
            field = FIELDS.get(str(item.get("field")))
            if field is None:
                continue
            value = _item_value(item, "to")
            if value is None:
                continue
            if field == "status":
                after = meaning_of(context, value)
                value = context.status(value, f"{place}:items.status")
                kind = status_change_kind(meaning, after)
                meaning = after
            if fields.get(field) != value:
                changed[field] = value
        if changed:
            fields.update(changed)
            timeline.append((at, 2, TicketEvent(f"{key}:{history.get('id', place)}", key, at,
                                                kind, changed)))  # fmt: skip
    for comment in issue["comments"]:
        at = _instant(comment["created"], f"{where}:fields.comment[{comment['id']}].created")
        customer = comment["customer"] or (
            comment["author"] is not None and comment["author"] == issue["reporter"]
        )
        if at <= created and customer:
            continue  # the request's own text, not a message after it
        role: Role = "customer" if customer else "agent"
        # a comment made with a transition comes before it (a reply, then resolved)
        timeline.append((max(at, created), 1, TicketEvent(
            f"{key}:comment:{comment['id']}", key, max(at, created), "comment", {}, role,
            comment["public"],
        )))  # fmt: skip
    yield from in_order(timeline)


def _item_value(item: Mapping[str, Any], side: str) -> str | None:
    """A changelog item's value on one side: the readable string (status and priority names)
    or, for people, the account id."""
    if item.get("field") == "assignee":
        value = item.get(side) or item.get(f"{side}String")
    else:
        value = item.get(f"{side}String") or item.get(side)
    return None if value in (None, "") else str(value)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _verdicts(key: str, records: list[dict[str, Any]]) -> Iterator[Verdict]:
    latest = {str(r["sla"].get("id") or r["sla"].get("name")): r for r in records}
    for record in latest.values():  # an SLA read twice: its latest reading
        sla, where = record["sla"], record["where"]
        name = str(sla.get("name") or sla.get("id") or "sla")
        cycles = [(c, False) for c in sla.get("completedCycles") or ()]
        if sla.get("ongoingCycle"):
            cycles.append((sla["ongoingCycle"], True))
        for number, (cycle, ongoing) in enumerate(cycles, start=1):
            outcome: Outcome = (
                "breached" if cycle.get("breached") else ("running" if ongoing else "met")
            )
            decided: Any = None
            if outcome == "breached" and cycle.get("breachTime"):
                decided = cycle["breachTime"]
            elif not ongoing and cycle.get("stopTime"):
                decided = cycle["stopTime"]
            notes = []
            if ongoing and cycle.get("paused"):
                notes.append("paused")
            if ongoing and cycle.get("withinCalendarHours") is False:
                notes.append("outside its calendar's hours")
            yield Verdict(
                key,
                name if len(cycles) == 1 else f"{name} #{number}",
                outcome,
                None if decided is None else _instant(decided, f"{where}:cycle {number}"),
                where,
                target=_millis(cycle.get("goalDuration")),
                elapsed=_millis(cycle.get("elapsedTime")),
                note=", ".join(notes),
            )


def _millis(value: Any) -> timedelta | None:
    if isinstance(value, Mapping) and value.get("millis") is not None:
        return timedelta(milliseconds=float(value["millis"]))
    return None
