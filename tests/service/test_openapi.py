"""Schemathesis against the published OpenAPI document, with every check it has, on SQLite and on
PostgreSQL: no request it makes from the schema, valid or not, gets a 5xx; every status, content
type, header and body answered is the one documented; requests the schema forbids are refused
and those it allows are accepted; keys are enforced where the document says they are needed;
wrong methods answer 405 with ``Allow``. The two ingest bodies are fuzzed like every other.

(It found an integer overflow in `offset` on its first run, and a validator crash on keys such
as '['. Once it could read the ingest bodies and run every check: customers longer than the
store keeps, version numbers past 32 bits, durations past what dates can hold (500s); a 405
whose ``Allow`` forgot GET /v1/agreements; timestamps as bare numbers accepted where the
document asks for ISO 8601.)"""

from __future__ import annotations

import atexit
import os
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import negated_parameters
from schemathesis.generation.modes import GenerationMode

from accord.api import create_app
from accord.service import tenants
from accord.settings import Settings
from accord.store import connect
from tests.service.conftest import POSTGRES
from tests.service.seeds import BEYOND_SCHEMA, seed_examples

_keys: dict[str, str] = {}


def _postgresql_url() -> str:
    """A database of this module's own, made when the module is collected, dropped at exit."""
    name = f"accord_openapi_{os.getpid()}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


def _app(url: str, label: str) -> Any:
    """One app on a fresh database with an organisation, its agreement, a ticket with events
    and an outage, so the documented examples (agreement ``desk``, ticket ``INC00042``) find
    something to answer with."""
    database = connect(url)
    atexit.register(database.dispose)  # before the database is dropped (atexit runs in reverse)
    with database.session() as session:
        organisation = tenants.create_organisation(session, "acme", "ACME")
        _, key = tenants.create_key(session, organisation.id, "admin")
    _keys[label] = key
    app = create_app(Settings(database_url="unused", demo=False, worker=False), database)
    with TestClient(app) as client:
        seed_examples(client, key)
    return app


def _check(case: Any) -> Any:
    """The case sent as schemathesis made it, its key set by :func:`_send_key` (schemathesis
    knows of it: a case negating a credential keeps it as negated), every check run on the
    answer, which is returned."""
    skipped = [positive_data_acceptance] if (case.method, case.path) in BEYOND_SCHEMA else []
    # schemathesis gives up on an answer after 10 s; on a loaded machine (two test workers and
    # other jobs on two cores) an ordinary answer has taken longer: this test checks what the
    # answers say, not how fast they come
    return case.call_and_validate(excluded_checks=skipped, timeout=120)


def _send_key(schema: Any, label: str) -> None:
    """The organisation's key sent as ``Authorization: Bearer`` through schemathesis's own
    auth: it is set on every case but those negating a credential (a malformed
    ``Authorization`` stays malformed, and is refused), and the credentials it generated for
    the other scheme are dropped. Setting the header over the case's own, behind
    schemathesis's back, replaced the malformed ``Authorization`` of a negative case with a
    valid key: the request went out valid, was rightly answered 200, and schemathesis, which
    still saw the malformed header, reported "schema-violating request accepted"."""

    @schema.auth()
    class Key:
        def get(self, case: Any, context: Any) -> str:
            return _keys[label]

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers["Authorization"] = f"Bearer {data}"


_folder = Path(tempfile.mkdtemp(prefix="accord-openapi-"))
on_sqlite = schemathesis.openapi.from_asgi(
    "/openapi.json", _app(f"sqlite:///{_folder / 'accord.db'}", "sqlite")
)
on_postgresql = schemathesis.openapi.from_asgi(
    "/openapi.json", _app(_postgresql_url(), "postgresql")
)
_send_key(on_sqlite, "sqlite")
_send_key(on_postgresql, "postgresql")


@on_sqlite.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_the_documented_one_on_sqlite(case: Any) -> None:
    _check(case)


@on_postgresql.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_the_documented_one_on_postgresql(case: Any) -> None:
    _check(case)


def _negates_authorization(case: Any) -> bool:
    return ("Authorization", ParameterLocation.HEADER) in negated_parameters(case.meta)


def test_a_malformed_authorization_is_sent_as_generated_and_refused() -> None:
    """What failed twice on clean clones, made deterministic: schemathesis negating
    ``Authorization`` (and the query, ``objective`` given as an array, which goes out as
    ``objective=null``) on GET /v1/clocks/breached. The malformed header must reach the
    service, which refuses it with 401, whatever ``X-API-Key`` says; the negative check
    passes."""
    operation = on_sqlite["/v1/clocks/breached"]["GET"]
    negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    cases = negative.filter(
        lambda case: (
            _negates_authorization(case) and case.meta.is_negative_at(ParameterLocation.QUERY)
        )
    )

    @given(cases)
    @settings(max_examples=5, derandomize=True, database=None, deadline=None)
    def refused(case: Any) -> None:
        case.query = {"objective": ["null"]}
        case.headers["X-API-Key"] = _keys["sqlite"]  # a valid key in the other header
        malformed = case.headers["Authorization"]
        response = _check(case)
        assert response.request.headers["Authorization"] == malformed
        assert response.request.url.endswith("/v1/clocks/breached?objective=null")
        assert response.status_code == 401, response.text

    refused()
