"""The command line, as a person checking a date by hand uses it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from tests.io.yaml_bombs import BILLION_LAUGHS

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


def test_validate_checks_each_example_file_by_its_own_schema() -> None:
    examples = AGREEMENTS.parent
    calendars = sorted(str(p) for p in (examples / "calendars").glob("*.yaml"))
    mappings = [
        str(examples / "activities" / "mapping.yaml"),
        str(examples / "servicenow" / "mapping.yaml"),
        str(examples / "xes" / "mapping-csv.yaml"),
        str(examples / "xes" / "mapping.yaml"),
    ]
    coverages = [str(p) for p in sorted((examples / "data").glob("*/coverage.yaml"))]
    agreements = (
        len(list(examples.rglob("*.yaml"))) - len(calendars) - len(mappings) - len(coverages)
    )
    code, out = run("validate", str(examples))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"valid: {agreements} agreements, {len(mappings)} column mappings, "
        f"{len(calendars)} calendars, {len(coverages)} data coverages"
    )
    assert lines[2] == f"column mappings: {', '.join(mappings)}"
    assert lines[3] == f"calendars: {', '.join(calendars)}"
    assert lines[4] == f"data coverages: {', '.join(coverages)}"


def test_validate_accepts_the_servicenow_example_with_its_mapping() -> None:
    code, out = run("validate", str(AGREEMENTS.parent / "servicenow"))
    assert code == 0
    assert out.splitlines()[0] == (
        "valid: 2 agreements, 1 column mapping, 0 calendars, 0 data coverages"
    )


def test_validate_reports_mappings_and_calendars_by_their_own_schema(tmp_path: Path) -> None:
    (tmp_path / "office.yaml").write_text(
        "timezone: Europe/Oslo\nhours: {mon-fri: '09:00-17:00'}\nholidays: {country: XX}\n"
    )
    (tmp_path / "mapping.yaml").write_text("kind: snapshots\nticket: number\nfeilds: {a: b}\n")
    (tmp_path / "notes.yaml").write_text("name: x\nitems: [1]\n")
    code, out = run("validate", str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path}/notes.yaml: not a document Accord knows: found the keys name, items; "
        "expected an agreement (id, version, overview, objectives...), a column mapping (kind, "
        "format, ticket, at, fields...), a calendar (timezone, hours, holidays, union, except) or "
        "a data folder's coverage (from, until)",
        f"{tmp_path}/mapping.yaml:3:1: feilds: unknown key 'feilds' (did you mean 'fields'?); "
        "expected one of kind, format, id, ticket, at, event, author, public, order, "
        "created_at, time_format, timezone, missing, fields, values, ignore, activity, resource, "
        "activities, other",
        f"{tmp_path}/office.yaml:3:12: holidays.country: unknown country 'XX'; expected an "
        "ISO 3166 code known to the `holidays` library, such as US, GB, DE, FR, IN",
        "3 problem(s)",
    ]


def test_an_agreement_command_given_a_mapping_says_what_the_file_is() -> None:
    code, out = run("show", str(AGREEMENTS.parent / "servicenow" / "mapping.yaml"))
    assert code == 2
    assert out.endswith("servicenow/mapping.yaml: this is a column mapping, not an agreement\n")


def test_a_roll_up_in_a_folder_that_holds_a_mapping_too(tmp_path: Path) -> None:
    agreement = AGREEMENTS.parent / "servicenow" / "agreement.yaml"
    code, out = run(
        "report", str(agreement), "--data", str(tmp_path), "--period", "2026-10", "--roll-up"
    )
    assert code == 0, out
    assert "servicenow-incidents" in out


def test_compare_puts_the_providers_side_by_side_with_the_reports_figures() -> None:
    vendors = str(AGREEMENTS / "two-vendors.yaml")
    data = str(AGREEMENTS.parent / "data" / "field-support-2026-10")
    args = ("report", vendors, "--data", data, "--period", "2026-10")
    code, out = run(*args, "--format", "json")
    assert code == 0, out
    figures = {o["objective"]: o["actual"] for o in json.loads(out)["objectives"]}
    code, out = run(*args, "--compare", "--format", "json")
    assert code == 0, out
    compared = json.loads(out)
    assert [p["id"] for p in compared["providers"]] == ["fixfast", "techforce"]
    for objective in compared["objectives"]:
        (month,) = objective["months"]
        base = objective["objective"]
        assert month["all"]["actual"] == figures[base]
        for provider, cell in month["providers"].items():
            assert cell["actual"] == figures[f"{base}@{provider}"]
    code, out = run(*args, "--compare", "--format", "markdown")
    assert code == 0, out
    assert "| month | all providers | FixFast Field Services Ltd | TechForce Services Ltd |" in out
    code, out = run(*args, "--compare", "--trend")
    assert code == 2
    assert "choose one" in out


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


def _without_engine(out: str, tickets: bool) -> str:
    """The output less what names the engine (the CSV's last two columns, the last line)."""
    lines = out.splitlines()
    if tickets:
        return "\n".join(line.rsplit(",", 2)[0] for line in lines)
    assert lines[-1].startswith("judged as of ")
    return "\n".join([*lines[:-1], lines[-1].split("; engine: ")[0]])


@pytest.mark.parametrize(
    "options",
    [["--tickets"], ["--tickets", "--as-of", "2016-03-10T12:00:00+00:00"], ["--by", "priority"]],
)
def test_clocks_columns_and_replay_engines_print_the_same(options: list[str]) -> None:
    """The ServiceNow agreement's rules are the column engine's: it runs by default, says so,
    and prints what the replay prints."""
    root = Path(__file__).resolve().parents[1]
    args = [
        "clocks",
        str(root / "examples" / "servicenow" / "agreement.yaml"),
        str(root / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz"),
        "--mapping",
        str(root / "examples" / "servicenow" / "mapping.yaml"),
        *options,
    ]
    outputs = {}
    for engine in ("auto", "columns", "replay"):
        code, outputs[engine] = run(*args, "--engine", engine)
        assert code == 0, outputs[engine]
    tickets = "--tickets" in options
    assert outputs["auto"] == outputs["columns"]
    if tickets:
        rows = [line.split(",") for line in outputs["columns"].splitlines()]
        assert rows[0][-3:] == ["as_of", "engine", "evaluated_by"]
        assert {tuple(row[-2:]) for row in rows[1:]} == {("columns", "columns")}
        rows = [line.split(",") for line in outputs["replay"].splitlines()]
        assert {tuple(row[-2:]) for row in rows[1:]} == {("replay", "replay")}
    else:
        assert "engine: columns (0 of 890 tickets fell back to the replay)" in outputs["columns"]
        assert "engine: replay" in outputs["replay"]
    assert _without_engine(outputs["columns"], tickets) == _without_engine(
        outputs["replay"], tickets
    )


DESK_YAML = """
id: desk
version: "1"
overview: {title: Desk}
objectives:
  - id: resolution
    metric: resolution
    within: 8h
    target: 90%
    calendar: 24x7
    clock:
      stop: {status: [Resolved]}
"""


def _desk(tmp_path: Path, yaml: str = DESK_YAML) -> tuple[str, str]:
    """An agreement and a log: A open since 10:00, B resolved at 15:00 (the end of the log), C
    with no creation (the column engine hands it to the replay)."""
    agreement = tmp_path / "desk.yaml"
    agreement.write_text(yaml)
    log = tmp_path / "events.jsonl"
    rows = [
        ("a1", "A", "09:00", "created", {"status": "New", "team": "L1"}),
        ("a2", "A", "10:00", "updated", {"status": "Active"}),
        ("b1", "B", "09:00", "created", {"status": "New", "team": "L2"}),
        ("b2", "B", "15:00", "updated", {"status": "Resolved"}),
        ("c1", "C", "12:00", "updated", {"status": "Active", "team": "L2"}),
    ]
    log.write_text(
        "".join(
            json.dumps(
                {"id": i, "ticket": t, "at": f"2026-03-09T{at}:00+00:00", "kind": k, "fields": f}
            )
            + "\n"
            for i, t, at, k, f in rows
        )
    )
    return str(agreement), str(log)


def test_clocks_judges_every_open_ticket_at_the_end_of_the_log_and_says_when(
    tmp_path: Path,
) -> None:
    """A's last event is at 10:00 but the log runs to 15:00: A has used 6 hours, not 1."""
    agreement, log = _desk(tmp_path)
    code, out = run("clocks", agreement, log, "--tickets")
    assert code == 0, out
    rows = {row["ticket"]: row for row in csv.DictReader(io.StringIO(out))}
    assert (rows["A"]["state"], rows["A"]["used"]) == ("running", "6h00m")
    assert {row["as_of"] for row in rows.values()} == {"2026-03-09T15:00:00+00:00"}
    code, out = run("clocks", agreement, log, "--tickets", "--as-of", "2026-03-09T17:00+00:00")
    rows = {row["ticket"]: row for row in csv.DictReader(io.StringIO(out))}
    assert (rows["A"]["used"], rows["A"]["as_of"]) == ("8h00m", "2026-03-09T17:00:00+00:00")
    code, out = run("clocks", agreement, log)
    assert "judged as of 2026-03-09T15:00:00+00:00 (the end of the log" in out
    code, out = run("clocks", agreement, log, "--as-of", "2026-03-09T17:00")
    assert code == 2
    assert "--as-of: '2026-03-09T17:00' has no UTC offset" in out


def test_clocks_says_which_engine_ran_and_how_many_tickets_fell_back(tmp_path: Path) -> None:
    agreement, log = _desk(tmp_path)
    code, out = run("clocks", agreement, log)
    assert code == 0, out
    assert "engine: columns (1 of 3 tickets fell back to the replay)" in out
    code, out = run("clocks", agreement, log, "--tickets")
    rows = {row["ticket"]: row for row in csv.DictReader(io.StringIO(out))}
    assert {t: (r["engine"], r["evaluated_by"]) for t, r in rows.items()} == {
        "A": ("columns", "columns"),
        "B": ("columns", "columns"),
        "C": ("columns", "replay"),
    }
    code, out = run("clocks", agreement, log, "--engine", "replay")
    assert "engine: replay" in out


def test_engine_columns_refuses_rules_it_does_not_cover_naming_them(tmp_path: Path) -> None:
    """Two resolution objectives under different clock rules (the replay runs a metric on its
    first objective's rules)."""
    other = DESK_YAML.replace("id: resolution", "id: resolution-l2").replace(
        "within: 8h", "within: 4h\n    scope: {team: [L2]}"
    )
    other = other.split("objectives:\n")[1] + "      reopen: restart\n"
    agreement, log = _desk(tmp_path, DESK_YAML.replace("objectives:\n", "objectives:\n" + other))
    code, out = run("clocks", agreement, log, "--engine", "columns")
    assert code == 2
    assert (
        "the column engine does not cover objectives 'resolution-l2', 'resolution' (metric "
        "resolution): different clock rules within one metric"
    ) in " ".join(out.split())
    code, out = run("clocks", agreement, log)  # the automatic choice replays
    assert (code, "engine: replay" in out) == (0, True)
    code, out = run("clocks", agreement, log, "--engine", "fast")
    assert code == 2
    assert "--engine: 'fast'; expected one of auto, columns, replay" in out


def test_clocks_by_a_field_no_ticket_carries_is_an_error_naming_the_fields(
    tmp_path: Path,
) -> None:
    agreement, log = _desk(tmp_path)
    code, out = run("clocks", agreement, log, "--by", "taem")
    assert code == 2
    assert "group by 'taem': no ticket carries this field; the tickets' fields: status, team" in (
        " ".join(out.split())
    )
    code, out = run("clocks", agreement, log, "--by", "team")
    assert code == 0, out


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


def test_clocks_on_a_foreign_csv_without_a_mapping_points_to_one(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("SR Number,Opened,Status\nSR-1,2026-03-09T09:00:00+00:00,New\n")
    agreement = Path(__file__).resolve().parents[1] / "examples" / "servicenow" / "agreement.yaml"
    code, out = run("clocks", str(agreement), str(export))
    assert code == 2
    assert "a column mapping is needed" in out
    assert "examples/servicenow/mapping.yaml" in out
    assert "--mapping" in out
    assert "missing value" not in out


def test_a_table_written_to_a_pipe_is_as_wide_as_its_rows_not_cut_at_80_columns() -> None:
    root = Path(__file__).resolve().parents[1]
    code, out = run(
        "clocks",
        str(root / "examples" / "servicenow" / "agreement.yaml"),
        str(root / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz"),
        *("--mapping", str(root / "examples" / "servicenow" / "mapping.yaml")),
        *("--by", "priority"),
    )
    assert code == 0, out
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert len(rows) == 8  # one line per objective and priority: no cell wrapped
    assert max(len(line) for line in rows) > 80
    assert "│ response-p1   │ 1 - Critical │ 16       │" in rows[0]
    assert rows[0].rstrip().endswith("│")


def test_a_report_written_to_a_pipe_is_its_markdown_with_whole_table_rows() -> None:
    root = Path(__file__).resolve().parents[1]
    saas = root / "examples" / "agreements" / "saas.yaml"
    data = root / "examples" / "data" / "cloudnote-2026-10"
    code, out = run("report", str(saas), "--data", str(data), "--period", "2026-10")
    assert code == 0, out
    row = next(line for line in out.splitlines() if line.startswith("| Monthly availability"))
    assert row.startswith(
        "| Monthly availability | 99.9% | 99.692% | **missed** | 0.21 points short | "
        "44 min 31 s of downtime allowed, 2 h 17 min used; "
        "downtime came 3.1 times as fast as the promise allows"
    )
    assert row.endswith(
        "| 99.692% available; the promise was 99.9%: 1 h 32 min more downtime than allowed [1] |"
    )
    # the precise figures and the engine's account are in the numbered note
    note = next(line for line in out.splitlines() if line.startswith("1. Monthly availability"))
    assert "margin -0.207727 percentage points" in note
    assert "all must be up: api, storage, web-app" in note
    assert all(line == line.rstrip() for line in out.splitlines())  # nothing padded


@pytest.mark.parametrize(
    "args",
    [
        ["calendar", "explain", OFFICE, "9999-12-31T00:00-12:00", "9999-12-31T23:00-12:00"],
        ["calendar", "elapsed", OFFICE, "0001-01-01T00:00+14:00", "2026-01-01T00:00"],
        ["calendar", "add", OFFICE, "9999-12-31T23:00-12:00", "1h"],
    ],
)
def test_an_instant_a_time_zone_pushes_past_the_years_datetime_holds_is_an_error(
    args: list[str],
) -> None:
    code, out = run(*args)
    assert code == 2
    assert "outside the years 1 to 9999" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_an_as_of_outside_the_instants_accord_handles_is_an_error_not_an_overflow(
    as_of: str,
) -> None:
    examples = EXAMPLES.parent
    report = run(
        "report",
        str(examples / "agreements" / "saas.yaml"),
        "--data",
        str(examples / "data" / "cloudnote-2026-10"),
        "--period",
        "2026-10",
        "--as-of",
        as_of,
    )
    clocks = run(
        "clocks",
        str(examples / "agreements" / "it-service-desk.yaml"),
        str(examples / "data" / "service-desk-2026-10" / "tickets.jsonl"),
        "--as-of",
        as_of,
    )
    for code, out in (report, clocks):
        assert code != 0
        assert f"--as-of {as_of}" in out
        assert "outside the instants Accord handles" in out


def test_billion_laughs_is_refused_by_every_command_that_reads_yaml(
    tmp_path: Path, yaml_work: dict[str, int]
) -> None:
    """An agreement, a calendar, a column mapping and a data folder's coverage.yaml alike."""
    examples = EXAMPLES.parent
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BILLION_LAUGHS)
    data = tmp_path / "data"
    data.mkdir()
    (data / "coverage.yaml").write_text(BILLION_LAUGHS)
    saas = str(examples / "agreements" / "saas.yaml")
    desk = str(examples / "agreements" / "it-service-desk.yaml")
    tickets = str(examples / "data" / "service-desk-2026-10" / "tickets.jsonl")
    for args, file in (
        (["validate", str(bomb)], bomb),
        (["calendar", "elapsed", str(bomb), "2026-01-01T00:00", "2026-01-02T00:00"], bomb),
        (["clocks", desk, tickets, "--mapping", str(bomb)], bomb),
        (["report", saas, "--data", str(data), "--period", "2026-10"], data / "coverage.yaml"),
    ):
        code, out = run(*args)
        assert code == 2, args
        assert f"{file}:6:8: refused: with the alias *e" in out.replace("\n", ""), args
        assert "(the alias limit)" in out.replace("\n", ""), args
        assert "Traceback" not in out
    # the example files read first, and the bomb up to its refusal: nothing was expanded
    assert yaml_work["composed"] + yaml_work["constructed"] < 10_000


def test_validate_points_at_a_bad_rounding_and_limit(tmp_path: Path) -> None:
    text = (AGREEMENTS / "isp.yaml").read_text()
    text = text.replace(
        "      period: year\n",
        "      period: year\n      rounding: per started day\n"
        "      limits: [{per: year, at_most: {amount: 250, currency: USD}}]\n",
        1,
    )
    (tmp_path / "isp.yaml").write_text(text)
    code, out = run("validate", str(tmp_path / "isp.yaml"))
    assert code == 1
    line = text.splitlines().index("      rounding: per started day") + 1
    assert f"isp.yaml:{line}:7: remedies.penalties[0].rounding: the penalty is per hour" in out
    assert (
        f"isp.yaml:{line + 1}:51: remedies.penalties[0].limits[0].at_most.currency: the limit is "
        "in USD and what it limits is in EUR; expected the same currency"
    ) in out


@pytest.mark.parametrize("command", ["report", "clocks", "try"])
def test_a_misspelt_mapping_column_stops_the_command_naming_it(
    tmp_path: Path, command: str
) -> None:
    """A mapping whose `author` is misspelt used to read as a log without authors (no reply an
    agent's: first responses never in time); every command taking --mapping refuses it naming
    the log, the mapping's file and line, the key, the column and the closest column, and
    writes nothing."""
    root = Path(__file__).resolve().parents[1]
    agreement = str(root / "examples" / "servicenow" / "agreement.yaml")
    log = tmp_path / "events.csv"
    log.write_text(
        "id,ticket,at,kind,Author,priority\n"
        "e1,T1,2016-03-01T09:00:00+00:00,created,,1 - Critical\n"
        "e2,T1,2016-03-01T09:10:00+00:00,comment,agent,1 - Critical\n"
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("kind: events\nauthor: Authr\nfields: {priority: priority}\n")
    out_file = tmp_path / "out.md"
    given = ("--mapping", str(mapping))
    args = {
        "report": ["report", agreement, "--tickets", str(log), *given, "--period", "2016-03"],
        "clocks": ["clocks", agreement, str(log), *given],
        "try": ["try", agreement, "--against", agreement, "--tickets", str(log), *given,
                "--period", "2016-03"],
    }[command]  # fmt: skip
    if command != "clocks":
        args += ["--format", "markdown", "-o", str(out_file)]
    code, out = run(*args)
    assert code == 2, out
    assert f"{log}: no column 'Authr' (author at {mapping}:2; did you mean 'Author'?)" in " ".join(
        out.split()
    )
    assert not out_file.exists()
