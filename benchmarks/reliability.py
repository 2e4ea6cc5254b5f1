"""The reliability suite: the probes that found issue 12's defects, repeated against real
`accord serve` and `accord worker` processes on SQLite and on PostgreSQL.

    make reliability                                   # the same as:
    .venv/bin/python benchmarks/reliability.py --rounds 3
    .venv/bin/python benchmarks/reliability.py --rounds 1 --backend sqlite --examples 5

Probes (each on each backend, ``--rounds`` times where it repeats):
- sigkill: a server is killed with SIGKILL while a client sends batches of 500 events; every
  acknowledged batch must be stored whole, and no batch half written.
- workers: two worker processes deliver webhooks; the receiver holds the first request, the
  worker sending it is killed with SIGKILL; every notification must arrive exactly once (by
  delivery id), the held one sent again by the survivor after the lease (the resend path).
- duplicates: the same batch sent by four clients at once, two of them in the opposite order;
  the events count once, and no answer is a 5xx.
- tenants: every operation of the live OpenAPI document, tried by another organisation's admin
  key and by a key scoped to another customer, with the first organisation's ids; no answer
  shows its data, no path naming its things answers 2xx, nothing of it changes. An operation
  the probe has no request for is listed by name and fails the suite.
- schemathesis: cases generated from the live document (valid and invalid), sent to the
  server; no 5xx.

It prints a table per probe and backend, and exits 1 if an invariant fails. Figures go to
RELIABILITY.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))  # the tests' helpers are reused, not copied

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from accord.store import Database, connect  # noqa: E402
from accord.store.schema import Delivery, EventRow, RecordRow  # noqa: E402
from tests.cli.server import start, stop, wait_healthy  # noqa: E402
from tests.service.agreements import DESK, OTHER  # noqa: E402
from tests.service.conftest import POSTGRES, SECRET_KEYS, Tenant  # noqa: E402
from tests.service.receiver import start_receiver  # noqa: E402
from tests.service.seeds import BEYOND_SCHEMA, seed_examples  # noqa: E402
from tests.service.test_api import ticket, upload  # noqa: E402
from tests.service.test_contention import at_once, events  # noqa: E402
from tests.service.test_reliability import kill_mid_ingest  # noqa: E402

LOCAL = "127.0.0.1"  # the probes' receivers run here, allowed as on-premises ones are
SERVER = {
    "demo": "false",
    "worker": "false",
    "refresh_inline_limit": "0",
    "secret_keys": SECRET_KEYS,
    "webhook_allow_hosts": LOCAL,
}
Row = dict[str, Any]
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    if not ok:
        failures.append(what)


@contextmanager
def backend(name: str, folder: Path) -> Iterator[tuple[str, Database]]:
    """A fresh database of the backend (PostgreSQL: one of this run's own, dropped after)."""
    if name == "sqlite":
        url = f"sqlite:///{folder / 'accord.db'}"
        database = connect(url)
        try:
            yield url, database
        finally:
            database.dispose()
        return
    own = f"accord_reliability_{os.getpid()}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{own}"')
        admin.execute(f'CREATE DATABASE "{own}"')
    url = POSTGRES.rsplit("/", 1)[0] + f"/{own}"
    database = connect(url)
    try:
        yield url, database
    finally:
        database.dispose()
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')


@contextmanager
def server(url: str, folder: Path, name: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    process, base = start(url, output=folder / name, **SERVER)
    try:
        wait_healthy(base, process)
        yield process, base
    finally:
        if process.poll() is None:
            stop(process)


def count(database: Database, model: Any, organisation: int) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(model)
        return session.scalar(query.where(model.organisation_id == organisation)) or 0


# -- SIGKILL during ingest ------------------------------------------------------------------


def sigkill(url: str, database: Database, folder: Path, rounds: int) -> Row:
    figures = Counter[str]()
    for number in range(rounds):
        tenant = Tenant(database, f"kill-{number}")
        try:  # killed after 3 to 6 acknowledged batches, the next one in flight
            acknowledged, per_batch, _ = kill_mid_ingest(
                database, tenant, folder / f"kill-{number}", after=3 + number % 4
            )
        except AssertionError as error:  # an answer other than 200
            failures.append(f"sigkill: {error}")
            continue
        figures["rounds"] += 1
        figures["acknowledged"] += 500 * len(acknowledged)
        figures["lost"] += sum(500 - per_batch[n] for n in acknowledged)
        figures["half written"] += sum(1 for n in per_batch.values() if n != 500)
    check(figures["lost"] == 0, "sigkill: acknowledged events lost")
    check(figures["half written"] == 0, "sigkill: a batch was half written")
    return dict(figures)


# -- two workers, one killed mid-delivery ---------------------------------------------------


def workers(url: str, database: Database, folder: Path, rounds: int, tickets: int = 20) -> Row:
    figures = Counter[str]()
    environment = {
        **os.environ,
        "ACCORD_DATABASE_URL": url,
        "ACCORD_LEASE_SECONDS": "2",
        "ACCORD_WEBHOOK_TIMEOUT": "60",
        "ACCORD_WEBHOOK_ALLOW_HOSTS": LOCAL,
        "ACCORD_SECRET_KEYS": SECRET_KEYS,
    }
    with server(url, folder, "workers") as (_, base):
        for number in range(rounds):
            receiver = start_receiver()
            receiver.hang_first = True
            tenant = Tenant(database, f"deliver-{number}")
            with httpx.Client(base_url=base, headers=tenant.headers, timeout=60) as http:
                hook = http.post("/v1/webhooks", json={"url": receiver.url})
                assert hook.status_code == 201, hook.text
                upload(http, tenant)  # type: ignore[arg-type]
                opened = datetime.now(UTC) - timedelta(hours=5)  # 50% and breach are due
                sent = [e for n in range(tickets) for e in ticket(f"R{number}-{n}", opened)]
                assert http.post("/v1/events", json=sent).status_code == 200
            children = [
                subprocess.Popen(
                    [sys.executable, "-m", "accord.cli", "worker"],
                    env=environment,
                    stdout=(folder / f"worker-{number}-{k}.out").open("wb"),
                    stderr=subprocess.STDOUT,
                )
                for k in range(2)
            ]
            expected = 2 * tickets
            try:
                assert receiver.started.wait(120), "no worker sent anything"
                with database.session() as session:
                    holder = session.scalar(
                        select(Delivery.claimed_by).where(Delivery.id == int(receiver.hung[0]))
                    )
                victim = next(c for c in children if holder == f"{socket.gethostname()}:{c.pid}")
                victim.send_signal(signal.SIGKILL)
                victim.wait(10)
                receiver.release.set()
                deadline = time.monotonic() + 120
                while len(receiver.distinct()) < expected and time.monotonic() < deadline:
                    time.sleep(0.2)
                time.sleep(3)  # more than a lease: a second send would show by now
            finally:
                for child in children:
                    if child.poll() is None:
                        stop(child)
                receiver.server.shutdown()
            received = [r.delivery for r in receiver.received]
            subjects = Counter((r.payload["subject"], r.payload["at"]) for r in receiver.received)
            figures["rounds"] += 1
            figures["expected"] += expected
            figures["delivered"] += len(set(received))
            figures["duplicates"] += len(received) - len(set(received))
            figures["duplicates"] += sum(n - 1 for n in subjects.values())
            figures["resent after kill"] += received.count(receiver.hung[0])
    check(figures["delivered"] == figures["expected"], "workers: a notification never arrived")
    check(figures["duplicates"] == 0, "workers: a notification arrived twice")
    check(figures["resent after kill"] == figures["rounds"], "workers: the held one not resent")
    return dict(figures)


# -- concurrent duplicate batches -----------------------------------------------------------


def duplicates(url: str, database: Database, folder: Path, rounds: int) -> Row:
    figures = Counter[str]()
    tenant = Tenant(database, "twice")
    with (
        server(url, folder, "duplicates") as (_, base),
        httpx.Client(base_url=base, timeout=120) as http,
    ):
        upload(http, tenant)  # type: ignore[arg-type]
        for number in range(rounds):
            for size in (150, 1000):  # one statement, and the bulk path
                sent = events(10_000 + 10 * number + size // 1000, size)
                answers = at_once(
                    *[
                        (http, "/v1/events", order, tenant.headers)  # type: ignore[misc]
                        for order in (sent, sent[::-1], sent, sent[::-1])
                    ]
                )
                figures["batches"] += len(answers)
                figures["events sent"] += size * len(answers)
                figures["distinct events"] += size
                figures["5xx"] += sum(a.status_code >= 500 for a in answers)
                figures["other errors"] += sum(400 <= a.status_code < 500 for a in answers)
                figures["counted stored"] += sum(
                    a.json()["stored"] for a in answers if a.status_code == 200
                )
    figures["stored"] = count(database, EventRow, tenant.id)
    check(figures["5xx"] == 0 and figures["other errors"] == 0, "duplicates: an error answer")
    check(figures["stored"] == figures["distinct events"], "duplicates: stored more than once")
    check(figures["counted stored"] == figures["distinct events"], "duplicates: counted twice")
    return dict(figures)


# -- cross-tenant requests on every operation -----------------------------------------------

MARKERS = ("acme-secret",)  # in acme's agreement, webhook and key; never in an intruder's request
MOMENT = "2026-11-02T09:00:00+00:00"


def _requests(ids: dict[str, str]) -> dict[tuple[str, str], Row]:
    """For each operation: the path with acme's ids, and a body (None: no body)."""
    record = {"id": "acme-o1", "service": "api"}
    return {
        ("POST", "/v1/events"): {
            "json": [{"id": "ACME-T1-1", "ticket": "ACME-T1", "at": MOMENT, "kind": "resolved"}]
        },
        ("POST", "/v1/data/outages"): {"json": [{**record, "start": MOMENT}]},
        ("POST", "/v1/data/maintenance"): {
            "json": [{**record, "start": MOMENT, "end": "2026-11-02T10:00:00+00:00"}]
        },
        ("POST", "/v1/data/probes"): {"json": [{**record, "at": MOMENT, "ok": False}]},
        ("POST", "/v1/data/requests"): {
            "json": [{**record, "start": MOMENT, "end": MOMENT, "total": 10, "good": 1}]
        },
        ("POST", "/v1/data/measurements"): {
            "json": [{**record, "metric": "latency", "at": MOMENT, "value": 1.0}]
        },
        ("GET", "/v1/tickets/{ticket}"): {"path": "/v1/tickets/ACME-T1"},
        ("GET", "/v1/clocks/at-risk"): {"path": "/v1/clocks/at-risk?within=366d"},
        ("GET", "/v1/clocks/breached"): {},
        ("POST", "/v1/agreements"): {
            "content": OTHER.replace("id: globex-desk", "id: desk"),
            "headers": {"Content-Type": "application/yaml"},
        },
        ("GET", "/v1/agreements"): {},
        ("GET", "/v1/agreements/{key}"): {"path": "/v1/agreements/desk"},
        ("GET", "/v1/agreements/{key}/versions/{number}"): {
            "path": "/v1/agreements/desk/versions/1"
        },
        ("GET", "/v1/agreements/{key}/diff"): {"path": "/v1/agreements/desk/diff?from=1&to=1"},
        ("GET", "/v1/agreements/{key}/reports/{period}"): {
            "path": "/v1/agreements/desk/reports/2026-11"
        },
        ("GET", "/v1/agreements/{key}/attainment"): {
            "path": "/v1/agreements/desk/attainment?period=2026-11"
        },
        ("GET", "/v1/keys"): {},
        ("POST", "/v1/keys"): {"json": {"role": "read", "customer": "acme-corp"}},
        ("DELETE", "/v1/keys/{key_id}"): {"path": f"/v1/keys/{ids['key']}"},
        ("GET", "/v1/webhooks"): {},
        ("POST", "/v1/webhooks"): {"json": {"url": f"http://{LOCAL}:9/intruder"}},
        ("DELETE", "/v1/webhooks/{hook_id}"): {"path": f"/v1/webhooks/{ids['hook']}"},
        ("GET", "/health"): {},
        ("GET", "/ready"): {},
    }


def _acme_view(http: httpx.Client, database: Database, acme: Tenant) -> Any:
    """What acme holds: what its admin key reads (stable answers only) and its rows."""
    view: dict[str, Any] = {}
    for path in (
        "/v1/agreements",
        "/v1/agreements/desk",
        "/v1/agreements/desk/versions/1",
        f"/v1/tickets/ACME-T1?as_of={MOMENT.replace('+00:00', 'Z')}",
        "/v1/webhooks",
    ):
        view[path] = http.get(path, headers=acme.headers).text
    keys = http.get("/v1/keys", headers=acme.headers).json()
    view["keys"] = sorted((k["id"], k["role"], k["revoked_at"]) for k in keys)
    view["events"] = count(database, EventRow, acme.id)
    view["records"] = count(database, RecordRow, acme.id)
    return view


def tenants(url: str, database: Database, folder: Path) -> Row:
    figures = Counter[str]()
    acme, globex = Tenant(database, "acme-secret"), Tenant(database, "globex")
    uncovered: list[str] = []
    leaks: list[str] = []
    with (
        server(url, folder, "tenants") as (_, base),
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        marked = DESK.replace("Support desk", "Support desk ACME-SECRET")
        assert upload(http, acme, marked).status_code == 201  # type: ignore[arg-type]
        assert upload(http, globex, OTHER).status_code == 201  # type: ignore[arg-type]
        opened = datetime.fromisoformat(MOMENT)
        http.post("/v1/events", json=ticket("ACME-T1", opened), headers=acme.headers)
        outage = {"id": "acme-o1", "service": "api", "start": MOMENT}
        http.post("/v1/data/outages", json=outage, headers=acme.headers)
        hook = http.post(
            "/v1/webhooks", json={"url": f"http://{LOCAL}:9/acme-secret"}, headers=acme.headers
        ).json()["id"]
        made = http.post(
            "/v1/keys", json={"role": "admin", "name": "acme-secret-key"}, headers=acme.headers
        ).json()
        requests = _requests({"key": str(made["id"]), "hook": str(hook)})
        intruders = {
            "another organisation": globex.headers,
            "another customer": acme.key_for("read", customer="globex-retail"),
        }
        document = http.get("/openapi.json").json()
        operations = [
            (method.upper(), path)
            for path, methods in document["paths"].items()
            for method in methods
        ]
        before = _acme_view(http, database, acme)
        reads = sorted(operations, key=lambda o: o[0] != "GET")  # reads before writes
        for method, template in reads:
            request = requests.get((method, template))
            if request is None:
                uncovered.append(f"{method} {template}")
                continue
            figures["operations covered"] += 1
            for who, headers in intruders.items():
                answer = http.request(
                    method,
                    request.get("path", template),
                    headers={**headers, **request.get("headers", {})},
                    json=request.get("json"),
                    content=request.get("content"),
                )
                figures["requests"] += 1
                text = answer.text.lower()
                if any(marker in text for marker in MARKERS):
                    leaks.append(f"{who}: {method} {template} showed acme's data: {text[:200]}")
                if "{" in template and method == "GET" and answer.is_success:
                    leaks.append(f"{who}: {method} {template} answered {answer.status_code}")
                figures["5xx"] += answer.status_code >= 500
        after = _acme_view(http, database, acme)
        leaks += [f"{name} of acme changed" for name in before if before[name] != after[name]]
    figures["operations in document"] = len(operations)
    figures["leaks"] = len(leaks)
    for line in leaks + [f"not covered: {o}" for o in uncovered]:
        print(f"  tenants: {line}")
    check(not leaks, "tenants: a request crossed tenants")
    check(not uncovered, f"tenants: operations not covered: {', '.join(uncovered)}")
    check(figures["5xx"] == 0, "tenants: a 5xx")
    return dict(figures) | {"not covered": ", ".join(uncovered) or "none"}


EXAMPLES = [10]  # cases a generation mode of each operation (set by --examples)

# -- schemathesis ---------------------------------------------------------------------------


def fuzz(url: str, database: Database, folder: Path, examples: int) -> Row:
    import schemathesis
    from hypothesis.errors import HypothesisException
    from schemathesis import GenerationMode
    from schemathesis.checks import positive_data_acceptance

    EXAMPLES[0] = examples
    figures = Counter[str]()
    tenant = Tenant(database, "fuzzed")
    errors: list[str] = []
    with server(url, folder, "schemathesis") as (_, base):
        with httpx.Client(base_url=base, timeout=60) as http:
            seed_examples(http, tenant.key)
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            skipped = (
                [positive_data_acceptance] if tuple(label.split(" ", 1)) in BEYOND_SCHEMA else []
            )
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                cases = figures["cases"]
                try:
                    _sender(operation, mode, label, skipped, tenant.headers, figures, errors)()
                except HypothesisException as error:
                    print(
                        f"  schemathesis: {label} ({mode.value}): {str(error).splitlines()[0][:90]}"
                    )
                if figures["cases"] == cases:  # e.g. no invalid request exists without params
                    figures[f"no {mode.value} case"] += 1
            figures["operations"] += 1
    figures["server errors"] = len(errors)
    figures["contract failures"] += 0  # shown when none
    for line in sorted(set(errors)):
        print(f"  schemathesis: {line}")
    check(not errors, "schemathesis: a server error")
    check(figures["no positive case"] == 0, "schemathesis: an operation had no valid case")
    return dict(figures)


def _sender(
    operation: Any,
    mode: Any,
    label: str,
    skipped: list[Any],
    headers: dict[str, str],
    figures: Counter[str],
    errors: list[str],
) -> Callable[[], None]:
    """A hypothesis test sending ``examples`` cases of ``operation``, counting server errors
    and answers that are not the documented ones (every check, as in test_openapi.py)."""
    from hypothesis import HealthCheck, Phase, given, settings

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[0],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def send(case: Any) -> None:
        response = case.call(headers=headers, timeout=60)
        figures["cases"] += 1
        if response.status_code >= 500:
            errors.append(f"{label}: {response.status_code}")
        try:
            case.validate_response(response, excluded_checks=skipped)
        except Exception:  # schemathesis' failures and groups of them
            figures["contract failures"] += 1

    return send  # type: ignore[no-any-return]


# -- the run --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the repeated probes")
    parser.add_argument("--examples", type=int, default=10, help="schemathesis cases a mode")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--probe", choices=PROBES, action="append")
    arguments = parser.parse_args()
    results: list[tuple[str, str, Row]] = []
    started = time.monotonic()
    for name in arguments.backend or ("sqlite", "postgresql"):
        for probe in arguments.probe or PROBES:
            folder = Path(tempfile.mkdtemp(prefix=f"accord-reliability-{probe}-"))
            with backend(name, folder) as (url, database):
                begun = time.monotonic()
                row = PROBES[probe](url, database, folder, arguments)
                row["seconds"] = round(time.monotonic() - begun, 1)
            results.append((probe, name, row))
            print(f"{probe:<13} {name:<10} {json.dumps(row)}", flush=True)
    print()
    for probe in arguments.probe or PROBES:
        rows = [(name, row) for p, name, row in results if p == probe]
        columns = list(dict.fromkeys(c for _, row in rows for c in row))
        print(f"{probe}:")
        print("| backend | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for name, row in rows:
            print(f"| {name} | " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
        print()
    print(f"{time.monotonic() - started:.0f} s in all")
    for failure in failures:
        print(f"FAILED: {failure}")
    print("all invariants hold" if not failures else f"{len(failures)} invariants failed")
    return 1 if failures else 0


PROBES: dict[str, Callable[[str, Database, Path, argparse.Namespace], Row]] = {
    "sigkill": lambda u, d, f, a: sigkill(u, d, f, a.rounds),
    "workers": lambda u, d, f, a: workers(u, d, f, a.rounds),
    "duplicates": lambda u, d, f, a: duplicates(u, d, f, a.rounds),
    "tenants": lambda u, d, f, a: tenants(u, d, f),
    "schemathesis": lambda u, d, f, a: fuzz(u, d, f, a.examples),
}

if __name__ == "__main__":
    sys.exit(main())
