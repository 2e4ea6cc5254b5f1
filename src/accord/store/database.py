"""One handle on the database: engine, sessions and the Alembic migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.store.sealing import SecretBox

log = logging.getLogger("accord.store")
MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x61636F7264  # "accord": the PostgreSQL advisory lock key of migrations


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revision() -> str:
    """The newest migration this code knows: where ``upgrade`` brings a database."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy would look for psycopg2)."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


@dataclass
class Database:
    """An engine and its session factory; ``session()`` is one transaction."""

    engine: Engine
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back entirely on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only, in autocommit: no BEGIN, COMMIT or reset round trips.

        Each statement sees the data committed when it runs; use it for answers made of a
        single query, or where statements need not agree with each other.
        """
        with self.readers() as session:
            yield session

    def upgrade(self, secret_box: SecretBox | None = None, revision: str = "head") -> None:
        """Bring the schema to the newest migration (or ``revision``); a no-op when it is
        there already. ``secret_box`` seals the secrets a migration finds in clear text
        (without it, the keys of the environment's settings).

        Processes starting together must not migrate side by side, so the migrations run
        under a lock, and the schema is looked at again once it is held: on PostgreSQL an
        advisory lock held by the migrating transaction (DDL is transactional there); on
        SQLite the database file's write lock, taken first (``BEGIN IMMEDIATE``): the others
        wait for it (``busy_timeout``), then find the schema migrated.
        """
        target = head_revision() if revision == "head" else revision
        if self.revision() == target:
            return
        config = _alembic_config()
        with self.engine.connect() as connection:
            if self.is_postgresql:
                connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            before = MigrationContext.configure(connection).get_current_revision()
            if before == target:  # another process migrated it while this one waited
                return
            config.attributes["connection"] = connection
            config.attributes["secret_box"] = secret_box
            command.upgrade(config, revision)
            connection.commit()
        log.info("database schema migrated from %s to %s", before or "nothing", target)
        from accord import metrics  # here: `accord serve` picks its metrics mode first

        steps = ScriptDirectory.from_config(config).iterate_revisions(target, before or "base")
        metrics.migrations.inc(sum(1 for _ in steps))

    def revision(self) -> str | None:
        """The migration the schema is at (None for an empty database)."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    # the wait first: switching to WAL takes a lock that processes starting together contend for
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def connect(url: str, *, upgrade: bool = True, secret_box: SecretBox | None = None) -> Database:
    """Open the database at ``url`` (SQLite file or PostgreSQL) and migrate it (sealing secrets
    found in clear text with ``secret_box``)."""
    url = normalise_url(url)
    options: dict[str, Any] = {}
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        # every session ends its transaction itself (commit or rollback), so the pool need not
        # send one more ROLLBACK when a connection comes back
        options.update(pool_size=10, max_overflow=20, pool_recycle=1800, pool_reset_on_return=None)
        # no statement may hang a request (or a server process, for reads made on its event
        # loop) for long: a minute is far beyond any statement Accord makes. psycopg prepares a
        # statement run five times, and PostgreSQL then plans it once for any values (a generic
        # plan): for the worker's `ticket IN (500 values)` reads and deletes that plan scanned
        # whole tables, 100x slower than one planned for the values (benchmarks/live.py)
        settings = "-c statement_timeout=60000 -c plan_cache_mode=force_custom_plan"
        options["connect_args"] = {"options": settings}
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    readers = sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )
    database = Database(engine, sessionmaker(engine, expire_on_commit=False), readers)
    if upgrade:
        database.upgrade(secret_box)
    return database
