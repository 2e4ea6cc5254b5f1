"""`/health` says the process answers (it reads no database); `/ready` says the service can
take traffic: the database answers and its schema is at this code's newest migration."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from accord.api import create_app
from accord.settings import Settings
from accord.store import Database, connect
from accord.store.database import head_revision

UNREACHABLE = "postgresql://accord@127.0.0.1:9/accord"


def test_ready_when_the_database_answers_at_the_newest_migration(client: TestClient) -> None:
    answer = client.get("/ready")
    assert answer.status_code == 200
    assert answer.json()["migration"] == head_revision()
    assert client.get("/health").json()["status"] == "ok"


def test_alive_but_not_ready_when_the_database_does_not_answer() -> None:
    settings = Settings(database_url=UNREACHABLE, demo=False, worker=False)
    with TestClient(create_app(settings, connect(UNREACHABLE, upgrade=False))) as client:
        assert client.get("/health").status_code == 200
        answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("the database does not answer: ")


def test_not_ready_while_the_schema_is_behind_the_code(
    client: TestClient, database: Database
) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        answer = client.get("/ready")
    finally:
        with database.engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )
    assert answer.status_code == 503
    assert answer.json()["detail"] == (
        f"the database schema is at migration 0001, this code needs {head_revision()}: "
        "run accord db upgrade"
    )
    assert client.get("/ready").status_code == 200
