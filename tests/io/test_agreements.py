"""Agreement files: the examples validate, round-trip losslessly, match the published schema,
and problems are located at file, line and column."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from accord import Agreement, AgreementFileError, load_agreement, load_agreements
from accord.core.agreement import check_agreement
from accord.io.agreements import dump_agreement, recognise
from accord.io.yamlfile import load_yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "agreements"
EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.yaml"))


def test_every_example_validates_and_resolves() -> None:
    agreements = load_agreements(EXAMPLES)
    assert len(agreements) == len(EXAMPLE_FILES)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_round_trip_is_lossless(path: Path) -> None:
    original = load_agreement(path)  # resolved with its parents, if it has any
    again, problems = check_agreement(load_yaml(dump_agreement(original)))
    assert problems == []
    assert again is not None
    assert again.model_dump(mode="json") == original.model_dump(mode="json")
    assert check_agreement(load_yaml(dump_agreement(again)))[0] == again


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_examples_match_the_published_json_schema(path: Path) -> None:
    schema = Agreement.model_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(json.dumps(_text_keys(load_yaml(path.read_text())), default=str))
    jsonschema.validate(document, schema)


def _text_keys(value: object) -> object:
    """YAML as JSON would carry it: dates become text, mapping keys included."""
    if isinstance(value, dict):
        return {str(k): _text_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_keys(v) for v in value]
    return value


def test_problems_name_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "sla.yaml"
    path.write_text(
        "id: sla\n"
        "version: '1'\n"
        "overview: {title: SLA}\n"
        "objectives:\n"
        "  - id: up\n"
        "    metric: availability\n"
        "    tagret: 99.9%\n"
    )
    with pytest.raises(AgreementFileError) as caught:
        load_agreement(path)
    # one mistake, one message: the misspelt key, not also the field it was meant to be
    [line] = str(caught.value).splitlines()
    assert line.startswith(
        f"{path}:7:5: objectives[0].tagret: unknown key 'tagret' (did you mean 'target'?)"
    )


def test_load_agreement_takes_text_too() -> None:
    agreement = load_agreement(
        "id: x\nversion: '1'\noverview: {title: X}\n"
        "objectives: [{id: up, metric: availability, target: 99.5%}]\n"
    )
    assert agreement.objectives[0].id == "up"


def test_invalid_yaml_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(AgreementFileError) as caught:
        load_agreement(path)
    [problem] = caught.value.located
    assert problem.unreadable
    assert "not valid YAML" in str(problem)


def test_diff_of_every_example_with_itself_is_empty() -> None:
    from accord import diff_agreements

    for agreement in load_agreements(EXAMPLES).values():
        assert diff_agreements(agreement, agreement) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("id: desk\nversion: '1'\nobjectives: []\n", "agreement"),
        ("overveiw: {title: X}\nobjectivs: []\n", "agreement"),  # misspelt, still an agreement
        ("id: event_id\nticket: key\nat: when\n", "mapping"),  # a mapping names the id column
        ("kind: snapshots\n", "mapping"),
        ("timezone: UTC\nhour: always\n", "calendar"),
        ("timezone: UTC\n", "calendar"),
        ("name: x\n", None),
        ("- a\n", None),
        ("", None),
    ],
)
def test_a_yaml_file_is_recognised_by_its_keys(text: str, kind: str | None) -> None:
    assert recognise(load_yaml(text)) == kind


def test_the_published_schema_defaults_match_their_own_schemas() -> None:
    """A default the schema itself refuses breaks validators of the OpenAPI document (which
    carries this schema for uploads): '0' for a percentage, a Period object for 'month'."""
    schema = Agreement.model_json_schema()
    definitions = schema.get("$defs", {})

    def defaults(node: object) -> list[tuple[object, dict[str, object]]]:
        if isinstance(node, list):
            return [found for item in node for found in defaults(item)]
        if not isinstance(node, dict):
            return []
        found = [(node["default"], node)] if "default" in node else []
        return found + [item for value in node.values() for item in defaults(value)]

    checked = defaults(schema)
    assert checked
    # jsonschema.validate(default, {**own, "$defs": ...}) would check the 28 definitions against
    # the meta-schema again for each of the 111 defaults (28 s): they are checked once here,
    # each node's own keywords for each default, then the default against the node.
    jsonschema.validators.validator_for(schema).check_schema(schema)
    for default, node in checked:
        own = {key: value for key, value in node.items() if key != "default"}
        validator = jsonschema.validators.validator_for(own)
        validator.check_schema(own)
        validator({**own, "$defs": definitions}).validate(default)
