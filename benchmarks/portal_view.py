"""A portal page over years of history: every monthly report of an agreement, viewed twice.

    .venv/bin/python benchmarks/portal_view.py                      # SQLite, 3 years
    .venv/bin/python benchmarks/portal_view.py --postgres           # PostgreSQL (127.0.0.1)
    .venv/bin/python benchmarks/portal_view.py --years 5 --tickets 400

The service's reports (``accord.service.reports.report``, as ``GET
/v1/agreements/{key}/reports/{period}`` calls it, without HTTP) of each month from the
agreement's start to the month still open: the first view judges every month and keeps the
closed ones (docs/stored-reports.md); later views judge the open month only. Printed: the time
of a whole page (all months) and of one closed month, first view and later views (best and
median of ``--repeat``), and how many periods each view evaluated; the same months as one
trend (``accord.service.reports.trend``, what ``GET /v1/agreements/{key}/trend`` calls, in one
transaction), rendered as JSON and as HTML, and one closed month as the API serves its HTML
(with its pictures). Then one late ticket event into a month two years
back, and the page again: that month alone is judged anew.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))  # benchmarks.use_cases, as a package

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

from accord.render.report import report_html, report_json, trend_html  # noqa: E402
from accord.render.report_pictures import report_pictures, trend_pictures  # noqa: E402
from accord.service import agreements, ingest, reports, tenants, tracking  # noqa: E402
from accord.store import Database  # noqa: E402
from benchmarks.use_cases import Clock, count_evaluations, scratch_database  # noqa: E402

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
AGREEMENT = """
id: desk
version: "1"
overview: {title: Support desk}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
services: [{id: api, name: API}]
objectives:
  - {id: response, metric: first_response, within: 1h, target: 90%, calendar: 24x7}
  - id: resolution
    metric: resolution
    within: 4h
    target: 90%
    calendar: 24x7
    clock: {stop: {status: [Resolved]}}
  - {id: availability, metric: availability, scope: {service: [api]}, target: 99.9%,
     calendar: 24x7}
