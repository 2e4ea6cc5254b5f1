"""OpenSLO v1: agreements exported as documents that the spec's models accept, imported back as
agreements with the same objectives, targets and windows, and OpenSLO written by others read as
agreement skeletons. The models are written from the spec (src/accord/io/openslo.py says which
version); the spec repository publishes no JSON schema to check against besides."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from accord.cli import app
from accord.core.agreement.model import Agreement
from accord.core.clocks import calendars_of
from accord.io.agreements import load_agreement
from accord.io.openslo import (
    OpenSloError,
    Slo,
    _fraction,
    _percent,
    export,
    import_documents,
    parse_document,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "agreements").glob("*.yaml"))

AGREEMENT = """
id: probes
version: "3"
overview: {title: Probe-measured services}
calendars:
  berlin-always: {timezone: Europe/Berlin, hours: 24x7}
  office: {timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}
objectives:
  - id: api-requests
    metric: availability
    target: "99.95%"
    period: rolling 28 days
    method: occurrences
    source: gateway
  - id: site-slices
    name: Site up, by 5-minute slices
    metric: availability
    target: "99.5%"
    period: quarter
    calendar: berlin-always
    method: slices
    slice: 5m
    slice_threshold: "80%"
  - id: checkout-ratio
    metric: availability
    target: "99%"
    period: week
    method: ratio_slices
    slice: 10m
  - id: office-hours
    metric: availability
    target: "99%"
    period: month
    calendar: office
  - id: leads
    metric: count
    target: ">= 200"
escalation:
  - objectives: [api-requests]
    levels:
      - {at: burn 10x over 2h/10m, notify: [oncall@example.com, sre@example.com], channels: [sms]}
      - {at: 75%, notify: [lead@example.com]}
