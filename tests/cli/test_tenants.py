"""`accord org` and `accord key`: an operator on the server lists organisations and keys and
makes keys, on the database of ACCORD_DATABASE_URL; a key's secret is shown once only."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.service import tenants
from accord.store import connect
from accord.store.schema import Organisation

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    found = f"sqlite:///{tmp_path / 'accord.db'}"
    monkeypatch.setenv("ACCORD_DATABASE_URL", found)
    return found


def _role_of(url: str, key: str) -> tuple[str, str, str | None]:
    database = connect(url)
    with database.session() as session:
        principal = tenants.authenticate(session, key)
    database.dispose()
    return principal.organisation, principal.role, principal.customer


def test_org_list_names_every_organisation_with_its_live_keys(url: str) -> None:
    empty = runner.invoke(app, ["org", "list"])
    assert empty.exit_code == 0
    assert 'accord org create SLUG "Name"' in empty.stdout
    assert runner.invoke(app, ["org", "create", "acme", "ACME Support"]).exit_code == 0
    assert runner.invoke(app, ["org", "create", "globex", "Globex"]).exit_code == 0
    assert runner.invoke(app, ["key", "create", "acme", "--role", "read"]).exit_code == 0
    listed = runner.invoke(app, ["org", "list"])
    assert listed.exit_code == 0
    rows = [line.split("│")[1:-1] for line in listed.stdout.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row[:2] + row[3:]] for row in rows] == [
        ["acme", "ACME Support", "2"],
        ["globex", "Globex", "1"],
    ]


def test_key_create_prints_a_working_key_alone_on_stdout(url: str) -> None:
    runner.invoke(app, ["org", "create", "acme", "ACME Support"])
    made = runner.invoke(
        app, ["key", "create", "acme", "--role", "ingest", "--customer", "acme-corp"]
    )
    assert made.exit_code == 0, made.output
    assert made.stdout.count("\n") == 1  # the key alone: KEY=$(accord key create ...)
    assert _role_of(url, made.stdout.strip()) == ("acme", "ingest", "acme-corp")
    assert "shown once" in made.stderr


def test_key_list_shows_each_key_by_its_prefix_and_never_its_secret(url: str) -> None:
    first = runner.invoke(app, ["org", "create", "acme", "ACME Support"]).stdout.split()[-1]
    second = runner.invoke(app, ["key", "create", "acme", "--name", "loader"]).stdout.strip()
    listed = runner.invoke(app, ["key", "list", "acme"])
    assert listed.exit_code == 0, listed.output
    for key in (first, second):
        prefix, secret = key.split("_")[1], key.split("_", 2)[2]
        assert f"acc_{prefix}_…" in listed.stdout
        assert secret not in listed.stdout
    rows = [line for line in listed.stdout.splitlines() if line.startswith("│")]
    assert [row.split("│")[3].strip() for row in rows] == ["admin", "read"]
    assert "loader" in rows[1]


def test_org_key_still_makes_a_key_and_points_to_key_create(url: str) -> None:
    runner.invoke(app, ["org", "create", "acme", "ACME Support"])
    made = runner.invoke(app, ["org", "key", "acme", "--role", "admin"])
    assert made.exit_code == 0
    assert _role_of(url, made.stdout.strip()) == ("acme", "admin", None)
    assert "use `accord key create`" in made.stderr


@pytest.mark.parametrize("command", [["key", "list", "nope"], ["key", "create", "nope"]])
def test_an_unknown_organisation_is_one_line_and_exit_2(url: str, command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no organisation 'nope'"


def test_an_unreachable_database_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", "postgresql://accord:secret@127.0.0.1:9/accord")
    result = runner.invoke(app, ["org", "list"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: database postgresql://accord:***@127.0.0.1:9/accord: ")
    assert "secret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_org_locale_sets_the_portals_default_locale_or_refuses_naming_the_offered(
    url: str,
) -> None:
    runner.invoke(app, ["org", "create", "acme", "ACME Support"])
    done = runner.invoke(app, ["org", "locale", "acme", "de-ch"])
    assert done.exit_code == 0, done.output
    assert "default locale de-CH" in done.stdout
    refused = runner.invoke(app, ["org", "locale", "acme", "tlh"])
    assert refused.exit_code != 0
    assert "locale 'tlh': expected one of en, en-GB, de" in refused.output
    database = connect(url)
    with database.session() as session:
        kept = session.query(Organisation.locale).filter_by(slug="acme").scalar()
    database.dispose()
    assert kept == "de-CH"  # the refusal changed nothing
    assert runner.invoke(app, ["org", "locale", "acme", ""]).exit_code == 0
    database = connect(url)
    with database.session() as session:
        assert session.query(Organisation.locale).filter_by(slug="acme").scalar() is None
    database.dispose()
