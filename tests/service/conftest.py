"""The store's tests run on SQLite and on PostgreSQL (127.0.0.1:5432, started by `make test`).

PostgreSQL gets a database of its own for this test run, dropped at the end; each test starts
from empty tables. SQLite is migrated once per run into a template file, which each test copies:
a file just migrated, without running the migrations again (tests/store/test_schema.py and
test_migrations.py run them). If the server cannot be reached the tests fail: never skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from accord.api import create_app
from accord.service import agreements, ingest, reports, tenants, tracking
from accord.settings import Settings
from accord.store import Database, connect
from accord.store.schema import Base
from accord.store.sealing import new_key

POSTGRES = os.environ.get("ACCORD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET_KEYS = new_key()  # seals webhook secrets in the tests' databases (a new one each run)


@contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (named for this process), dropped after."""
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres("accord_test") as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database(postgres_url: str) -> Iterator[Database]:
    database = connect(postgres_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision, closed (its write-ahead log folded in)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "accord.db"
    migrated = connect(f"sqlite:///{path}")
    migrated.dispose()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template's log was not folded in"
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "accord.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        found = connect(f"sqlite:///{path}")  # at the newest revision already: no migration
        yield found
        found.dispose()
        return
    found = request.getfixturevalue("postgres_database")
    empty_tables(found)
    yield found


def empty_tables(database: Database) -> None:
    """Empty every table of the PostgreSQL ``database`` and start its sequences again at 1, as
    ``TRUNCATE ... RESTART IDENTITY`` does: DELETE, children first, takes 0.06 s where TRUNCATE
    (new files for each of the tables) takes 0.2 to 1 s on a busy machine."""
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        sequences = connection.scalars(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        ).all()
        for sequence in sequences:
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    reports.forget(database.engine)  # counts and ids start over: what was held is not this data
    # likewise the agreements in force: held per database and organisation until their
    # versions' count, ids and upload instants change, which tables filled again at a frozen
    # ``now`` repeat
    agreements._in_force_cache.clear()
    agreements._checked.clear()


def settings_for(database: Database, **extra: Any) -> Settings:
    """The settings of an app over ``database`` in the tests (no demo, no worker in the app,
    the tests' secret keys), with ``extra`` ones."""
    return Settings(
        database_url=str(database.engine.url.render_as_string(hide_password=False)),
        demo=False,
        worker=False,
        secret_keys=SECRET_KEYS,
        **extra,
    )


@pytest.fixture
def settings(database: Database) -> Settings:
    return settings_for(
        database,
        lease_seconds=30,
        refresh_inline_limit=50,  # the tests see due items at once; test_worker checks 0
    )


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database)) as found:
        yield found


class Tenant:
    """An organisation and its admin key, with helpers for authenticated calls."""

    def __init__(self, database: Database, slug: str) -> None:
        with database.session() as session:
            organisation = tenants.create_organisation(session, slug, slug.title())
            _, self.key = tenants.create_key(session, organisation.id, "admin")
            self.id = organisation.id
        self.slug = slug
        self.database = database

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def key_for(self, role: str, customer: str | None = None) -> dict[str, str]:
        with self.database.session() as session:
            _, key = tenants.create_key(session, self.id, role, customer=customer)
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def acme(database: Database) -> Tenant:
    return Tenant(database, "acme")


@pytest.fixture
def globex(database: Database) -> Tenant:
    return Tenant(database, "globex")


def months_judged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on (for the test), the month (``YYYY-MM``, its first day's) of every period
    the service evaluates, in order, in the list returned."""
    found: list[str] = []
    evaluate: Callable[..., Any] = reports.evaluate

    def counting(*args: Any, **kwargs: Any) -> Any:
        result = evaluate(*args, **kwargs)
        found.append(f"{result.start:%Y-%m}")
        return result

    monkeypatch.setattr(reports, "evaluate", counting)
    return found


class Clock:
    """The service's clock (its modules' ``now``), moved by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, span: timedelta) -> None:
        self.moment += span


def service_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime, *also: ModuleType) -> Clock:
    """A :class:`Clock` at ``moment`` as ``now`` of ingest, uploads, reports and refreshes
    (and of the modules ``also`` names) for the test."""
    found = Clock(moment)
    for module in (reports, ingest, agreements, tracking, *also):
        monkeypatch.setattr(module, "now", found)
    return found