"""


def _round_trip(agreement: Agreement, tmp_path: Path) -> tuple[Agreement, Any, Any]:
    """Export through the command, import the file through the command, load the result."""
    runner = CliRunner()
    source = tmp_path / "agreement.yaml"
    source.write_text(yaml.safe_dump(agreement.model_dump(mode="json", exclude_defaults=True)))
    exported = tmp_path / "openslo.yaml"
    done = runner.invoke(app, ["openslo", "export", str(source), "-o", str(exported)])
    assert done.exit_code == 0, done.output
    back = tmp_path / "back.yaml"
    again = runner.invoke(app, ["openslo", "import", str(exported), "-o", str(back)])
    assert again.exit_code == 0, again.output
    return load_agreement(back), done, again


def _windows(agreement: Agreement) -> dict[str, tuple[Any, ...]]:
    zones = {n: str(c.spec.timezone) for n, c in calendars_of(agreement).items()}
    return {
        o.id: (o.metric, o.target, str(o.period), zones[o.calendar], o.method, o.slice,
               o.slice_threshold, o.scope)
        for o in agreement.objectives
    }  # fmt: skip


def test_the_round_trip_keeps_objectives_targets_and_windows(tmp_path: Path) -> None:
    agreement = load_agreement(AGREEMENT)
    back, _, _ = _round_trip(agreement, tmp_path)
    exportable = ("api-requests", "site-slices", "checkout-ratio")
    assert _windows(back) == {k: v for k, v in _windows(agreement).items() if k in exportable}
    assert (back.id, back.version) == ("probes", "3")
    # the agreement's own burn level comes back; the workbook's, which Accord shows anyway, not
    ((escalation,), (level,)) = (back.escalation, back.escalation[0].levels)
    assert escalation.objectives == ("api-requests",)
    assert (level.at, level.notify, level.channels) == (
        "burn 10x over 2h/10m", ("oncall@example.com", "sre@example.com"), ("sms",),
    )  # fmt: skip


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_agreement_exports_valid_documents_and_comes_back(
    path: Path, tmp_path: Path
) -> None:
    agreement = load_agreement(path)
    found = export(agreement)
    for index, document in enumerate(found.documents):  # as a reader of the YAML gets them
        parse_document(yaml.safe_load(yaml.safe_dump(document)), f"document {index}")
    slos = [d for d in found.documents if d["kind"] == "SLO"]
    calendars = calendars_of(agreement)
    expressible = [  # availability measured around the clock (no business hours, no holidays)
        o for o in agreement.objectives
        if o.metric == "availability" and getattr(calendars[o.calendar].spec, "always_open", False)
    ]  # fmt: skip
    assert len(slos) == len(expressible)
    if not slos:
        return
    back, _, _ = _round_trip(agreement, tmp_path)
    assert _windows(back) == {k: v for k, v in _windows(agreement).items() if k in _windows(back)}
    assert set(_windows(back)) == {o.id for o in expressible}


def test_what_openslo_cannot_say_is_listed(tmp_path: Path) -> None:
    found = export(load_agreement(ROOT / "examples" / "agreements" / "saas.yaml"))
    said = "\n".join(found.left_out)
    assert "objective support-first-response: a ticket clock" in said
    assert "business-hours calendars: maintenance-window, support-hours" in said
    assert "credits: availability" in said
    assert "planned maintenance" in said
    assert "escalation at '75%' (availability)" in said
    # the command prints it on stderr and atop the YAML, as comments
    runner = CliRunner()
    out = tmp_path / "saas-openslo.yaml"
    done = runner.invoke(
        app, ["openslo", "export", str(ROOT / "examples/agreements/saas.yaml"), "-o", str(out)]
    )
    assert "not in OpenSLO: credits: availability" in done.output
    assert "#   - credits: availability" in out.read_text()
    kinds = [d["kind"] for d in yaml.safe_load_all(out.read_text())]
    assert kinds == ["Service", "SLI", "SLO", "AlertPolicy", "AlertPolicy", "AlertPolicy"]


def test_an_objective_on_business_hours_is_left_out_not_stretched_around_the_clock() -> None:
    found = export(load_agreement(AGREEMENT))
    names = [d["metadata"]["name"] for d in found.documents if d["kind"] == "SLO"]
    assert names == ["probes-api-requests", "probes-site-slices", "probes-checkout-ratio"]
    assert any(line.startswith("objective office-hours: measured within the calendar 'office'")
               for line in found.left_out)  # fmt: skip
    assert any(line.startswith("objective leads: a count objective") for line in found.left_out)


def test_the_burn_levels_are_alert_policies_with_both_windows() -> None:
    found = export(load_agreement(AGREEMENT))
    policies = {d["metadata"]["name"]: d for d in found.documents if d["kind"] == "AlertPolicy"}
    slo = next(d for d in found.documents if d["metadata"]["name"] == "probes-api-requests")
    refs = [p["alertPolicyRef"] for p in slo["spec"]["alertPolicies"]]
    assert refs == [
        "probes-api-requests-burn-14-4x-1h-5m", "probes-api-requests-burn-6x-6h-30m",
        "probes-api-requests-burn-1x-3d-6h", "probes-api-requests-burn-10x-2h-10m",
    ]  # fmt: skip
    mine = policies["probes-api-requests-burn-10x-2h-10m"]["spec"]
    (condition,) = mine["conditions"]
    assert condition["spec"]["condition"] == {
        "kind": "burnrate", "op": "gte", "threshold": 10.0, "lookbackWindow": "2h",
        "alertAfter": "0m",
    }  # fmt: skip
    assert condition["metadata"]["annotations"] == {"accord/short-window": "10m"}
    (target,) = mine["notificationTargets"]
    assert target["spec"] == {"target": "sms", "description": "oncall@example.com, sre@example.com"}


FOREIGN = """
apiVersion: openslo/v1
kind: Service
metadata: {name: checkout, displayName: Checkout}
spec: {description: The shop's checkout}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-availability, displayName: Checkout availability}
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-ok}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_5xx[5m]))'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_total[5m]))'}}}
  timeWindow:
    - duration: 4w
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - {displayName: Checkout works, targetPercent: 99.9}
  alertPolicies:
    - alertPolicyRef: fast-burn
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: {name: fast-burn}
spec:
  alertWhenBreaching: true
  conditions: [{conditionRef: fast-burn-condition}]
  notificationTargets: [{targetRef: pager}]
---
apiVersion: openslo/v1
kind: AlertCondition
metadata: {name: fast-burn-condition}
spec:
  severity: page
  condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h, alertAfter: 2m}
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: pager}
spec: {target: sms, description: oncall@shop.example}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: latency}
spec:
  service: checkout
  indicator:
    metadata: {name: latency-p99}
    spec:
      thresholdMetric: {metricSource: {type: Prometheus, spec: {query: p99_latency}}}
  budgetingMethod: Timeslices
  objectives:
    - {op: lte, value: 0.3, target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m}
