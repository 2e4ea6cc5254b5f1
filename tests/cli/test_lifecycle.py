"""`accord agreement`: an operator proposes a draft on the server's database, the customer's
admin accepts it (acting as that person), the proposals waiting are listed, the history is
exported as JSON Lines and verified, and an edited export is caught naming its entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.service import agreements, people, tenants
from accord.store import connect
from tests.service.agreements import DESK

runner = CliRunner()
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def drafted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Organisation acme with ACME's admin ana@acme-corp.example and viewer vic@..., and
    version 1 of desk agreed, version 2 a draft."""
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    database = connect(url)
    with database.session() as session:
        organisation = tenants.create_organisation(session, "acme", "ACME Support")
        operator = tenants.Principal(organisation.id, "acme", "admin", actor="test")
        moment = tenants.now()
        for email, role in (
            ("ana@acme-corp.example", "customer_admin"),
            ("vic@acme-corp.example", "customer_viewer"),
        ):
            people.add_person(
                session, organisation.id, email, PASSWORD, role, moment, customer="acme-corp"
            )
        agreements.upload(session, operator, DESK)
        agreements.upload(
            session, operator, DESK.replace('version: "1"', 'version: "2"'), state="draft"
        )
    database.dispose()
    return url


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["agreement", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_draft_proposed_and_accepted_from_the_command_line(drafted: str) -> None:
    code, out, _ = invoke("propose", "acme", "desk", "2", "--comment", "same terms, new label")
    assert code == 0, out
    assert "version 2 (2): proposed, amendment" in out
    assert "waiting on: customer" in out
    proposed_hash = next(line.split()[1] for line in out.splitlines() if "hash" in line)

    code, out, _ = invoke("waiting", "acme")
    assert code == 0
    assert "desk" in out
    assert "customer" in out

    code, _, err = invoke(
        "accept", "acme", "desk", "2", "--hash", proposed_hash, "--as", "vic@acme-corp.example"
    )
    assert code == 2
    assert "is a customer_viewer" in err

    code, out, _ = invoke(
        "accept", "acme", "desk", "2", "--hash", proposed_hash, "--as", "ana@acme-corp.example"
    )
    assert code == 0, out
    assert "version 2 (2): in force" in out
    assert "signed for the customer by ana@acme-corp.example" in out

    code, out, _ = invoke("status", "acme", "desk")
    assert out.splitlines()[0] == "agreement desk: in force"
    assert "version 1 (1): amended" in out


def test_a_step_out_of_turn_fails_naming_the_state(drafted: str) -> None:
    code, _, err = invoke("accept", "acme", "desk", "2", "--hash", "0" * 64)
    assert code == 2
    assert "version 2 is draft; accept applies to a version that is proposed" in err


def test_history_exported_verifies_and_an_edit_is_found(drafted: str, tmp_path: Path) -> None:
    invoke("propose", "acme", "desk", "2")
    invoke("comment", "acme", "desk", "2", "looks fine", "--as", "vic@acme-corp.example")
    export = tmp_path / "desk.jsonl"
    code, _, err = invoke("history", "acme", "desk", "-o", str(export))
    assert code == 0
    assert "written to" in err
    lines = export.read_text().splitlines()
    assert [json.loads(line)["action"] for line in lines] == [
        "recorded",
        "drafted",
        "proposed",
        "accepted",
        "commented",
    ]
    code, out, _ = invoke("verify", "--file", str(export))
    assert code == 0
    assert out.startswith("intact: 5 entries, head ")
    code, out, _ = invoke("verify", "acme", "desk", "--format", "json")
    assert json.loads(out)["intact"] is True

    edited = json.loads(lines[4])
    edited["detail"]["text"] = "looks terrible"
    export.write_text("\n".join([*lines[:4], json.dumps(edited)]) + "\n")
    code, _, err = invoke("verify", "--file", str(export))
    assert code == 1
    assert "broken at entry 5: its content does not match its hash" in err


def test_the_operator_withdraws_a_draft(drafted: str) -> None:
    code, _, err = invoke("withdraw", "acme", "desk", "2", "--as", "ana@acme-corp.example")
    assert code == 2
    assert "withdrawing a version is for the provider's signatory" in err
    code, out, _ = invoke("withdraw", "acme", "desk", "2", "--reason", "not needed")
    assert code == 0, out
    assert "version 2 (2): withdrawn" in out
    code, _, err = invoke("withdraw", "acme", "desk", "2")
    assert code == 2
    assert "version 2 is withdrawn; withdraw applies to a version that is draft or proposed" in err
