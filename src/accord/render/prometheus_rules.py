"""Prometheus recording and alerting rules for an agreement's multi-window burn-rate alerts, in
the naming people know from Sloth (``slo:sli_error:ratio_rate5m``, ``slo:objective:ratio``,
``slo:error_budget:ratio``, labels ``sloth_id``, ``sloth_service``, ``sloth_slo``,
``sloth_severity``), so that Alertmanager pages at the instant Accord's watch would.

An objective gets rules when it is an availability objective with a percent target, measured
in ``24x7`` and read from Prometheus (``prometheus:`` queries with ``$window``). Its alerts are
its escalation's burn levels (``burn 14.4x over 1h/5m``: what the watch judges), else the SRE
workbook's three (what the report shows). Each window's error ratio follows the objective's
method, as Accord judges it:

- ``occurrences``: ``1 - good/total`` with ``$window`` the alert window (the events of the
  window, counted from the counters' increase over it);
- ``ratio_slices`` and ``slices``: the slice's error ratio is recorded every slice
  (``slo:sli_error:ratio_rate1m``), and a window's is the mean of the slices it holds: the
  mean of slice error rates, or the share of bad slices. A range of ``W`` less a millisecond
  holds exactly the ``W / slice`` slices that Accord's window ``[e - W, e)`` holds (Prometheus
  2's ranges include both ends).

An alert fires when both windows' burn rates reach the threshold (``>=``, as Accord's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from accord.core.agreement.model import Agreement, EscalationLevel, Objective
from accord.core.errors import AccordError
from accord.core.escalation import burn_level, levels_for
from accord.core.promql import prometheus_duration, step_of, with_window
from accord.core.slices import WORKBOOK_ALERTS

_HUNDRED = Decimal(100)
_PAGE_UP_TO = timedelta(hours=6)
"""Alerts whose long window is at most this page (Sloth's page alerts: 1h/5m and 6h/30m);
slower ones are tickets (1d/2h and 3d/6h)."""
SLI = "slo:sli_error:ratio_rate"


class RulesError(AccordError, ValueError):
    """An agreement none of whose objectives Prometheus rules can express."""


@dataclass(frozen=True)
class Alert:
    """One multi-window burn-rate alert of an objective."""

    threshold: Decimal
    long: timedelta
    short: timedelta
    level: EscalationLevel | None
    """The escalation level it stands for; None for the workbook's alerts."""

    @property
    def written(self) -> str:
        if self.level is not None:
            return self.level.at
        return (
            f"burn {self.threshold}x over {prometheus_duration(self.long)}/"
            f"{prometheus_duration(self.short)}"
        )

    @property
    def severity(self) -> str:
        return "page" if self.long <= _PAGE_UP_TO else "ticket"


def alerts_of(agreement: Agreement, objective: Objective) -> list[Alert]:
    """The burn-rate alerts Accord judges for an objective: its escalation's burn levels (the
    watch), else the SRE workbook's three (the report)."""
    found = []
    for _, level in levels_for(agreement, objective.id):
        burn = burn_level(level)
        if burn is not None:
            found.append(Alert(burn.threshold, burn.long, burn.short, level))
    if found:
        return found
    return [Alert(threshold, long, short, None) for long, short, threshold in WORKBOOK_ALERTS]


def why_not(agreement: Agreement, objective: Objective) -> str | None:
    """Why an objective gets no rules (None: it gets them)."""
    if objective.metric != "availability":
        return f"{objective.metric}: only availability burns an error budget"
    if not isinstance(objective.target, Decimal):
        return "no percent target"
    if objective.prometheus is None:
        return "its evidence is not read from Prometheus (no prometheus: queries)"
    if objective.calendar != "24x7":
        return (
            f"measured in the calendar {objective.calendar!r}: PromQL windows are plain time, "
            "so business-hours windows stay with Accord's watch"
        )
    if objective.method in ("slices", "ratio_slices"):
        slice_ = objective.slice.time if objective.slice and objective.slice.time else None
        if step_of(objective) != (slice_ or timedelta(minutes=1)):
            return "read at a step other than its slice: rules record one point per slice"
    if objective.method == "slices" and objective.bad_run != 1:
        return "bad_run: runs of bad slices have no PromQL form here"
    if objective.method == "slices" and objective.slice_threshold is not None:
        return "slice_threshold: one point per slice is up or down; a share needs samples"
    return None


def rules_of(agreement: Agreement) -> tuple[dict[str, Any], list[str]]:
    """The rule groups (a Prometheus rule file's document) and, per objective left out, why."""
    groups: list[dict[str, Any]] = []
    skipped = []
    for objective in agreement.objectives:
        reason = why_not(agreement, objective)
        if objective.metric != "availability":
            continue
        if reason is not None:
            skipped.append(f"{objective.id}: {reason}")
            continue
        groups.extend(_groups(agreement, objective))
    if not groups:
        raise RulesError(
            f"agreement {agreement.id}: no objective Prometheus rules can express"
            + ("".join(f"\n  {line}" for line in skipped) or ": it has no availability objective")
        )
    return {"groups": groups}, skipped


def _service(objective: Objective, agreement: Agreement) -> str:
    services = objective.scope.get("service", ())
    return services[0] if len(services) == 1 else agreement.id


def _groups(agreement: Agreement, objective: Objective) -> list[dict[str, Any]]:
    assert isinstance(objective.target, Decimal)
    source = objective.prometheus
    assert source is not None
    sloth_id = f"{agreement.id}-{objective.id}"
    ids = {
        "sloth_id": sloth_id,
        "sloth_service": _service(objective, agreement),
        "sloth_slo": objective.id,
    }
    selector = "{" + ", ".join(f'{k}="{v}"' for k, v in ids.items()) + "}"
    budget = (_HUNDRED - objective.target) / _HUNDRED
    alerts = alerts_of(agreement, objective)
    windows = sorted({w for a in alerts for w in (a.long, a.short)})
    step = step_of(objective)
    sli: list[dict[str, Any]] = []
    if objective.method == "occurrences":
        assert source.good is not None
        assert source.total is not None
        for window in windows:
            expr = (
                f"1 - (\n  ({with_window(source.good, window)})\n  /\n"
                f"  ({with_window(source.total, window)})\n)"
            )
            sli.append(_record(window, expr, ids))
    else:
        if objective.method == "slices":
            assert source.up is not None
            # one series: a slice is bad when any series of the query is (several services
            # must all be up), and a slice without any point can be told from the rest
            slice_error = f"max(1 - (({with_window(source.up, step)}) >= bool 1))"
            unknown = agreement.exclusions.unknown_data if agreement.exclusions else "excluded"
            if unknown != "excluded":  # a slice without a point is down (1) or up (0)
                slice_error = f"({slice_error}) or on() vector({1 if unknown == 'down' else 0})"
        else:
            assert source.good is not None
            assert source.total is not None
            slice_error = (
                f"1 - (\n  ({with_window(source.good, step)})\n  /\n"
                f"  (({with_window(source.total, step)}) > 0)\n)"
            )
        sli.append(_record(step, slice_error, ids))
        for window in windows:
            if window == step:
                continue
            if window % step:
                raise RulesError(
                    f"agreement {agreement.id}: objectives.{objective.id}: the alert window "
                    f"{prometheus_duration(window)} is not a whole number of slices "
                    f"({prometheus_duration(step)})"
                )
            expr = (
                f"avg_over_time({SLI}{prometheus_duration(step)}{selector}[{_just_under(window)}])"
            )
            sli.append(_record(window, expr, ids))
    meta = [
        {
            "record": "slo:objective:ratio",
            "expr": _number(objective.target / _HUNDRED),
            "labels": ids,
        },
        {"record": "slo:error_budget:ratio", "expr": _number(budget), "labels": ids},
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": f"{SLI}{prometheus_duration(windows[0])}{selector}\n"
            f"/ on({', '.join(ids)}) group_left\nslo:error_budget:ratio{selector}",
            "labels": ids,
        },
        {
            "record": "sloth_slo_info",
            "expr": "vector(1)",
            "labels": {
                **ids,
                "sloth_mode": "accord",
                "sloth_objective": _number(objective.target),
                "accord_agreement": agreement.id,
                "accord_version": agreement.version,
            },
        },
    ]
    rules = [_alert_rule(agreement, objective, alert, ids, selector, budget) for alert in alerts]
    # one group, evaluated in order: each alert reads the windows' ratios recorded at the same
    # instant (rules in separate groups would read the last evaluation's, a step late)
    return [
        {
            "name": f"accord-slo-{sloth_id}",
            "interval": prometheus_duration(step),
            "rules": sli + meta + rules,
        }
    ]


