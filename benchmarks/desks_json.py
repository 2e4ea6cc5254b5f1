"""Importing a desk's JSON pages: a Zendesk incremental ticket-events export (time order across
tickets, as the API gives it), or Jira issue searches and bulk changelogs, generated into a pages
file, then imported to Parquet.

    .venv/bin/python benchmarks/desks_json.py --tickets 200000
    .venv/bin/python benchmarks/desks_json.py --tickets 1111112   # about 10 million events
    .venv/bin/python benchmarks/desks_json.py --source jira --tickets 1428572   # 10 million

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
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

PAGE = 1000
STEPS = (  # minutes after opening, status, whether a comment comes with it, by whom
    (0, "new", True, "requester"),
    (30, "open", True, "agent"),
    (60, "pending", False, None),
    (240, "open", True, "requester"),
    (300, "solved", True, "agent"),
    (3000, "closed", False, None),
)


def generate(path: Path, tickets: int) -> None:
    """Pages of ticket events, in time order: a new ticket every 10 seconds."""
    start = 1_772_323_200  # 2026-03-01 00:00 UTC
    pending: list[tuple[int, int, int]] = []  # (time, ticket, step)
    import heapq

    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"users": [{"id": 1, "role": "agent"}]}) + "\n")
        page: list[dict[str, object]] = []
        next_ticket = 0
        while next_ticket < tickets or pending:
            opening = start + next_ticket * 10
            if next_ticket < tickets and (not pending or opening <= pending[0][0]):
                heapq.heappush(pending, (opening, next_ticket, 0))
                next_ticket += 1
                continue
            at, ticket, step = heapq.heappop(pending)
            minutes, status, comment, who = STEPS[step]
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
            if step + 1 < len(STEPS):
                opened = at - minutes * 60
                heapq.heappush(pending, (opened + STEPS[step + 1][0] * 60, ticket, step + 1))
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


def run(pages: Path, out: Path, source: str = "zendesk") -> dict[str, object]:
    from accord.io.desks import Context, source_named
    from accord.io.desks.output import import_files

    desk = source_named(source)
    wall, cpu = time.perf_counter(), time.process_time()
    summary = import_files(desk, [pages], out, Context(desk.statuses))
    return {
        "tickets": summary.tickets,
        "events": summary.events,
        "import_wall_s": round(time.perf_counter() - wall, 2),
        "import_cpu_s": round(time.process_time() - cpu, 2),
        "events_per_cpu_s": round(summary.events / max(time.process_time() - cpu, 1e-9)),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "pages_mb": round(pages.stat().st_size / 2**20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--source", choices=["zendesk", "jira"], default="zendesk")
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_only:
        (generate if args.source == "zendesk" else generate_jira)(args.generate_only, args.tickets)
        return
    with tempfile.TemporaryDirectory(prefix="accord-desks-json-") as folder:
        pages = Path(folder) / "pages.jsonl"
        subprocess.run(
            [sys.executable, __file__, "--tickets", str(args.tickets), "--source", args.source,
             "--generate-only", str(pages)],
            check=True,
        )  # fmt: skip
        before, started = _load(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        found = run(pages, Path(folder) / f"{args.source}.parquet", args.source)
        found.update(started=started, loadavg_before=before, loadavg_after=_load())
        print(json.dumps(found))


def _load() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


if __name__ == "__main__":
    main()