"""


def months_from(first: datetime, until: datetime) -> list[datetime]:
    found = []
    month = first
    while month <= until:
        found.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return found


def ticket(name: str, opened: datetime, hours: float) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{name}-1",
            "ticket": name,
            "at": opened.isoformat(),
            "kind": "created",
            "fields": {"status": "New", "customer": "acme-corp"},
        },
        {
            "id": f"{name}-2",
            "ticket": name,
            "at": (opened + timedelta(minutes=10 + hash(name) % 70)).isoformat(),
            "kind": "comment",
            "author": "agent",
        },
        {
            "id": f"{name}-3",
            "ticket": name,
            "at": (opened + timedelta(hours=hours)).isoformat(),
            "kind": "resolved",
            "fields": {"status": "Resolved"},
        },
    ]


def load(database: Database, years: int, per_month: int) -> tuple[str, list[str]]:
    """An organisation with the agreement and ``years`` of tickets and outages; its admin key
    and the months of the page."""
    first = NOW.replace(year=NOW.year - years, month=1, day=1, hour=0)
    months = months_from(first, NOW)
    with database.session() as session:
        organisation = tenants.create_organisation(session, "acme", "Acme")
        _, key = tenants.create_key(session, organisation.id, "admin")
    with database.session() as session:
        principal = tenants.authenticate(session, key)
        agreements.upload(session, principal, AGREEMENT, first)
    for n, month in enumerate(months):
        if month >= NOW.replace(day=1, hour=0):
            break
        events = []
        for t in range(per_month):
            opened = month + timedelta(hours=(t * 673) % (27 * 24))
            events += ticket(f"T{n}-{t}", opened, 1 + (t * 7) % 5)
        outages = [
            {
                "id": f"o{n}-{k}",
                "service": "api",
                "start": (month + timedelta(days=3 + 7 * k)).isoformat(),
                "end": (month + timedelta(days=3 + 7 * k, minutes=5 + k)).isoformat(),
            }
            for k in range(4)
        ]
        with database.session() as session:
            principal = tenants.authenticate(session, key)
            ingest.ingest_events(
                session, principal, [ingest.EventIn.model_validate_json(_json(e)) for e in events]
            )
            ingest.ingest_records(
                session,
                principal,
                "outage",
                [ingest.OutageIn.model_validate_json(_json(o)) for o in outages],
            )
    return key, [f"{m:%Y-%m}" for m in months]


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value)


def page(database: Database, key: str, labels: list[str]) -> float:
    started = time.perf_counter()
    for label in labels:
        with database.session() as session:
            principal = tenants.authenticate(session, key)
            reports.report(session, principal, "desk", label)
    return time.perf_counter() - started


def trend(database: Database, key: str, labels: list[str], html: bool) -> float:
    """The whole span as one trend, as the API serves it, rendered as JSON or HTML."""
    started = time.perf_counter()
    with database.session() as session:
        principal = tenants.authenticate(session, key)
        found = reports.trend(session, principal, "desk", labels[0], labels[-1])
    if html:
        trend_html(found, trend_pictures(found))
    else:
        json.dumps([report_json(r) for r in found])
    return time.perf_counter() - started


def one_html(database: Database, key: str, label: str) -> float:
    """One month's report as the API serves its HTML: with its pictures, drawn from the
    evidence it was judged on (read again when the report was kept)."""
    started = time.perf_counter()
    with database.session() as session:
        principal = tenants.authenticate(session, key)
        found = reports.report(session, principal, "desk", label)
        agreement, evidence = reports.judged_on(session, principal, "desk", found)
        report_html(found, report_pictures(found, agreement, evidence))
    return time.perf_counter() - started


def counted(evaluated: list[str], run: Callable[[], float]) -> tuple[float, int]:
    evaluated.clear()
    seconds = run()
    return seconds, len(evaluated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--tickets", type=int, default=300, help="tickets a month")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    arguments = parser.parse_args()

    clock = Clock(NOW)
    for module in (reports, ingest, agreements, tracking):
        module.now = clock  # type: ignore[attr-defined]
    evaluated = count_evaluations()

    name = f"accord_bench_portal_{os.getpid()}"
    with scratch_database(name, arguments.postgres) as database:
        started = time.perf_counter()
        key, labels = load(database, arguments.years, arguments.tickets)
        loaded = time.perf_counter() - started
        clock.moment = NOW + timedelta(hours=1)
        closed = labels[len(labels) // 2]
        print(
            f"{database.engine.dialect.name}: from {labels[0]}, {len(labels)} months "
            f"({len(labels) - 1} closed), {arguments.tickets} tickets and 4 outages a month "
            f"(loaded in {loaded:.1f} s)"
        )
        first, first_n = counted(evaluated, lambda: page(database, key, labels))
        later = []
        for n in range(arguments.repeat):
            clock.moment = NOW + timedelta(hours=2 + n)
            later.append(counted(evaluated, lambda: page(database, key, labels)))
        trends = {}
        for html in (False, True):
            trends[html] = [
                counted(evaluated, lambda: trend(database, key, labels, html))  # noqa: B023
                for _ in range(arguments.repeat)
            ]
        one_later = [page(database, key, [closed]) for _ in range(arguments.repeat)]
        one_html_later = [one_html(database, key, closed) for _ in range(arguments.repeat)]
        with reports_unkept():
            one_fresh = [page(database, key, [closed]) for _ in range(arguments.repeat)]
        times = [t for t, _ in later]
        print(f"whole page, first view:  {first:8.3f} s  ({first_n} periods evaluated)")
        print(
            f"whole page, later views: best {min(times):8.3f} s, median "
            f"{statistics.median(times):.3f} s  ({later[0][1]} period evaluated)  "
            f"-> {first / min(times):.1f}x faster"
        )
        for html, runs in trends.items():
            best = min(t for t, _ in runs)
            print(
                f"trend of every month ({'HTML' if html else 'JSON'}), later views: best "
                f"{best:8.3f} s, median {statistics.median(t for t, _ in runs):.3f} s  "
                f"({runs[0][1]} period evaluated)"
            )
        print(
            f"one closed month ({closed}): judged {min(one_fresh) * 1000:.1f} ms (best), "
            f"kept {min(one_later) * 1000:.1f} ms (best) -> "
            f"{min(one_fresh) / min(one_later):.1f}x"
        )
        print(
            f"one closed month ({closed}) as HTML with its pictures, kept: "
            f"{min(one_html_later) * 1000:.1f} ms (best), "
            f"median {statistics.median(one_html_later) * 1000:.1f} ms"
        )
        # a late ticket event into a month two years back
        late = labels[max(0, len(labels) - 25)]
        opened = datetime.strptime(late, "%Y-%m").replace(tzinfo=UTC) + timedelta(days=14)
        clock.moment = NOW + timedelta(days=1)
        with database.session() as session:
            principal = tenants.authenticate(session, key)
            ingest.ingest_events(
                session,
                principal,
                [ingest.EventIn.model_validate_json(_json(e)) for e in ticket("LATE", opened, 9)],
            )
        clock.moment = NOW + timedelta(days=1, hours=1)
        after, after_n = counted(evaluated, lambda: page(database, key, labels))
        print(
            f"after a late ticket of {late}: whole page {after:.3f} s "
            f"({after_n} periods evaluated: the open month and {late}"
            + (" and the months whose window reaches it)" if after_n > 2 else ")")
        )


class reports_unkept:  # noqa: N801 - used as a statement
    """Within: reports judged from scratch, nothing kept read or written."""

    def __enter__(self) -> None:
        self.saved = reports._kept, reports._keep
        reports._kept = lambda session, slot: None  # type: ignore[assignment]
        reports._keep = lambda *args: None  # type: ignore[assignment]

    def __exit__(self, *args: object) -> None:
        reports._kept, reports._keep = self.saved  # type: ignore[assignment]


if __name__ == "__main__":
    main()