"""


def _documents(text: str) -> list[tuple[str, Any]]:
    return [(f"shop.yaml#{i}", d) for i, d in enumerate(yaml.safe_load_all(text), 1)]


def test_a_level_repeating_a_workbook_alert_replaces_it_and_twins_get_distinct_names() -> None:
    text = AGREEMENT.replace(
        "      - {at: 75%, notify: [lead@example.com]}",
        "      - {at: burn 14.4x over 1h/5m, notify: [pager@example.com]}\n"
        "      - {at: burn 14.4x over 1h/5m, notify: [boss@example.com]}",
    )
    found = export(load_agreement(text))
    names = [d["metadata"]["name"] for d in found.documents if d["kind"] == "AlertPolicy"]
    mine = [n for n in names if n.startswith("probes-api-requests-")]
    assert mine == [
        "probes-api-requests-burn-6x-6h-30m", "probes-api-requests-burn-1x-3d-6h",
        "probes-api-requests-burn-10x-2h-10m", "probes-api-requests-burn-14-4x-1h-5m",
        "probes-api-requests-burn-14-4x-1h-5m-2",
    ]  # fmt: skip
    assert len(set(names)) == len(names)


def test_openslo_written_elsewhere_becomes_an_agreement_that_validates() -> None:
    imported = import_documents(_documents(FOREIGN), fallback_id="shop")
    agreement = load_agreement(yaml.safe_dump(imported.data))
    (objective,) = agreement.objectives
    assert (objective.id, objective.target, str(objective.period), objective.method) == (
        "checkout-availability", Decimal("99.9"), "rolling 28 days", "occurrences",
    )  # fmt: skip
    assert (agreement.id, agreement.overview.title) == ("checkout", "Checkout")
    ((level,),) = [e.levels for e in agreement.escalation]
    # no short window written: the workbook's pairing, a twelfth of the long one
    assert (level.at, level.notify, level.channels) == (
        "burn 14.4x over 1h/5m", ("oncall@shop.example",), ("sms",),
    )  # fmt: skip
    assert imported.skipped == [
        "shop.yaml#6: SLO latency: a threshold metric (op/value on a measured value): not an "
        "availability ratio; not imported"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["spec"]["objectives"][0].update(targetPercent=100),
         r"shop.yaml#2:spec.objectives.0.targetPercent: Input should be less than 100"),
        (lambda d: d["spec"].pop("budgetingMethod"),
         r"shop.yaml#2:spec.budgetingMethod: Field required"),
        (lambda d: d["spec"].update(budgetMethod="Occurrences"),
         r"shop.yaml#2:spec.budgetMethod: Extra inputs are not permitted"),
        (lambda d: d["metadata"].update(name="Checkout SLO"),
         r"shop.yaml#2:metadata.name: String should match pattern"),
        (lambda d: d["spec"]["timeWindow"][0].update(duration="3 weeks"),
         r"shop.yaml#2:spec.timeWindow.0.duration: String should match pattern"),
        (lambda d: d["spec"]["timeWindow"][0].update(duration="12h"),
         r"shop.yaml#2:spec.timeWindow\[0\]:duration: a rolling 12h; Accord's rolling periods"),
        (lambda d: d.update(apiVersion="openslo/v2alpha"),
         r"shop.yaml#2:apiVersion: 'openslo/v2alpha'; Accord reads openslo/v1 documents"),
    ],
)  # fmt: skip
def test_bad_openslo_names_the_document_and_field(change: Any, message: str) -> None:
    documents = _documents(FOREIGN)
    change(documents[1][1])
    with pytest.raises(OpenSloError, match=message):
        import_documents(documents, fallback_id="shop")


def test_a_failed_import_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FOREIGN.replace("targetPercent: 99.9", "targetPercent: 120"))
    out = tmp_path / "agreement.yaml"
    done = CliRunner().invoke(app, ["openslo", "import", str(bad), "-o", str(out)])
    assert done.exit_code != 0
    assert f"{bad}#2:spec.objectives.0.targetPercent" in done.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_the_models_hold_the_specs_rules() -> None:
    slo = _documents(FOREIGN)[1][1]
    parsed = parse_document(slo, "x")
    assert isinstance(parsed, Slo)
    timeslices = yaml.safe_load(yaml.safe_dump(slo))
    timeslices["spec"]["budgetingMethod"] = "Timeslices"
    with pytest.raises(OpenSloError, match="Timeslices needs timeSliceTarget and timeSliceWindow"):
        parse_document(timeslices, "x")
    both = yaml.safe_load(yaml.safe_dump(slo))
    both["spec"]["objectives"][0]["target"] = 0.999
    with pytest.raises(OpenSloError, match="exactly one of them must be given"):
        parse_document(both, "x")
    ratio = yaml.safe_load(yaml.safe_dump(slo))
    ratio["spec"]["indicator"]["spec"]["ratioMetric"]["good"] = ratio["spec"]["indicator"]["spec"][
        "ratioMetric"
    ]["bad"]
    with pytest.raises(OpenSloError, match="exactly one of them is the numerator"):
        parse_document(ratio, "x")


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99.999"), places=3))
def test_a_target_percent_survives_the_fraction_openslo_writes(percent: Decimal) -> None:
    assert Decimal(_percent(Decimal(repr(_fraction(percent))))[:-1]) == percent
