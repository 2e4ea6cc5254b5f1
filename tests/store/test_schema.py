"""The migrations build the schema the models describe, on SQLite and PostgreSQL,
0005_record_spans fills the span of the outages and maintenance stored before it, and 0016's
due items' fingerprints come and go with it, as 0017's filling of the tickets' pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from accord.store import Database, connect
from accord.store.database import MIGRATIONS
from accord.store.schema import Base, RecordRow
from tests.service.conftest import throwaway_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'accord.db'}"
        return
    with throwaway_postgres("accord_schema") as url:
        yield url


def test_the_migrations_build_the_schema_of_the_models(empty_url: str) -> None:
    database = connect(empty_url)
    try:
        with database.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            spans = {
                index["name"]: index
                for index in inspect(connection).get_indexes("records")
                if index["name"] == "ix_records_spans"
            }
    finally:
        database.dispose()
    assert differences == []
    # the index holds span records only (alembic does not compare an index's condition)
    [index] = spans.values()
    assert index["column_names"] == ["organisation_id", "ends_at"]
    options = index.get("dialect_options", {})
    condition = options["sqlite_where" if "sqlite_where" in options else "postgresql_where"]
    assert "starts_at IS NOT NULL" in str(condition)


_RECORD = (
    "INSERT INTO records (organisation_id, kind, record_id, customer, service, at, payload, "
    "received_at) VALUES (1, :kind, :id, NULL, 'api', :at, :payload, :at)"
)


def _insert(database: Database, rows: list[dict[str, object]]) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisations (slug, name, created_at) VALUES ('a', 'A', :at)"),
            {"at": _stored(database, datetime(2026, 1, 1, tzinfo=UTC))},
        )
        connection.execute(text(_RECORD), rows)


def _stored(database: Database, moment: datetime) -> object:
    """An instant as the store writes it (SQLite: naive UTC text)."""
    if database.is_postgresql:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def test_the_span_of_records_stored_before_the_migration_is_filled_from_their_payload(
    empty_url: str,
) -> None:
    database = connect(empty_url, upgrade=False)
    try:
        database.upgrade(revision="0004_period_results")
        start = datetime(2026, 10, 5, 10, tzinfo=UTC)
        rows: list[dict[str, object]] = [
            {
                "kind": "outage",
                "id": "closed",
                "at": _stored(database, start),
                # as ingest writes it: UTC ("Z"); another offset is read as the same instant
                "payload": '{"service": "api", "start": "2026-10-05T10:00:00Z", '
                '"end": "2026-10-05T12:45:00+02:00"}',
            },
            {
                "kind": "outage",
                "id": "open",
                "at": _stored(database, start),
                "payload": '{"service": "api", "start": "2026-10-05T10:00:00Z"}',
            },
            {
                "kind": "maintenance",
                "id": "work",
                "at": _stored(database, start),
                "payload": '{"service": "api", "start": "2026-10-05T10:00:00Z", '
                '"end": "2026-10-05T11:00:00Z", "announced_at": "2026-10-01T00:00:00Z"}',
            },
            {
                "kind": "probe",
                "id": "p",
                "at": _stored(database, start),
                "payload": '{"service": "api", "at": "2026-10-05T10:00:00Z", "ok": true}',
            },
        ]
        for n in range(2_500):  # more than a batch of the migration's
            rows.append(
                {
                    "kind": "outage",
                    "id": f"o{n:05d}",
                    "at": _stored(database, start),
                    "payload": '{"service": "api", "start": "2026-10-05T10:00:00Z", '
                    '"end": "2026-10-06T10:00:00Z"}',
                }
            )
        _insert(database, rows)
        database.upgrade()
        with database.session() as session:
            found = {
                row.record_id: (row.starts_at, row.ends_at)
                for row in session.query(RecordRow).order_by(RecordRow.record_id)
            }
    finally:
        database.dispose()
    assert found["closed"] == (start, datetime(2026, 10, 5, 10, 45, tzinfo=UTC))
    assert found["open"] == (start, None)
    assert found["work"] == (start, datetime(2026, 10, 5, 11, tzinfo=UTC))
    assert found["p"] == (None, None)
    assert found["o02499"] == (start, datetime(2026, 10, 6, 10, tzinfo=UTC))
    assert all(found[f"o{n:05d}"][1] is not None for n in range(2_500))


def test_the_due_items_fingerprints_come_and_go_with_0016(empty_url: str) -> None:
    """0016 adds each due item's fingerprint (null for the items stored before); its downgrade
    drops it and keeps the items, and the upgrade after it adds it again."""
    database = connect(empty_url, upgrade=False)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    moment = _stored(database, datetime(2026, 10, 5, 10, tzinfo=UTC))
    item = (
        "INSERT INTO due_items (organisation_id, subject, customer, agreement, objective, cycle, "
        "level, at, status, due_at, notify, channels, updated_at) VALUES (1, 'T1', NULL, 'a', "
        "'o', 0, 1, '50%', 'pending', :at, '[]', '[]', :at)"
    )

    def columns() -> set[str]:
        with database.engine.connect() as connection:
            return {c["name"] for c in inspect(connection).get_columns("due_items")}

    def migrate(step: Callable[[Config, str], None], revision: str) -> None:
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    try:
        database.upgrade(revision="0015_clock_fields_event")
        with database.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO organisations (slug, name, created_at) VALUES ('a', 'A', :at)"),
                {"at": moment},
            )
            connection.execute(text(item), {"at": moment})
        assert "row_hash" not in columns()
        database.upgrade()
        assert "row_hash" in columns()
        with database.engine.begin() as connection:
            assert connection.execute(text("SELECT row_hash FROM due_items")).all() == [(None,)]
            connection.execute(text("UPDATE due_items SET row_hash = -5"))
        migrate(command.downgrade, "0015_clock_fields_event")
        assert "row_hash" not in columns()
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT subject, level FROM due_items")).all() == [
                ("T1", 1)
            ]
        migrate(command.upgrade, "head")
        assert "row_hash" in columns()
    finally:
        database.dispose()


@contextmanager
def _organisation(database: Database, moment: object) -> Iterator[Connection]:
    """A transaction in which organisation 1 is stored."""
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisations (slug, name, created_at) VALUES ('a', 'A', :at)"),
            {"at": moment},
        )
        yield connection


def _migrate(database: Database, step: Callable[[Config, str], None], revision: str) -> None:
    """An alembic command (upgrade or downgrade) to this revision, on the database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def test_the_tickets_pages_are_filled_to_70_percent_with_0017(empty_url: str) -> None:
    """0017 keeps 30% of each page of ``tickets`` free on PostgreSQL (room for a lease's new
    row version on its page); its downgrade puts back the default; the tickets stay, on
    SQLite (nothing to set there) as on PostgreSQL."""
    database = connect(empty_url, upgrade=False)
    moment = _stored(database, datetime(2026, 12, 8, 3, tzinfo=UTC))

    def options() -> list[str]:
        if not database.is_postgresql:
            return []
        with database.engine.connect() as connection:
            found = connection.execute(
                text("SELECT reloptions FROM pg_class WHERE relname = 'tickets'")
            ).scalar()
        return list(found or [])

    def tickets() -> list[tuple[object, ...]]:
        with database.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text("SELECT ticket FROM tickets"))]

    try:
        database.upgrade(revision="0016_due_item_row_hash")
        with _organisation(database, moment) as connection:
            connection.execute(
                text(
                    "INSERT INTO tickets (organisation_id, ticket, dirty, changed_at) "
                    "VALUES (1, 'T1', true, :at)"
                ),
                {"at": moment},
            )
        assert options() == []
        database.upgrade()
        assert options() == (["fillfactor=70"] if database.is_postgresql else [])
        assert tickets() == [("T1",)]
        _migrate(database, command.downgrade, "0016_due_item_row_hash")
        assert options() == []
        assert tickets() == [("T1",)]
        _migrate(database, command.upgrade, "head")
        assert options() == (["fillfactor=70"] if database.is_postgresql else [])
    finally:
        database.dispose()
