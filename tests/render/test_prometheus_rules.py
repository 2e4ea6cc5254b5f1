"""``accord rules prometheus``: the rules pass ``promtool check rules``, and ``promtool test
rules`` shows their alerts firing at exactly the minutes Accord's watch fires the same levels,
for a scripted outage of an up/down series and a scripted burst of failed requests."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.core.agreement import Agreement
from accord.core.escalation import burn_level
from accord.core.evidence import Data, Probe, Requests
from accord.core.watch import watch
from accord.io.agreements import load_agreement
from accord.render.prometheus_rules import RulesError, alerts_of, rules_of
from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "prometheus" / "api-availability.yaml"
T0 = datetime(1970, 1, 1, tzinfo=UTC)  # promtool's series start at the epoch
MINUTES = 300

AGREEMENT = """\
id: scripted
version: "1"
overview: {title: Scripted outage}
objectives:
  - id: api-up
    metric: availability
    target: 99.9%
    method: slices
    scope: {service: [api]}
    prometheus:
      up: min_over_time(probe_success{job="api"}[$window])
  - id: checkout
    metric: availability
    target: 99.5%
    method: occurrences
    scope: {service: [checkout]}
    prometheus:
      good: sum(increase(requests_good_total{job="checkout"}[$window]))
      total: sum(increase(requests_total{job="checkout"}[$window]))
  - id: checkout-slices
    metric: availability
    target: 99.5%
    method: ratio_slices
    scope: {service: [checkout]}
    prometheus:
      good: sum(increase(requests_good_total{job="checkout"}[$window]))
      total: sum(increase(requests_total{job="checkout"}[$window]))
escalation:
  - levels:
      - {at: burn 14.4x over 1h/5m, notify: [oncall]}
      - {at: burn 6x over 6h/30m, notify: [oncall]}
"""


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: `make system` installs the prometheus package"
    return found


def _scripted() -> tuple[list[int | None], list[int], list[int]]:
    """Per minute from 0: the probe sample (down 60-71, none in 200-209), and the good and
    total counters (half the requests fail in minutes 100-119)."""
    up: list[int | None] = [
        None if 200 <= m <= 209 else 0 if 60 <= m <= 71 else 1 for m in range(MINUTES + 1)
    ]
    good, total = [0], [0]
    for m in range(MINUTES):
        total.append(total[-1] + 100)
        good.append(good[-1] + (50 if 100 <= m <= 119 else 100))
    return up, good, total


def _evidence(up: list[int | None], good: list[int], total: list[int]) -> Data:
    """What Accord reads from a Prometheus holding these samples: the point at minute e of
    min_over_time(probe_success[1m]) is the least sample of [e-1m, e] (Prometheus 2's ranges
    include both ends), the probe of the step before e; increase(...[1m]) at e is the
    counters' change from e-1m."""
    minute = timedelta(minutes=1)
    probes = []
    for e in range(MINUTES + 1):
        seen = [v for v in up[max(e - 1, 0) : e + 1] if v is not None]
        if seen:  # no sample in [e-1m, e]: no point, no probe (unknown)
            probes.append(Probe("api", T0 + minute * (e - 1), min(seen) >= 1))
    requests = [
        Requests("checkout", T0 + minute * (e - 1), good[e] - good[e - 1], total[e] - total[e - 1])
        for e in range(1, MINUTES + 1)
    ]
    # what Prometheus holds begins with the series: before it nothing was watched, not down
    observed = (T0 - minute, T0 + minute * MINUTES)
    return Data(probes=tuple(probes), requests=tuple(requests), observed=observed)


def _accord_firing(agreement: Agreement, data: Data) -> dict[int, set[tuple[str, str]]]:
    """Per minute, the (objective, level) pairs Accord's watch finds firing."""
    firing: dict[int, set[tuple[str, str]]] = {}
    for m in range(MINUTES + 1):
        found = watch(agreement, data, T0 + timedelta(minutes=m))
        firing[m] = {(w.objective, w.escalation.at) for w in found if w.firing}
    return firing


def _values(samples: list[int | None]) -> str:
    return " ".join("_" if v is None else str(v) for v in samples)


