"""The command line, as a person checking a date by hand uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "calendars"
OFFICE = str(EXAMPLES / "new-york-office.yaml")
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_elapsed_over_christmas() -> None:
    # Wed 15:00-17:00, Saturday 10:00-12:00 and 13:00-15:00, Mon 09:00-10:00; the 24th and 25th
    # are closed
    code, out = run("calendar", "elapsed", OFFICE, "2026-12-23T15:00", "2026-12-28T10:00")
    assert code == 0
    assert out.strip() == "7h00m"


def test_elapsed_negative_when_end_is_earlier() -> None:
    code, out = run("calendar", "elapsed", OFFICE, "2026-03-10T15:00", "2026-03-09T10:00")
    assert (code, out.strip()) == (0, "-13h00m")


def test_add_gives_the_deadline_in_the_calendars_zone() -> None:
    code, out = run("calendar", "add", OFFICE, "2026-12-23T20:30+00:00", "4h")
    # 15:30 in New York: 1h30 on Wednesday, then Saturday 10:00-12:00 and 13:00-13:30
    assert (code, out.strip()) == (0, "2026-12-26T13:30:00-05:00")


def test_explain_lists_intervals_and_named_holidays() -> None:
    code, out = run("calendar", "explain", OFFICE, "2026-12-23T09:00", "2026-12-29T12:00")
    assert code == 0
    assert "Christmas Day" in out
    assert "Company holiday" in out
    assert "business time: 23h00m" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("calendar", "add", OFFICE, "2026-12-23T16:30", "4 hours"),
            "malformed duration '4 hours'",
        ),
        (("calendar", "add", OFFICE, "23/12/2026", "4h"), "start: malformed instant '23/12/2026'"),
        (("calendar", "elapsed", "/nonexistent.yaml", "2026-01-01", "2026-01-02"), "cannot read"),
    ],
)
def test_bad_input_gets_a_clear_error_and_exit_code(args: tuple[str, ...], message: str) -> None:
    code, out = run(*args)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


def test_a_bad_calendar_file_names_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "office.yaml"
    bad.write_text('timezone: America/New_York\nhours:\n  mon-fry: "09:00-17:00"\n')
    code, out = run("calendar", "elapsed", str(bad), "2026-01-01", "2026-01-02")
    assert code == 2
    assert f"{bad}:3: hours.mon-fry: unknown day 'fry'" in " ".join(out.split())


def test_demo_runs() -> None:
    code, out = run("demo")
    assert code == 0
    assert "new-york-office.yaml" in out


# ---------------------------------------------------------------- agreements

AGREEMENTS = Path(__file__).resolve().parents[1] / "examples" / "agreements"


def test_validate_examples_exits_zero() -> None:
    code, out = run("validate", str(AGREEMENTS))
    assert code == 0
    assert "valid" in out


def test_validate_lists_every_problem_and_exits_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\nversion: '1'\noverview: {title: Bad}\nobjectives:\n"
        "  - {id: up, metric: availabilty, target: 99.9}\n"
    )
    code, out = run("validate", str(bad))
    assert code == 1
    text = " ".join(out.split())
    assert f"{bad}:5:14: objectives[0].metric: unknown value 'availabilty'" in text
    assert f"{bad}:5:35: objectives[0].target: expected a target such as '99.9%'" in text


def test_validate_unreadable_input_exits_two(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [\n")
    assert run("validate", str(broken))[0] == 2
    assert run("validate", str(tmp_path / "missing.yaml"))[0] == 2


def test_show_markdown_is_the_customer_document() -> None:
    code, out = run("show", str(AGREEMENTS / "saas.yaml"), "--format", "markdown")
    assert code == 0
    assert out.startswith("# ")
    assert "## Service levels" in out
    assert "## Remedies" in out


def test_show_markdown_says_what_a_calendar_made_of_others_is() -> None:
    code, out = run("show", str(AGREEMENTS / "prime-time.yaml"), "--format", "markdown")
    assert code == 0
    assert "- `off-hours`: every minute except when `prime` is open" in out


def test_show_json_is_the_resolved_agreement(tmp_path: Path) -> None:
    code, out = run("show", str(AGREEMENTS / "saas.yaml"), "--format", "json")
    assert code == 0
    assert json.loads(out)["objectives"]


def test_diff_of_two_versions(tmp_path: Path) -> None:
    version = "id: sla\nversion: '{v}'\noverview: {{title: SLA}}\nobjectives:\n"
    objective = "  - {{id: up, metric: availability, target: '{t}'}}\n"
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    old, new = tmp_path / "v1" / "sla.yaml", tmp_path / "v2" / "sla.yaml"
    old.write_text(version.format(v="1") + objective.format(t="99.9%"))
    new.write_text(version.format(v="2") + objective.format(t="99.95%"))
    code, out = run("diff", str(old), str(new))
    assert code == 0
    assert "target changed from 99.9% to 99.95%" in " ".join(out.split())
    code, out = run("diff", str(old), str(old), "--format", "json")
    assert (code, json.loads(out)) == (0, [])


def test_schema_is_json_schema() -> None:
    code, out = run("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "Agreement"
    assert "objectives" in schema["properties"]


def test_clocks_on_the_servicenow_sample() -> None:
    root = Path(__file__).resolve().parents[1]
    code, out = run(
        "clocks",
        str(root / "examples" / "servicenow" / "agreement.yaml"),
        str(root / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz"),
        "--mapping",
        str(root / "examples" / "servicenow" / "mapping.yaml"),
        "--tickets",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("ticket,metric,cycle,objective,state")
    assert len({line.split(",")[0] for line in lines[1:]}) == 890


@pytest.mark.parametrize(
    "options",
    [["--tickets"], ["--tickets", "--as-of", "2016-03-10T12:00:00+00:00"], ["--by", "priority"]],
)
def test_clocks_batch_engine_prints_what_the_replay_prints(
    options: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command computes the clocks column-wise when the batch covers every objective (the
    ServiceNow agreement's do); with the batch ruled out it replays every event, and prints the
    same."""
    import accord.cli

    root = Path(__file__).resolve().parents[1]
    args = [
        "clocks",
        str(root / "examples" / "servicenow" / "agreement.yaml"),
        str(root / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz"),
        "--mapping",
        str(root / "examples" / "servicenow" / "mapping.yaml"),
        *options,
    ]
    used = []
    batch = accord.cli.evaluate_batch

    def spy(*arguments: object) -> object:
        used.append(True)
        return batch(*arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(accord.cli, "evaluate_batch", spy)
    code, by_batch = run(*args)
    assert (code, used) == (0, [True])
    monkeypatch.setattr(accord.cli, "covers", lambda objectives: False)
    code, by_replay = run(*args)
    assert (code, used) == (0, [True])
    assert by_batch == by_replay


def test_org_commands_create_an_organisation_and_keys_that_the_api_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from accord.api import create_app
    from accord.settings import Settings

    url = f"sqlite:///{tmp_path / 'accord.db'}"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    created = runner.invoke(app, ["org", "create", "acme", "ACME Support"])
    assert created.exit_code == 0, created.output
    admin = created.output.strip().splitlines()[-1]
    scoped = runner.invoke(app, ["org", "key", "acme", "--role", "read", "--customer", "acme-corp"])
    assert scoped.exit_code == 0, scoped.output
    reader = scoped.output.strip().splitlines()[-1]
    again = runner.invoke(app, ["org", "create", "acme", "Again"])
    assert again.exit_code != 0
    assert "exists already" in again.output
    unknown = runner.invoke(app, ["org", "key", "nope"])
    assert unknown.exit_code != 0
    assert "no organisation 'nope'" in unknown.output
    with TestClient(create_app(Settings(database_url=url, demo=False, worker=False))) as client:
        keys = client.get("/v1/keys", headers={"Authorization": f"Bearer {admin}"}).json()
        assert [(k["role"], k["customer"]) for k in keys] == [
            ("admin", None),
            ("read", "acme-corp"),
        ]
        assert client.get("/v1/keys", headers={"X-API-Key": reader}).status_code == 403
    idle = runner.invoke(app, ["worker", "--once"])
    assert idle.exit_code == 0, idle.output
    assert "refreshed 0 tickets" in idle.output
