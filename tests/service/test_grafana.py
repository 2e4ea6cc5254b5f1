"""The Grafana dashboard kept in the repository (deploy/grafana/accord.json) reads only what
``/metrics`` exports: every metric an expression names exists, with the labels it selects
on, and every panel shows one of them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from accord.store import Database
from tests.service.conftest import Clock, Tenant
from tests.service.test_metrics import clock, exported, sample_names, scrape, settings
from tests.service.test_standing import _load

__all__ = ["clock", "settings"]  # the metrics tests' fixtures, used here too
DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "accord.json"
# a metric with its selector: accord_x or accord_x{label="v", other=~"..."}
SELECTOR = re.compile(r"\b(accord_[a-z0-9_]+)\b(\{[^}]*\})?")
MATCHER = re.compile(r"([a-z_][a-z0-9_]*)\s*(?:=~|!~|!=|=)")
# label names of `by (...)` and `without (...)` groupings
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
# labels Prometheus adds to every series it scrapes
TARGET_LABELS = {"instance", "job"}


def expressions(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        return found + [e for v in node.values() for e in expressions(v)]
    if isinstance(node, list):
        return [e for v in node for e in expressions(v)]
    return []


def test_the_dashboard_reads_only_metrics_and_labels_that_exist(
    database: Database, acme: Tenant, clock: Clock, client: TestClient
) -> None:
    _load(database, acme, clock)
    names = sample_names(exported(scrape(client)))
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert panels
    for panel in panels:
        exprs = expressions(panel["targets"])
        assert exprs, f"panel {panel['title']!r} has no query"
        for expr in exprs:
            selected = SELECTOR.findall(expr)
            assert selected, f"panel {panel['title']!r}: {expr} reads no Accord metric"
            every: set[str] = set()
            for name, matchers in selected:
                assert name in names, f"panel {panel['title']!r}: {name} is not exported"
                labels = set(MATCHER.findall(matchers))
                unknown = labels - names[name]
                assert not unknown, f"{panel['title']!r}: {name} has no label {unknown}"
                every |= names[name]
            for grouping in GROUPING.findall(expr):
                grouped = {g.strip() for g in grouping.split(",") if g.strip()}
                assert grouped <= every | TARGET_LABELS, (panel["title"], expr)
    # the variables' queries too
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else ""
        for name, matchers in SELECTOR.findall(text):
            assert name in names, (variable["name"], name)
            assert set(MATCHER.findall(matchers)) <= names[name], variable["name"]
        for label in re.findall(r"label_values\([^,]+,\s*([a-z_]+)\)", text):
            metric = SELECTOR.search(text)
            assert metric is not None
            assert label in names[metric.group(1)], (variable["name"], label)


def test_every_query_of_the_dashboard_is_promql_prometheus_parses(tmp_path: Path) -> None:
    """Each expression, Grafana's variables given values as Grafana would, passes
    ``promtool check rules`` (Prometheus's own parser) as a recording rule."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: `make system` installs the prometheus package"
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = expressions(dashboard["panels"])
    assert exprs
    rules = []
    for number, expr in enumerate(exprs):
        filled = expr.replace("$__rate_interval", "2m")
        filled = re.sub(r"\$\{?[a-z_]+\}?", ".*", filled)  # a variable set to All
        rules.append({"record": f"dashboard:query{number}", "expr": filled})
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in done.stdout
