"""Credits and claims over a year of history: the credits page, filing, viewing, deciding.

    .venv/bin/python benchmarks/claims.py                  # SQLite
    .venv/bin/python benchmarks/claims.py --postgres       # PostgreSQL (127.0.0.1)
    .venv/bin/python benchmarks/claims.py --postgres --analyze   # its statistics made first
    .venv/bin/python benchmarks/claims.py --tickets 1000

The service's use cases as the API calls them (without HTTP), each in its own transaction: the
credits the last 12 months owe (``accord.service.claims.eligible``, ``GET
/v1/agreements/{key}/credits``), first view (every month judged, and kept) and later views
(kept results); filing a claim (its evidence frozen); one claim with its period judged now;
the list of claims; a decision. Printed: best and median of ``--repeat`` runs, and how many
periods each judged.
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

from accord.render.claims import claim_html, claim_json, credits_html  # noqa: E402
from accord.service import agreements, claims, ingest, reports, tenants, tracking  # noqa: E402
from accord.store import Database  # noqa: E402
from benchmarks.use_cases import Clock, count_evaluations, scratch_database  # noqa: E402

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
AGREEMENT = """
id: hosting
version: "1"
overview: {title: Hosting}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
services: [{id: api, name: API}]
tiers: [{id: standard, name: Standard, fee: {amount: 1000, currency: EUR}, per: month}]
objectives:
  - {id: availability, metric: availability, scope: {service: [api]}, target: 99.9%,
     calendar: 24x7}
  - id: resolution
    metric: resolution
    within: 4h
    target: 90%
    calendar: 24x7
    clock: {stop: {status: [Resolved]}}
remedies:
  credits:
    - objective: availability
      bands: [{below: 99.9%, at_least: 99%, credit: 10%}, {below: 99%, credit: 25%}]
    - objective: resolution
      bands: [{below: 90%, credit: 5%}]
  claim: {window: 30d, procedure: Claim through the portal.}
"""


def ticket(name: str, opened: datetime, hours: float) -> list[dict[str, Any]]:
    fields = {"status": "New", "customer": "acme-corp"}
    return [
        {"id": f"{name}-1", "ticket": name, "at": opened.isoformat(), "kind": "created",
         "fields": fields},
        {"id": f"{name}-2", "ticket": name, "at": (opened + timedelta(hours=hours)).isoformat(),
         "kind": "resolved", "fields": {"status": "Resolved"}},
    ]  # fmt: skip


def load(database: Database, per_month: int) -> str:
    """The organisation, the agreement (from 13 months back) and a year of tickets (one in
    six resolved late) and outages (about three hours a month: a 10% credit each month)."""
    first = datetime(NOW.year - 1, NOW.month - 1 if NOW.month > 1 else 12, 1, tzinfo=UTC)
    with database.session() as session:
        organisation = tenants.create_organisation(session, "acme", "Acme")
        _, key = tenants.create_key(session, organisation.id, "admin", name="bench")
    with database.session() as session:
        agreements.upload(session, tenants.authenticate(session, key), AGREEMENT, first)
    month = first
    n = 0
    while month < NOW.replace(day=1, hour=0):
        events = []
        for t in range(per_month):
            opened = month + timedelta(hours=(t * 673) % (27 * 24))
            events += ticket(f"T{n}-{t}", opened, 5 if t % 6 == 0 else 2)
        outages = [
            {
                "id": f"o{n}-{k}",
                "service": "api",
                "start": (month + timedelta(days=3 + 7 * k)).isoformat(),
                "end": (month + timedelta(days=3 + 7 * k, minutes=45)).isoformat(),
            }
            for k in range(4)
        ]
        with database.session() as session:
            principal = tenants.authenticate(session, key)
            ingest.ingest_events(
                session,
                principal,
                [ingest.EventIn.model_validate_json(json.dumps(e)) for e in events],
            )
            ingest.ingest_records(
                session,
                principal,
                "outage",
                [ingest.OutageIn.model_validate_json(json.dumps(o)) for o in outages],
            )
        month = (month + timedelta(days=32)).replace(day=1)
        n += 1
    return key


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300, help="tickets a month")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="on PostgreSQL, ANALYZE the tables once loaded (as autovacuum does in time)",
    )
    arguments = parser.parse_args()

    clock = Clock(NOW)
    for module in (reports, ingest, agreements, tracking, claims):
        module.now = clock  # type: ignore[attr-defined]
    evaluated = count_evaluations()
    name = f"accord_bench_claims_{os.getpid()}"
    with scratch_database(name, arguments.postgres) as database:

        def run(work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            with database.session() as session:
                return work(session, tenants.authenticate(session, key), *args, **kwargs)

        def credits_page() -> str:
            found = run(claims.eligible, "hosting")
            return credits_html(found, action="/claims", csrf_token="x")

        started = time.perf_counter()
        key = load(database, arguments.tickets)
        if arguments.postgres and arguments.analyze:
            with database.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        print(
            f"{database.engine.dialect.name}: 12 closed months, {arguments.tickets} tickets and "
            f"4 outages a month (loaded in {time.perf_counter() - started:.1f} s"
            + (", then ANALYZE)" if arguments.postgres and arguments.analyze else ")")
        )
        clock.moment = NOW + timedelta(hours=1)
        evaluated.clear()
        first = timed(credits_page)
        first_n = len(evaluated)
        later = []
        for n in range(arguments.repeat):
            clock.moment = NOW + timedelta(hours=2, minutes=n)
            evaluated.clear()
            later.append(timed(credits_page))
        later_n = len(evaluated)
        every = run(claims.eligible, "hosting")
        owed = [e for e in every if e.claimable]
        filing = []
        for item in owed[: arguments.repeat]:
            filing.append(
                timed(
                    lambda i=item: run(
                        claims.file_claim, "hosting", i.owed.objective, i.owed.period
                    )
                )
            )
        ids = [c.id for c in run(claims.listed)]
        views = [
            timed(lambda: claim_html(run(claims.view, ids[0], judged_now=True)))
            for _ in range(arguments.repeat)
        ]
        lists = [
            timed(lambda: [claim_json(c, evidence=False) for c in run(claims.listed)])
            for _ in range(arguments.repeat)
        ]
        decisions = [timed(lambda c=c: run(claims.decide, c, "accept", "ok")) for c in ids]

        def line(what: str, times: list[float], note: str = "") -> None:
            print(
                f"{what:<44} best {min(times) * 1000:8.1f} ms, median "
                f"{statistics.median(times) * 1000:8.1f} ms{note}"
            )

        print(
            f"credits of 12 months, first view: {first * 1000:8.1f} ms ({first_n} periods judged)"
        )
        line("credits of 12 months, later views (HTML)", later, f"  ({later_n} judged)")
        line(f"file a claim ({len(filing)} claims)", filing)
        line("one claim, period judged now (HTML)", views)
        line(f"list of claims ({len(ids)}, JSON)", lists)
        line(f"decide ({len(decisions)} claims)", decisions)
        print(
            f"credits owed: {len(every)}, of which {len(owed)} claimable (the others past "
            f"their deadline); {len(ids)} claimed"
        )


if __name__ == "__main__":
    main()