@pytest.mark.parametrize("unknown", ["excluded", "down"])
def test_alerts_fire_at_the_minutes_accords_watch_fires(tmp_path: Path, unknown: str) -> None:
    """Minute by minute over five hours, for slices (an outage, then a gap in the series
    judged as the agreement says), occurrences and ratio slices (a burst of failures)."""
    path = tmp_path / "scripted.yaml"
    path.write_text(AGREEMENT + f"exclusions: {{unknown_data: {unknown}}}\n")
    agreement = load_agreement(path)
    up, good, total = _scripted()
    firing = _accord_firing(agreement, _evidence(up, good, total))
    fired = {pair for pairs in firing.values() for pair in pairs}
    # the script makes every level of both objectives fire, and stop again
    assert fired == {
        (o, lv)
        for o in ("api-up", "checkout", "checkout-slices")
        for lv in ("burn 14.4x over 1h/5m", "burn 6x over 6h/30m")
    }
    assert not firing[MINUTES - 1]
    # the gap: quiet when its slices are left out, burning when they count as down
    gap = {pair for m in range(201, 215) for pair in firing[m]}
    assert bool(gap) == (unknown == "down")

    document, skipped = rules_of(agreement)
    assert skipped == []
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(document, sort_keys=False))
    alerting = {
        (r["labels"]["accord_objective"], r["labels"]["accord_level"]): r
        for g in document["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    names = {r["alert"] for r in alerting.values()}
    tests: list[dict[str, Any]] = []
    for m in range(MINUTES + 1):
        for name in sorted(names):
            expected = [
                {
                    "exp_labels": rule["labels"],
                    "exp_annotations": rule["annotations"],
                }
                for pair, rule in sorted(alerting.items())
                if rule["alert"] == name and pair in firing[m]
            ]
            tests.append({"eval_time": f"{m}m", "alertname": name, "exp_alerts": expected})
    spec = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'probe_success{job="api"}', "values": _values(up)},
                    {"series": 'requests_good_total{job="checkout"}', "values": _values(good)},
                    {"series": 'requests_total{job="checkout"}', "values": _values(total)},
                ],
                "alert_rule_test": tests,
            }
        ],
    }
    test_file = tmp_path / "test.yaml"
    test_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    done = subprocess.run(
        [promtool(), "test", "rules", str(test_file)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_example_passes_promtool_check_rules(tmp_path: Path) -> None:
    out = tmp_path / "rules.yaml"
    code, _ = run("rules", "prometheus", str(EXAMPLE), "-o", str(out))
    assert code == 0
    done = subprocess.run(
        [promtool(), "check", "rules", str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    document = yaml.safe_load(out.read_text())
    records = {r["record"] for g in document["groups"] for r in g["rules"] if "record" in r}
    # Sloth's names, for the windows the escalation's burn levels use
    assert {
        "slo:sli_error:ratio_rate5m",
        "slo:sli_error:ratio_rate1h",
        "slo:sli_error:ratio_rate30m",
        "slo:sli_error:ratio_rate6h",
        "slo:sli_error:ratio_rate3d",
        "slo:objective:ratio",
        "slo:error_budget:ratio",
        "sloth_slo_info",
    } <= records
    alerts = [r for g in document["groups"] for r in g["rules"] if "alert" in r]
    # three burn levels for each of the two objectives; fast ones page, the 3-day one tickets
    assert sorted((a["labels"]["sloth_slo"], a["labels"]["sloth_severity"]) for a in alerts) == [
        ("api-up", "page"),
        ("api-up", "page"),
        ("api-up", "ticket"),
        ("checkout-requests", "page"),
        ("checkout-requests", "page"),
        ("checkout-requests", "ticket"),
    ]


def test_without_burn_levels_the_rules_are_the_workbooks_three(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(AGREEMENT.split("escalation:")[0])
    agreement = load_agreement(path)
    windows = [
        (a.threshold, a.long, a.short) for a in alerts_of(agreement, agreement.objectives[0])
    ]
    assert [(str(t), lo, sh) for t, lo, sh in windows] == [
        ("14.4", timedelta(hours=1), timedelta(minutes=5)),
        ("6", timedelta(hours=6), timedelta(minutes=30)),
        ("1", timedelta(days=3), timedelta(hours=6)),
    ]
    levels = [
        burn_level(level) for block in load_agreement(EXAMPLE).escalation for level in block.levels
    ]
    assert all(level is not None for level in levels)


def test_a_business_hours_objective_is_left_out_saying_why(tmp_path: Path) -> None:
    text = AGREEMENT.replace(
        "    method: occurrences\n", "    method: occurrences\n    calendar: office\n"
    ).replace(
        "objectives:\n",
        "calendars:\n  office: {timezone: Europe/Paris, hours: {mon-fri: '09:00-18:00'}}\n"
        "objectives:\n",
    )
    path = tmp_path / "a.yaml"
    path.write_text(text)
    document, skipped = rules_of(load_agreement(path))
    assert skipped == [
        "checkout: measured in the calendar 'office': PromQL windows are plain time, so "
        "business-hours windows stay with Accord's watch"
    ]
    slos = {r["labels"]["sloth_slo"] for g in document["groups"] for r in g["rules"]}
    assert slos == {"api-up", "checkout-slices"}


def test_an_agreement_without_prometheus_evidence_is_refused() -> None:
    agreement = load_agreement(ROOT / "examples" / "agreements" / "saas.yaml")
    with pytest.raises(RulesError, match="no objective Prometheus rules can express"):
        rules_of(agreement)
    code, _ = run("rules", "prometheus", str(ROOT / "examples" / "agreements" / "saas.yaml"))
    assert code == 2
