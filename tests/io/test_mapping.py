"""Column mapping files: checked like agreements, every problem at once at its line and column,
and documented key by key in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.io.mapping import ColumnMapping, MappingFileError
from accord.io.tickets import read_events

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = ROOT / "examples" / "servicenow" / "agreement.yaml"


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    with pytest.raises(MappingFileError) as caught:
        ColumnMapping.read(path)
    return [str(p).removeprefix(f"{path}:") for p in caught.value.located]


def test_the_example_mapping_is_valid() -> None:
    mapping = ColumnMapping.read(ROOT / "examples" / "servicenow" / "mapping.yaml")
    assert (mapping.kind, mapping.ticket, mapping.missing) == ("snapshots", "number", ("?",))
    assert mapping.fields["priority"] == "priority"


def test_every_problem_of_a_mapping_is_located_with_what_was_expected(tmp_path: Path) -> None:
    assert _problems(
        tmp_path,
        "kind: snapshot\n"
        "ticket: 5\n"
        "timezone: Europe/Pari\n"
        "time_format: dd-mm-yyyy\n"
        "fields: [priority, team]\n"
        "tickett: number\n",
    ) == [
        "1:1: kind: unknown value 'snapshot' (did you mean 'snapshots'?); expected one of "
        "events, snapshots, activities",
        "2:1: ticket: input should be a valid string, got 5",
        "3:1: timezone: unknown time zone 'Europe/Pari'; expected an IANA name such as "
        "'America/New_York'",
        "4:1: time_format: 'dd-mm-yyyy' has no strptime code; expected a format such as "
        "'%d-%m-%Y %H:%M'",
        "5:1: fields: expected a mapping (key: value lines), got a list",
        "6:1: tickett: unknown key 'tickett' (did you mean 'ticket'?); expected one of kind, "
        "format, id, ticket, at, event, author, public, order, created_at, time_format, "
        "timezone, missing, fields, values, ignore, activity, resource, activities, other",
    ]


def test_a_field_mapped_twice_is_refused(tmp_path: Path) -> None:
    assert _problems(tmp_path, "fields:\n  priority: prio\n  priority: urgency\n") == [
        "3:3: fields.priority: duplicate key 'priority': written before on line 2; YAML keeps "
        "only the last value, so the first would be silently lost"
    ]


def test_a_mapping_that_is_a_list_is_refused(tmp_path: Path) -> None:
    assert _problems(tmp_path, "- ticket\n- at\n") == [
        "1:1: a column mapping must be a mapping (key: value lines), got a list"
    ]


def test_the_clocks_command_lists_a_mappings_problems_without_a_traceback(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("format: csv\ntimezone: Paris\n")
    log = tmp_path / "log.csv"
    log.write_text("id,ticket,at,kind\n")
    result = CliRunner().invoke(
        app, ["clocks", str(AGREEMENT), str(log), "--mapping", str(mapping)]
    )
    assert result.exit_code == 2
    assert result.output == (
        f"error: {mapping}:2:1: timezone: unknown time zone 'Paris'; expected an IANA name such "
        "as 'America/New_York'\n"
    )


def test_a_mapping_without_format_reads_a_csv_file_as_csv(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("ticket: Number\nat: Opened\nid: Row\nevent: Event\n")
    log = tmp_path / "export.csv"
    log.write_text("Row,Number,Opened,Event\n1,INC1,2026-03-09T09:00:00+00:00,created\n")
    [event] = read_events(log, ColumnMapping.read(mapping))
    assert (event.id, event.ticket, event.kind) == ("1", "INC1", "created")


def test_words_such_as_no_in_a_mapping_stay_text(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("format: csv\nmissing: [NO, n/a]\nfields: {on: On}\n")
    read = ColumnMapping.read(mapping)
    assert (read.missing, read.fields) == (("NO", "n/a"), {"on": "On"})


def test_the_readme_documents_every_key_of_a_mapping() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Column mappings", 1)[1].split("\n#", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)`", section, flags=re.MULTILINE))
    assert documented == set(ColumnMapping.model_fields)


def test_an_activity_mappings_problems_are_located_each_at_its_line(tmp_path: Path) -> None:
    assert _problems(
        tmp_path,
        "kind: activities\n"
        "event: Kind\n"
        "activity: Activity\n"
        "fields: {status: State, priority: Prio}\n"
        "activities:\n"
        "  Open: created\n"
        "  Wait: pause\n"
        "  Hold: {pause: vendor}\n"
        "  Escalate: {pause: third_party, untill: Back}\n"
        "  Solve: resolve\n"
        "other: skip\n",
    ) == [
        "2:1: event: applies to kind: events only, not activities",
        "7:3: activities.Wait: unknown meaning 'pause'; a pause needs its reason: {pause: "
        "customer} (customer, third_party, provider or other), and optionally until: ACTIVITY",
        "8:10: activities.Hold.pause: unknown value 'vendor'; expected one of customer, "
        "third_party, provider, other",
        "9:3: activities.Escalate: unknown key 'untill' (did you mean 'until'?) of a pause; "
        "expected {pause: REASON, until: ACTIVITY}",
        "10:3: activities.Solve: unknown meaning 'resolve' (did you mean 'resolved'?); expected "
        "one of created, agent_reply, customer_message, update, resume, resolved, reopened, "
        "closed, ignore, or {pause: REASON}",
        "11:1: other: unknown value 'skip'; expected one of error, ignore",
    ]


def test_an_activity_mapping_that_reads_well_may_still_be_wrong_for_its_kind(
    tmp_path: Path,
) -> None:
    assert _problems(
        tmp_path,
        "kind: activities\n"
        "resource: Who\n"
        "fields:\n"
        "  status: State\n"
        "  assignee: Owner\n"
        "activities:\n"
        "  Open: created\n"
        "  Escalate: {pause: third_party, until: [Back, Vendor answered]}\n",
    ) == [
        "4:3: fields.status: an activity log's status is the activity's name; name this field "
        "otherwise",
        "5:3: fields.assignee: an activity log's assignee is the resource; name this field "
        "otherwise",
        "8:34: activities.Escalate.until: 'Back', 'Vendor answered' not among the activities "
        "mapped; expected one of Open, Escalate",
    ]
    assert _problems(tmp_path, "kind: activities\nticket: Case\n") == [
        "1:1: activities: missing: an activity log needs each activity's meaning for the "
        "clocks, e.g. {Create: created, Resolve: resolved}"
    ]
    assert _problems(tmp_path, "kind: snapshots\nactivities: {Open: created}\nother: ignore\n") == [
        "2:1: activities: applies to kind: activities only, not snapshots",
        "3:1: other: applies to kind: activities only, not snapshots",
    ]


def test_values_and_ignore_are_checked_at_their_lines(tmp_path: Path) -> None:
    assert _problems(tmp_path, "values: {Status: [a, b]}\nignore: {Activity: {a: b}}\n") == [
        "1:10: values.Status: expected a mapping (key: value lines), got a list",
        "2:10: ignore.Activity: expected a list (- item lines, or [a, b]), got a mapping",
    ]


def test_validate_recognises_an_activity_mapping_and_lists_its_problems(tmp_path: Path) -> None:
    good = tmp_path / "good" / "mapping.yaml"
    good.parent.mkdir()
    good.write_text("kind: activities\nactivities: {Open: created, Done: resolved}\n")
    result = CliRunner().invoke(app, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    assert f"column mappings: {good}" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: activities\nactivities:\n  Open: create\n")
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3:3: activities.Open: unknown meaning 'create' (did you mean 'created'?)" in (
        result.output
    )


def test_the_example_activity_mapping_is_valid() -> None:
    mapping = ColumnMapping.read(ROOT / "examples" / "activities" / "mapping.yaml")
    assert (mapping.kind, mapping.ticket, mapping.activity) == ("activities", "Case ID", "Activity")
    assert mapping.ignore == {"Activity": ("INVALID", "DUPLICATE")}


@pytest.mark.parametrize("example", ["servicenow", "activities"])
def test_the_example_mappings_match_the_published_json_schema(example: str) -> None:
    import json

    import jsonschema
    import yaml

    result = CliRunner().invoke(app, ["schema", "--mapping"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    path = ROOT / "examples" / example / "mapping.yaml"
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):  # a misspelt meaning is refused there too
        jsonschema.validate({"kind": "activities", "activities": {"Open": "create"}}, schema)
