"""A provider with agreements of two customers (acme-corp and globex-retail), and one person of
each role; the store's fixtures (SQLite and PostgreSQL) are the service tests'."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from accord.api import create_app
from accord.service import agreements, people, tenants
from accord.settings import Settings
from accord.store import Database, connect
from tests.service.agreements import DESK, OTHER
from tests.service.conftest import (  # noqa: F401 (sqlite_template: a fixture)
    empty_tables,
    settings_for,
    sqlite_template,
    throwaway_postgres,
)

PASSWORD = "a long enough password"
MOMENT = datetime(2026, 12, 7, 9, tzinfo=UTC)


@pytest.fixture(scope="session")
def portal_postgres() -> Iterator[Database]:
    """A PostgreSQL database of the portal's tests' own (the service tests' session database
    is theirs: a fixture imported here would make a second one under the same name)."""
    with throwaway_postgres("accord_portal") as url:
        found = connect(url)
        yield found
        found.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from sqlite_or_postgres(request, tmp_path, "portal_postgres")


def sqlite_or_postgres(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: str
) -> Iterator[Database]:
    """A new SQLite file (a copy of the run's migrated template, as the service tests have
    theirs), or the session's PostgreSQL database (fixture ``postgres``) with its tables
    emptied and sequences restarted, as ``request.param`` says."""
    if request.param == "sqlite":
        path = tmp_path / "accord.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        found = connect(f"sqlite:///{path}")  # at the newest revision already: no migration
        yield found
        found.dispose()
        return
    found = request.getfixturevalue(postgres)
    empty_tables(found)
    yield found


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, with a small cost: the tests check the flows, not the hashing's cost
    (test_people checks the cost the service uses)."""
    monkeypatch.setattr(people, "hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@dataclass
class Provider:
    """The organisation and its people by role: e-mail addresses, all with PASSWORD."""

    database: Database
    organisation_id: int
    admin_key: str

    def principal(self, email: str) -> tenants.Principal:
        with self.database.session() as session:
            person = session.query(people.Person).filter_by(email=email).one()
            return people.principal_of(person, "prov")


@pytest.fixture
def provider(database: Database) -> Provider:
    with database.session() as session:
        organisation = tenants.create_organisation(session, "prov", "Provider Ltd")
        _, key = tenants.create_key(session, organisation.id, "admin")
        admin = tenants.Principal(organisation.id, "prov", "admin", actor="test")
        agreements.upload(session, admin, DESK)
        agreements.upload(session, admin, OTHER)
        for email, role, customer in (
            ("admin@prov.example", "provider_admin", None),
            ("agent@prov.example", "provider_agent", None),
            ("boss@acme.example", "customer_admin", "acme-corp"),
            ("viewer@acme.example", "customer_viewer", "acme-corp"),
            ("viewer@globex.example", "customer_viewer", "globex-retail"),
        ):
            people.add_person(
                session, organisation.id, email, PASSWORD, role, MOMENT, customer=customer
            )
    return Provider(database, organisation.id, key)


@pytest.fixture
def settings(database: Database) -> Settings:
    return settings_for(database, sign_in_limit=3, sign_in_client_limit=6)


@pytest.fixture
def client(
    settings: Settings,
    database: Database,
    provider: Provider,
) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database)) as found:
        yield found
