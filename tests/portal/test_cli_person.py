"""`accord person invite`: an operator on the server invites an organisation's first provider
admin; the link, printed alone on stdout, opens the form to choose a password."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.service import people, tenants
from accord.store import connect

runner = CliRunner()


def test_person_invite_prints_a_link_that_sets_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    monkeypatch.setenv("ACCORD_PUBLIC_URL", "https://sla.example.com")
    assert runner.invoke(app, ["org", "create", "acme", "ACME"]).exit_code == 0
    done = runner.invoke(app, ["person", "invite", "acme", "Boss@Acme.example"])
    assert done.exit_code == 0, done.output
    link = done.stdout.strip()
    assert link.startswith("https://sla.example.com/portal/invitation?token=")
    database = connect(url)
    try:
        with database.session() as session:
            person = people.accept(
                session, link.split("token=")[1], "the first admin's words", tenants.now()
            )
            assert (person.email, person.role, person.customer) == (
                "boss@acme.example",
                "provider_admin",
                None,
            )
            later = tenants.now() + timedelta(seconds=1)
            signed = people.sign_in(
                session, "boss@acme.example", "the first admin's words", later, client="cli"
            )
            assert signed.opened is not None
    finally:
        database.dispose()
    refused = runner.invoke(
        app, ["person", "invite", "acme", "x@acme.example", "--role", "customer_viewer"]
    )
    assert refused.exit_code != 0
    assert "needs the customer they are of" in refused.output