def _record(window: timedelta, expr: str, ids: dict[str, str]) -> dict[str, Any]:
    name = prometheus_duration(window)
    return {"record": f"{SLI}{name}", "expr": expr, "labels": {**ids, "sloth_window": name}}


def _just_under(window: timedelta) -> str:
    """``window`` less a millisecond as a Prometheus duration (``59m59s999ms``)."""
    return prometheus_duration(window - timedelta(seconds=1)) + "999ms"


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _alert_rule(
    agreement: Agreement,
    objective: Objective,
    alert: Alert,
    ids: dict[str, str],
    selector: str,
    budget: Decimal,
) -> dict[str, Any]:
    factor = _number(alert.threshold * budget)
    long, short = prometheus_duration(alert.long), prometheus_duration(alert.short)
    expr = (
        f"(max({SLI}{long}{selector} >= {factor}) without (sloth_window))\n"
        f"and\n"
        f"(max({SLI}{short}{selector} >= {factor}) without (sloth_window))"
    )
    labels = {
        **ids,
        "sloth_severity": alert.severity,
        "accord_agreement": agreement.id,
        "accord_objective": objective.id,
        "accord_level": alert.written,
        "accord_windows": f"{long}/{short}",
    }
    annotations = {
        "summary": (
            f"{agreement.id} {objective.id}: the error budget burns {alert.threshold}x or "
            f"faster over {long} and {short}"
        ),
        "description": (
            f"Accord's escalation level '{alert.written}' of objective {objective.id} "
            f"(target {_number(_HUNDRED - budget * _HUNDRED)}%, error budget {_number(budget)})"
            + (f"; notify: {', '.join(alert.level.notify)}" if alert.level is not None else "")
        ),
    }
    return {
        "alert": _alert_name(agreement, objective),
        "expr": expr,
        "labels": labels,
        "annotations": annotations,
    }


def _alert_name(agreement: Agreement, objective: Objective) -> str:
    words = re.split(r"[^A-Za-z0-9]+", f"{agreement.id} {objective.id}")
    return "".join(w[:1].upper() + w[1:] for w in words if w) + "ErrorBudgetBurn"
