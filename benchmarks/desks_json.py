"""Importing a desk's export pages: a Zendesk incremental ticket-events export (time order across
tickets, as the API gives it), Jira issue searches and bulk changelogs, a Freshdesk activities
export, Zammad ticket histories or GLPI's log rows, generated into a file, then imported to
Parquet.

    .venv/bin/python benchmarks/desks_json.py --tickets 200000
    .venv/bin/python benchmarks/desks_json.py --tickets 1111112   # about 10 million events
    .venv/bin/python benchmarks/desks_json.py --source jira --tickets 1428572   # 10 million
    .venv/bin/python benchmarks/desks_json.py --source freshdesk --tickets 1111112   # 10 million
    .venv/bin/python benchmarks/desks_json.py --source zammad --tickets 1111112   # 10 million
    .venv/bin/python benchmarks/desks_json.py --source glpi --tickets 1428572   # 10 million

``--source freshdesk``: ticket activities export pages (``activities_data``, 1,000 activities a
line) in time order across tickets, 9 Accord events a ticket. ``--source zammad``: a ticket
history document a ticket (articles among its assets), then every ticket record, 9 events a
ticket. ``--source glpi``: ``glpi_logs`` rows as CSV in time order, 7 events a ticket (no
followups: without Ticket_User rows each would be a counted guess). See each generator.

``--source jira``: search pages (100 issues each, ``/rest/api/3/search``) whose embedded
changelogs are cut (``total`` 5, none given), then bulk changelog pages
(``/rest/api/3/changelog/bulkfetch``, 100 issues each, naming them by id only) completing them:
the import gathers each issue's records by key and by id, then again under the key. Each issue:
created with a customer's comment, five transitions (In Progress, Waiting for customer,
Waiting for support, Resolved, Closed) and an agent's comment: 7 Accord events (the
customer's comment at creation is the request's own text, not a message).

Zendesk: each ticket has 6 updates (opened; a reply and open; pending; the requester's answer
and open; a reply and solved; closed): 9 Accord events. Updates of many tickets interleave, so the
importer must gather each ticket's records: in memory up to ``records.IN_MEMORY`` updates, then
spilled to bucket files by ticket. The generation runs in a child process and is not timed;
the import's wall and CPU seconds and this process's peak resident memory are printed (the CPU
time is the figure to read on a loaded machine).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import heapq  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

PAGE = 1000
STEPS = (  # minutes after opening, status, whether a comment comes with it, by whom
    (0, "new", True, "requester"),
    (30, "open", True, "agent"),
    (60, "pending", False, None),
    (240, "open", True, "requester"),
    (300, "solved", True, "agent"),
    (3000, "closed", False, None),
)


START = 1_772_323_200  # 2026-03-01 00:00 UTC


def in_time_order(tickets: int, minutes: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """(instant, ticket, step) of every ticket's steps, ``minutes[step]`` after its opening (a
    new ticket every 10 seconds; ``minutes[0]`` is 0), in time order across tickets."""
    pending: list[tuple[int, int, int]] = []  # (time, ticket, step)
    next_ticket = 0
    while next_ticket < tickets or pending:
        opening = START + next_ticket * 10
        if next_ticket < tickets and (not pending or opening <= pending[0][0]):
            heapq.heappush(pending, (opening, next_ticket, 0))
            next_ticket += 1
            continue
        at, ticket, step = heapq.heappop(pending)
        yield at, ticket, step
        if step + 1 < len(minutes):
            heapq.heappush(
                pending, (at + (minutes[step + 1] - minutes[step]) * 60, ticket, step + 1)
            )


def generate(path: Path, tickets: int) -> None:
    """Pages of ticket events, in time order: a new ticket every 10 seconds."""
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"users": [{"id": 1, "role": "agent"}]}) + "\n")
        page: list[dict[str, object]] = []
        for at, ticket, step in in_time_order(tickets, [s[0] for s in STEPS]):
            _, status, comment, who = STEPS[step]
            author = 1 if who == "agent" else 1000 + ticket
            children: list[dict[str, object]] = [
                {"id": step * 10 + 1, "event_type": "Create" if step == 0 else "Change",
                 "status": status}
            ]  # fmt: skip
            if step == 0:
                children += [
                    {"id": 2, "event_type": "Create", "priority": "normal"},
                    {"id": 3, "event_type": "Create", "requester_id": 1000 + ticket},
                ]
            if comment:
                children.append({"id": step * 10 + 5, "event_type": "Comment",
                                 "author_id": author, "public": True})  # fmt: skip
            page.append({
                "id": ticket * 10 + step, "ticket_id": ticket,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
                "updater_id": author, "event_type": "Audit", "child_events": children,
            })  # fmt: skip
            if len(page) == PAGE:
                out.write(json.dumps({"ticket_events": page, "end_of_stream": False}) + "\n")
                page = []
        out.write(json.dumps({"ticket_events": page, "end_of_stream": True}) + "\n")


JIRA_STEPS = (  # minutes after creation, from, to
    (30, "Waiting for support", "In Progress"),
    (60, "In Progress", "Waiting for customer"),
    (240, "Waiting for customer", "Waiting for support"),
    (300, "Waiting for support", "Resolved"),
    (3000, "Resolved", "Closed"),
)


def generate_jira(path: Path, issues: int) -> None:
    """Search pages of issues with their changelogs cut, then bulk changelog pages by id."""
    start = 1_772_323_200  # 2026-03-01 00:00 UTC

    def stamp(at: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(at))

    with path.open("w", encoding="utf-8") as out:
        for first in range(0, issues, 100):
            page = []
            for n in range(first, min(first + 100, issues)):
                opened = start + n * 10
                page.append({
                    "id": str(100000 + n), "key": f"SD-{n + 1}",
                    "fields": {
                        "created": stamp(opened), "status": {"name": "Closed"},
                        "priority": {"name": "Medium"}, "issuetype": {"name": "Incident"},
                        "assignee": {"accountId": "agent"},
                        "reporter": {"accountId": f"c{n}", "accountType": "customer"},
                        "comment": {"comments": [
                            {"id": "1", "created": stamp(opened),
                             "author": {"accountId": f"c{n}", "accountType": "customer"}},
                            {"id": "2", "created": stamp(opened + 1800),
                             "author": {"accountId": "agent", "accountType": "atlassian"},
                             "jsdPublic": True},
                        ]},
                    },
                    "changelog": {"startAt": 0, "maxResults": 0, "total": 5, "histories": []},
                })  # fmt: skip
            out.write(json.dumps({"startAt": first, "maxResults": 100, "issues": page}) + "\n")
        for first in range(0, issues, 100):
            logs = [
                {"issueId": str(100000 + n), "changeHistories": [
                    {"id": str(k), "created": stamp(start + n * 10 + minutes * 60),
                     "author": {"accountId": "agent"},
                     "items": [{"field": "status", "fieldtype": "jira", "fromString": was,
                                "toString": now}]}
                    for k, (minutes, was, now) in enumerate(JIRA_STEPS, 1)
                ]}
                for n in range(first, min(first + 100, issues))
            ]  # fmt: skip
            out.write(json.dumps({"issueChangeLogs": logs, "nextPageToken": None}) + "\n")


FRESHDESK_STEPS = (  # minutes after opening, who, the activity
    (0, "user", {"new_ticket": True, "status": "Open", "priority": "Low", "source": 2,
                 "note": {"type": 0}}),
    (30, "agent", {"note": {"type": 0}, "agent_id": 5}),
    (60, "agent", {"status": "Pending"}),
    (240, "user", {"note": {"type": 0}, "status": "Open"}),
    (300, "agent", {"note": {"type": 0}, "status": "Resolved"}),
    (3000, "agent", {"status": "Closed"}),
)  # fmt: skip


def generate_freshdesk(path: Path, tickets: int) -> None:
    """Ticket activities export pages (``activities_data``), in time order across tickets:
    opened with the request's note; an agent's reply and assignment; pending; the requester's
    note and open; a reply and resolved; closed: 9 Accord events a ticket."""
    with path.open("w", encoding="utf-8") as out:
        page: list[dict[str, object]] = []
        for at, ticket, step in in_time_order(tickets, [s[0] for s in FRESHDESK_STEPS]):
            _, who, activity = FRESHDESK_STEPS[step]
            if "note" in activity:
                activity = {**activity, "note": {"id": ticket * 10 + step, "type": 0}}
            page.append({
                "ticket_id": ticket, "performer_type": who,
                "performer_id": 5 if who == "agent" else 1000 + ticket,
                "performed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
                "activity": activity,
            })  # fmt: skip
            if len(page) == PAGE:
                out.write(json.dumps({"activities_data": page}) + "\n")
                page = []
        out.write(json.dumps({"activities_data": page}) + "\n")


ZAMMAD_STEPS = (  # minutes after creation, the article's sender (1 Agent, 2 Customer), changes
    (0, 2, ()),
    (30, 1, (("state", "new", "open"),)),
    (60, None, (("state", "open", "pending reminder"),)),
    (240, 2, (("state", "pending reminder", "open"),)),
    (300, 1, (("state", "open", "closed"),)),
    (3000, None, (("priority", "2 normal", "3 high"),)),
)


def generate_zammad(path: Path, tickets: int) -> None:
    """One ticket history document a ticket (``/api/v1/ticket_history/{id}``, its articles among
    the assets), then the ticket records (``/api/v1/tickets/{id}``), so each ticket's records
    are half a file apart: created with the customer's request; a reply and open; pending
    reminder; the customer's article and open; a reply and closed; priority high: 9 Accord
    events a ticket."""

    def stamp(at: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(at))

    with path.open("w", encoding="utf-8") as out:
        for n in range(tickets):
            opened = START + n * 10
            history: list[dict[str, object]] = [
                {"id": n * 20, "o_id": n, "object": "Ticket", "type": "created",
                 "created_at": stamp(opened), "created_by_id": 3}
            ]  # fmt: skip
            articles: dict[str, dict[str, object]] = {}
            for step, (minutes, sender, changes) in enumerate(ZAMMAD_STEPS):
                at = stamp(opened + minutes * 60)
                if sender is not None:
                    article = n * 10 + step
                    articles[str(article)] = {"id": article, "ticket_id": n, "sender_id": sender,
                                              "internal": False, "created_at": at}  # fmt: skip
                    history.append({"id": n * 20 + 2 * step + 1, "o_id": article,
                                    "object": "Ticket::Article", "type": "created",
                                    "related_o_id": n, "created_at": at})  # fmt: skip
                for attribute, was, now in changes:
                    history.append({"id": n * 20 + 2 * step + 2, "o_id": n, "object": "Ticket",
                                    "type": "updated", "attribute": attribute, "value_from": was,
                                    "value_to": now, "created_at": at})  # fmt: skip
            out.write(json.dumps({"history": history, "assets": {"TicketArticle": articles}}))
            out.write("\n")
        for n in range(tickets):
            out.write(json.dumps({
                "id": n, "number": str(31000 + n), "created_at": stamp(START + n * 10),
                "state": "closed", "priority": "3 high", "group": "Users", "owner": "agent",
            }) + "\n")  # fmt: skip


GLPI_STEPS = (  # minutes after opening, search option (12 status, 3 priority), old, new
    (0, None, "", ""),
    (30, "12", "1", "2"),
    (60, "12", "2", "4"),
    (60, "3", "3", "4"),
    (240, "12", "4", "2"),
    (300, "12", "2", "5"),
    (3000, "12", "5", "6"),
)


def generate_glpi(path: Path, tickets: int) -> None:
    """Rows of the ``glpi_logs`` table as CSV (``;``), in id order, which is time order across
    tickets: created (linked action 20); assigned; pending and priority high; assigned; solved;
    closed: 7 Accord events a ticket. Local times without a zone (imported as UTC)."""
    header = ("id;itemtype;items_id;itemtype_link;linked_action;user_name;date_mod;"
              "id_search_option;old_value;new_value\n")  # fmt: skip
    with path.open("w", encoding="utf-8") as out:
        out.write(header)
        lines: list[str] = []
        minutes = [s[0] for s in GLPI_STEPS]
        for row, (at, ticket, step) in enumerate(in_time_order(tickets, minutes), 1):
            _, option, was, now = GLPI_STEPS[step]
            action = "20" if option is None else "0"
            lines.append(f"{row};Ticket;{ticket};;{action};tech (5);"
                         f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(at))};"
                         f"{option or 0};{was};{now}\n")  # fmt: skip
            if len(lines) == PAGE:
                out.writelines(lines)
                lines = []
        out.writelines(lines)


GENERATORS = {
    "zendesk": generate,
    "jira": generate_jira,
    "freshdesk": generate_freshdesk,
    "zammad": generate_zammad,
    "glpi": generate_glpi,
}


def run(pages: Path, out: Path, source: str = "zendesk") -> dict[str, object]:
    from accord.io.desks import Context, source_named
    from accord.io.desks.output import import_files

    desk = source_named(source)
    zone = ZoneInfo("UTC") if source == "glpi" else None  # GLPI writes local times
    wall, cpu = time.perf_counter(), time.process_time()
    summary = import_files(desk, [pages], out, Context(desk.statuses, zone))
    return {
        "tickets": summary.tickets,
        "events": summary.events,
        "warnings": dict(summary.warnings.counts),
        "import_wall_s": round(time.perf_counter() - wall, 2),
        "import_cpu_s": round(time.process_time() - cpu, 2),
        "events_per_cpu_s": round(summary.events / max(time.process_time() - cpu, 1e-9)),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "pages_mb": round(pages.stat().st_size / 2**20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--source", choices=sorted(GENERATORS), default="zendesk")
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        GENERATORS[args.source](args.generate_only, args.tickets)
        return
    with tempfile.TemporaryDirectory(prefix="accord-desks-json-") as folder:
        pages = Path(folder) / ("logs.csv" if args.source == "glpi" else "pages.jsonl")
        subprocess.run(
            [sys.executable, __file__, "--tickets", str(args.tickets), "--source", args.source,
             "--generate-only", str(pages)],
            check=True,
        )  # fmt: skip
        before, started = _load(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        found = run(pages, Path(folder) / f"{args.source}.parquet", args.source)
        found.update(
            source=args.source, started=started, loadavg_before=before, loadavg_after=_load()
        )
        print(json.dumps(found))


def _load() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


if __name__ == "__main__":
    main()
