"""A corpus of broken agreements, one mistake each: each produces exactly the expected messages,
at the right line and column, and never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord import load_agreements
from accord.io.agreements import read_paths
from accord.io.yamlfile import load_yaml

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken"
EXPECTED: dict[str, list[str]] = load_yaml((BROKEN / "expected.yaml").read_text())
ROOT = HERE.parents[1]


def test_every_case_has_an_expectation() -> None:
    cases = {p.name for p in BROKEN.iterdir() if p.suffix == ".yaml" or p.is_dir()}
    cases.discard("expected.yaml")
    cases.discard("__pycache__")
    assert cases == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_agreement_gives_exactly_the_expected_messages(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # messages name files relative to the repository
    _, problems = read_paths([BROKEN.relative_to(ROOT) / case]).resolve()
    assert [str(p) for p in problems] == EXPECTED[case]
    assert EXPECTED[case], "a broken agreement must produce at least one message"


def test_a_child_restating_one_field_of_an_inherited_objective() -> None:
    agreements = load_agreements(HERE / "valid" / "partial-override")
    child = agreements["po-child"]
    parent = agreements["po-parent"]
    [objective] = [o for o in child.objectives if o.id == "availability"]
    [inherited] = [o for o in parent.objectives if o.id == "availability"]
    assert str(objective.target) == "99.95"
    assert objective.model_copy(update={"target": inherited.target}) == inherited


def test_a_key_that_looks_like_a_type_name_is_reported_not_crashed_on() -> None:
    from accord.io.agreements import read_documents
    from accord.io.yamlfile import YamlDocument

    _, problems = read_documents([YamlDocument("'[':\nint: 1\n", "<text>")]).resolve()
    messages = [str(p) for p in problems]
    assert any("unknown key '['" in m for m in messages)
    assert any("unknown key 'int'" in m for m in messages)
