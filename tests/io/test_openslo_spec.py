"""Accord's OpenSLO models against the specification's own example documents (copied verbatim
in tests/io/openslo_spec/, from the commit the models are written from): a document the spec
gives as an example must read, or be refused for a rule the same spec states; and the
examples' SLOs import as agreements that validate, or are left out saying why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from accord.cli import app
from accord.io.agreements import load_agreement
from accord.io.openslo import (
    SPEC_SOURCE,
    AlertPolicy,
    OpenSloError,
    Slo,
    export,
    import_documents,
    parse_document,
)

SPEC = Path(__file__).parent / "openslo_spec"
DOCUMENTS = sorted(SPEC.glob("*.yaml"))
REFUSED = {
    # the README's SLO example leaves out budgetingMethod, "required field" in its SLO notes
    "readme-slo-foo.yaml": r"readme-slo-foo.yaml:spec.budgetingMethod: Field required",
}


def test_the_copies_are_of_the_commit_the_models_are_written_from() -> None:
    assert "aa5cb78" in SPEC_SOURCE
    assert "aa5cb78" in (SPEC / "README.md").read_text()
    assert len(DOCUMENTS) == 11  # 4 files of examples/, 7 documents of the README


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_every_example_of_the_spec_reads_or_breaks_a_rule_of_the_spec(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    if path.name in REFUSED:
        with pytest.raises(OpenSloError, match=REFUSED[path.name]):
            parse_document(data, path.name)
        return
    parsed = parse_document(data, path.name)
    assert parsed.model_dump(exclude_none=True)["kind"] == data["kind"]


def test_names_beyond_rfc_1123_read_as_the_spec_s_readme_writes_them() -> None:
    """The spec: "all implementations must at least support" RFC 1123 names; its README names an
    AlertPolicy ``AlertPolicy``, a target ``OnCallDevopsMailNotification``."""
    policy = parse_document(
        yaml.safe_load((SPEC / "readme-alertpolicy-inline.yaml").read_text()), "x"
    )
    assert isinstance(policy, AlertPolicy)
    assert policy.metadata.name == "AlertPolicy"
    with pytest.raises(OpenSloError, match=r"metadata\.name: String should match pattern"):
        parse_document({**policy.model_dump(exclude_none=True), "metadata": {"name": "a b"}}, "x")


def test_the_spec_s_timeslices_example_reads_its_objectives_and_calendar() -> None:
    slo = parse_document(
        yaml.safe_load((SPEC / "budgeting-method_timeslices-slo.yaml").read_text()), "x"
    )
    assert isinstance(slo, Slo)
    assert slo.spec.budgetingMethod == "Timeslices"
    assert [o.target for o in slo.spec.objectives] == [0.995, 0.99]
    assert slo.spec.timeWindow is not None
    window = slo.spec.timeWindow[0]
    assert window.calendar is not None
    assert (window.rolling, window.calendar.startTime) == (False, "2022-01-01 12:00:00")
    assert window.calendar.timeZone == "America/New_York"


def _import(tmp_path: Path, name: str) -> tuple[Path, str]:
    out = tmp_path / f"{name}.agreement.yaml"
    done = CliRunner().invoke(app, ["openslo", "import", str(SPEC / name), "-o", str(out)])
    return out, done.output + (str(done.exception) if done.exit_code else "")


def test_the_spec_s_ratio_timeslices_example_imports_as_an_agreement_that_validates(
    tmp_path: Path,
) -> None:
    out, said = _import(tmp_path, "budgeting-method_ratio-timeslices.yaml")
    (objective,) = load_agreement(out).objectives
    assert objective.id == "main-page"
    assert str(objective.target) in ("99%", "99")  # as Accord writes a target
    assert objective.method == "ratio_slices"
    assert objective.period.kind == "rolling"
    assert objective.period.days == 14
    assert "1 objective(s)" in said


def test_a_calendar_week_starting_on_a_saturday_noon_is_imported_saying_it_moves(
    tmp_path: Path,
) -> None:
    out, said = _import(tmp_path, "treat-low-traffic-as-equally-important_timeslices-slo.yaml")
    (objective,) = load_agreement(out).objectives
    assert objective.period.kind == "week"
    assert objective.method == "slices"
    assert (
        "timeWindow starts at 2022-01-01 12:00:00 (Saturday); Accord's week starts at midnight "
        "on its first day (a Monday)" in said
    )


def test_a_window_accord_has_no_period_for_leaves_that_slo_out_not_the_others() -> None:
    """The spec's timeslices example writes a calendar window of ``1m`` (one minute): that SLO
    is left out saying why; another SLO beside it is still imported."""
    example = yaml.safe_load((SPEC / "budgeting-method_timeslices-slo.yaml").read_text())
    other = yaml.safe_load((SPEC / "budgeting-method_ratio-timeslices.yaml").read_text())
    found = import_documents([("a.yaml#1", example), ("b.yaml#1", other)], fallback_id="shop")
    assert [o["id"] for o in found.data["objectives"]] == ["main-page"]
    assert found.skipped == [
        "a.yaml#1:spec.timeWindow[0]:duration: a calendar window of 1m; Accord's calendar "
        "periods are 1w, 1M, 1Q and 1Y; SLO service-availability not imported"
    ]
    with pytest.raises(OpenSloError, match="no SLO could become an availability objective"):
        import_documents([("a.yaml#1", example)], fallback_id="shop")


def test_a_threshold_slo_of_the_spec_is_refused_as_no_availability_ratio(tmp_path: Path) -> None:
    out, said = _import(tmp_path, "budgeting-method_occurences-slo.yaml")
    assert not out.exists()
    assert "SLO search-slo: a threshold metric" in said


def test_what_accord_exports_uses_rfc_1123_names_only() -> None:
    """Reading is lenient, writing is not: every name Accord writes is one every reader
    must accept."""
    agreement = load_agreement(
        Path(__file__).resolve().parents[2] / "examples" / "prometheus" / "api-availability.yaml"
    )
    documents = export(agreement.model_copy(update={"id": "Shop_API.v2"})).documents
    text = yaml.safe_dump_all(documents)
    names = [line.split("name:")[1].strip() for line in text.splitlines() if " name: " in line]
    assert names
    assert "shop-api-v2" in names  # the Service, named from the agreement's id
    for name in names:
        assert re.match(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", name), name
