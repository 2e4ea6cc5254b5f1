# ruff: noqa: N815  (the models' fields are the spec's own names: apiVersion, displayName...)
"""OpenSLO v1: an agreement's availability objectives written as OpenSLO documents, and OpenSLO
SLOs read back as an agreement skeleton.

The models below are written from the OpenSLO specification, version ``openslo/v1``, as its
README states it (github.com/OpenSLO/OpenSLO, commit aa5cb78, 2025): the general schema
(``apiVersion``, ``kind``, ``metadata`` with RFC 1123 names, labels and annotations), the
duration shorthand, and the kinds DataSource, SLO (with its objectives), SLI (threshold or ratio
metric), AlertPolicy, AlertCondition, AlertNotificationTarget and Service. They are strict:
unknown keys are errors, as a typo must not drop a promise. The spec repository publishes no
JSON schema, so these models are the schema Accord validates against.

What OpenSLO can say of an agreement: an availability objective measured around the clock
(any zone) over a calendar week, month, quarter or year or a rolling number of days, with its
target, budgeting method (Accord's occurrences, slices and ratio_slices are OpenSLO's
Occurrences, Timeslices and RatioTimeslices; time measured from outages is written as
one-minute Timeslices, with an annotation that restores it) and burn-rate alerts (each
multi-window level as an AlertPolicy whose lookback is the long window; the short window is an
annotation, which OpenSLO has no field for). What it cannot, and :func:`export` lists: business
hours and holidays, ticket clocks (starts, pauses, stops), counts, throughputs and deliverables,
tier targets, credits and penalties, termination, maintenance allowances, and escalation by the
share of the budget used or after a breach.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from accord.core.agreement.model import IDENTIFIER_PATTERN, TICKET_METRICS, Agreement, Objective
from accord.core.agreement.units import parse_duration
from accord.core.clocks import calendars_of
from accord.core.errors import AccordError
from accord.core.escalation import burn_level
from accord.core.slices import WORKBOOK_ALERTS
from accord.io.openslo_version import SPEC
from accord.io.openslo_version import SPEC_SOURCE as SPEC_SOURCE

ANNOTATION = "accord"
"""The prefix of the annotations Accord writes (``accord/objective``...), so that an import
restores what OpenSLO has no field for."""

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
"""RFC 1123 label: what every implementation must accept as ``metadata.name``; every name
Accord exports is one."""
READ_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9])?$"
"""The names Accord reads: RFC 1123 labels "at least" (the spec's words), and the names the
spec's own README gives its examples (``AlertPolicy``, ``OnCallDevopsMailNotification``):
letters of either case, digits, ``-_.`` inside, up to 253 characters."""
_KEY_NAME = r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?"
LABEL_KEY_PATTERN = rf"^{_KEY_NAME}$"
ANNOTATION_KEY_PATTERN = (
    rf"^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*/)?{_KEY_NAME}$"
)
DURATION_PATTERN = r"^[1-9][0-9]*[mhdwMQY]$"
"""The duration shorthand: a positive integer and one of m h d w M Q Y."""
_DURATION_OR_ZERO = r"^[0-9]+[mhdwMQY]$"  # alertAfter "defaults to 0m"

Name = Annotated[str, Field(pattern=READ_NAME_PATTERN)]
DurationShorthand = Annotated[str, Field(pattern=DURATION_PATTERN)]
Description = Annotated[str, Field(max_length=1050)]
Operator = Literal["lte", "gte", "lt", "gt"]


class OpenSloError(AccordError):
    """An OpenSLO file that cannot be read, or whose SLOs cannot become an agreement."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Metadata(_Strict):
    name: Name
    displayName: str | None = None
    labels: dict[str, str | list[str]] | None = None
    annotations: dict[str, str] | None = None

    @field_validator("labels")
    @classmethod
    def _label_keys(cls, labels: dict[str, Any] | None) -> dict[str, Any] | None:
        for key in labels or {}:
            if not re.match(LABEL_KEY_PATTERN, key):
                raise ValueError(f"label key {key!r}: at most 63 letters, digits, '-_.'")
        return labels

    @field_validator("annotations")
    @classmethod
    def _annotation_keys(cls, annotations: dict[str, str] | None) -> dict[str, str] | None:
        for key in annotations or {}:
            if not re.match(ANNOTATION_KEY_PATTERN, key) or len(key.split("/")[0]) > 253:
                raise ValueError(f"annotation key {key!r}: an optional DNS prefix/ then a name")
        return annotations


# ---------------------------------------------------------------- DataSource, Service


class DataSourceSpec(_Strict):
    description: Description | None = None
    type: str
    connectionDetails: dict[str, Any] = Field(default_factory=dict)


class DataSource(_Strict):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["DataSource"]
    metadata: Metadata
    spec: DataSourceSpec


class ServiceSpec(_Strict):
    description: Description | None = None


class Service(_Strict):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["Service"]
    metadata: Metadata
    spec: ServiceSpec = ServiceSpec()


# ---------------------------------------------------------------- SLI


class MetricSource(_Strict):
    metricSourceRef: str | None = None
    type: str | None = None
    spec: dict[str, Any]

    @model_validator(mode="after")
    def _typed_or_referred(self) -> MetricSource:
        if self.metricSourceRef is None and self.type is None:
            raise ValueError("type: needed when no metricSourceRef names a DataSource")
        return self


class Metric(_Strict):
    metricSource: MetricSource


class RatioMetric(_Strict):
    counter: bool | None = None
    good: Metric | None = None
    bad: Metric | None = None
    total: Metric | None = None
    rawType: Literal["success", "failure"] | None = None
    raw: Metric | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> RatioMetric:
        if self.raw is not None:
            if self.good or self.bad or self.total:
                raise ValueError("raw: can't be used together with good, bad or total")
            if self.rawType is None:
                raise ValueError("rawType: required with raw (success or failure)")
            return self
        if self.rawType is not None:
            raise ValueError("rawType: only with raw")
        if self.total is None:
            raise ValueError("total: required with good or bad (or give raw and rawType)")
        if (self.good is None) == (self.bad is None):
            raise ValueError("good, bad: exactly one of them is the numerator")
        return self


class SliSpec(_Strict):
    description: Description | None = None
    thresholdMetric: Metric | None = None
    ratioMetric: RatioMetric | None = None

    @model_validator(mode="after")
    def _one_metric(self) -> SliSpec:
        if (self.thresholdMetric is None) == (self.ratioMetric is None):
            raise ValueError("either thresholdMetric or ratioMetric must be given, not both")
        return self


class InlineSli(_Strict):
    metadata: Metadata
    spec: SliSpec


class Sli(_Strict):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["SLI"]
    metadata: Metadata
    spec: SliSpec


# ---------------------------------------------------------------- SLO


class CalendarStart(_Strict):
    startTime: str = Field(pattern=r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    timeZone: str

    @field_validator("startTime", mode="before")
    @classmethod
    def _written_bare(cls, value: Any) -> Any:
        """The spec writes ``startTime: 2022-01-01 12:00:00`` unquoted: YAML reads a datetime."""
        return f"{value:%Y-%m-%d %H:%M:%S}" if isinstance(value, datetime) else value

    @field_validator("timeZone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{zone!r} is not in the IANA time zone database") from None
        return zone


class TimeWindow(_Strict):
    duration: DurationShorthand
    isRolling: bool | None = None
    calendar: CalendarStart | None = None

    @model_validator(mode="after")
    def _rolling_or_aligned(self) -> TimeWindow:
        rolling = self.isRolling if self.isRolling is not None else self.calendar is None
        if rolling and self.calendar is not None:
            raise ValueError("calendar: a rolling window has no calendar")
        if not rolling and self.calendar is None:
            raise ValueError("calendar: a calendar-aligned window needs startTime and timeZone")
        return self

    @property
    def rolling(self) -> bool:
        return self.isRolling if self.isRolling is not None else self.calendar is None


class SloObjective(_Strict):
    displayName: str | None = None
    op: Operator | None = None
    value: float | None = None
    target: float | None = Field(None, ge=0, lt=1)
    targetPercent: float | None = Field(None, ge=0, lt=100)
    timeSliceTarget: float | None = Field(None, gt=0, le=1)
    timeSliceWindow: DurationShorthand | float | None = None
    indicator: InlineSli | None = None
    indicatorRef: str | None = None
    compositeWeight: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_target(self) -> SloObjective:
        if (self.target is None) == (self.targetPercent is None):
            raise ValueError("target, targetPercent: exactly one of them must be given")
        return self

    @property
    def ratio(self) -> Decimal:
        """The target as a fraction (0.999)."""
        if self.target is not None:
            return Decimal(repr(self.target))
        return Decimal(repr(self.targetPercent)) / 100


class AlertPolicyRef(_Strict):
    alertPolicyRef: str


class SloSpec(_Strict):
    description: Description | None = None
    service: str
    indicator: InlineSli | None = None
    indicatorRef: str | None = None
    timeWindow: list[TimeWindow] | None = Field(None, min_length=1, max_length=1)
    budgetingMethod: Literal["Occurrences", "Timeslices", "RatioTimeslices"]
    objectives: list[SloObjective] = Field(min_length=1)
    alertPolicies: list[AlertPolicyRef | AlertPolicy] = Field(default_factory=list)

    @field_validator("alertPolicies", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value  # ``alertPolicies:`` written with nothing after

    @model_validator(mode="after")
    def _indicator_and_slices(self) -> SloSpec:
        composite = any(o.indicator or o.indicatorRef for o in self.objectives)
        if self.indicator is not None and self.indicatorRef is not None:
            raise ValueError("indicator, indicatorRef: give one of them")
        if not composite and self.indicator is None and self.indicatorRef is None:
            raise ValueError("indicatorRef: one of indicator or indicatorRef must be given")
        for index, objective in enumerate(self.objectives):
            where = f"objectives[{index}]"
            if self.budgetingMethod == "Timeslices" and (
                objective.timeSliceTarget is None or objective.timeSliceWindow is None
            ):
                raise ValueError(f"{where}: Timeslices needs timeSliceTarget and timeSliceWindow")
            if self.budgetingMethod == "RatioTimeslices" and objective.timeSliceWindow is None:
                raise ValueError(f"{where}: RatioTimeslices needs timeSliceWindow")
        if (
            self.indicator is not None
            and self.indicator.spec.thresholdMetric is not None
            and len(self.objectives) > 1
        ):
            raise ValueError("objectives: a thresholdMetric SLO has one objective")
        return self


class Slo(_Strict):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["SLO"]
    metadata: Metadata
    spec: SloSpec


# ---------------------------------------------------------------- alerts


class Condition(_Strict):
    kind: Literal["burnrate"] = "burnrate"
    op: Operator
    threshold: float
    lookbackWindow: DurationShorthand
    alertAfter: Annotated[str, Field(pattern=_DURATION_OR_ZERO)] = "0m"


class AlertConditionSpec(_Strict):
    description: Description | None = None
    severity: str
    condition: Condition


class InlineAlertCondition(_Strict):
    kind: Literal["AlertCondition"]
    metadata: Metadata
    spec: AlertConditionSpec


class AlertCondition(_Strict):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["AlertCondition"]
    metadata: Metadata
    spec: AlertConditionSpec


class ConditionRef(_Strict):
    conditionRef: str


class NotificationTargetSpec(_Strict):
    target: str
    description: Description | None = None


class InlineNotificationTarget(_Strict):
    kind: Literal["AlertNotificationTarget"]
    metadata: Metadata
    spec: NotificationTargetSpec


class AlertNotificationTarget(_Strict):
    apiVersion: Literal["openslo/v1"]
    kind: Literal["AlertNotificationTarget"]
    metadata: Metadata
    spec: NotificationTargetSpec


class TargetRef(_Strict):
    targetRef: str


class AlertPolicySpec(_Strict):
    description: Description | None = None
    alertWhenNoData: bool = False
    alertWhenResolved: bool = False
    alertWhenBreaching: bool = False
    conditions: list[ConditionRef | InlineAlertCondition] = Field(min_length=1, max_length=1)
    notificationTargets: list[TargetRef | InlineNotificationTarget] = Field(min_length=1)


class AlertPolicy(_Strict):
    apiVersion: Literal["openslo/v1"] | None = None  # absent when inlined in an SLO
    kind: Literal["AlertPolicy"]
    metadata: Metadata
    spec: AlertPolicySpec


SloSpec.model_rebuild()
Slo.model_rebuild()

Document = Annotated[
    DataSource | Service | Sli | Slo | AlertPolicy | AlertCondition | AlertNotificationTarget,
    Field(discriminator="kind"),
]
KINDS = (
    "DataSource",
    "Service",
    "SLI",
    "SLO",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
)


class _Envelope(BaseModel):
    document: Document


def parse_document(data: Any, where: str) -> BaseModel:
    """One OpenSLO v1 document, validated; OpenSloError naming ``where`` and the field."""
    if not isinstance(data, Mapping):
        raise OpenSloError(f"{where}: expected an OpenSLO document (a mapping), got {data!r:.60}")
    if data.get("apiVersion") != SPEC:
        raise OpenSloError(
            f"{where}:apiVersion: {data.get('apiVersion')!r}; Accord reads {SPEC} documents"
        )
    if data.get("kind") not in KINDS:
        raise OpenSloError(
            f"{where}:kind: {data.get('kind')!r}; expected one of {', '.join(KINDS)}"
        )
    try:
        return _Envelope(document=data).document
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(p) for p in first["loc"][2:])  # past document.<kind>
        raise OpenSloError(f"{where}:{place or 'spec'}: {first['msg']}") from None


# ---------------------------------------------------------------- export


@dataclass
class Export:
    """OpenSLO documents of an agreement, and what of it they cannot say."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def name_of(text: str) -> str:
    """An RFC 1123 name from an Accord identifier (lowercase, '-' for anything else)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (slug[:63].rstrip("-")) or "x"


def shorthand(span: timedelta) -> str:
    """A duration as OpenSLO's shorthand: whole days as ``d``, hours as ``h``, else minutes."""
    minutes = int(span.total_seconds() // 60)
    if minutes <= 0 or span.total_seconds() % 60:
        raise OpenSloError(f"{span}: OpenSLO durations are whole minutes or more")
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _fraction(percent: Decimal) -> float:
    return float(percent / 100)


def _window(objective: Objective, start: date, zone: str) -> dict[str, Any]:
    period = objective.period
    if period.kind == "rolling":
        return {"duration": f"{period.days}d", "isRolling": True}
    if period.kind == "week":
        first = start - timedelta(days=start.weekday())
    elif period.kind == "month":
        first = start.replace(day=1)
    elif period.kind == "quarter":
        first = start.replace(month=(start.month - 1) // 3 * 3 + 1, day=1)
    else:
        first = start.replace(month=1, day=1)
    duration = {"week": "1w", "month": "1M", "quarter": "1Q", "year": "1Y"}[period.kind]
    return {
        "duration": duration,
        "calendar": {"startTime": f"{first:%Y-%m-%d} 00:00:00", "timeZone": zone},
        "isRolling": False,
    }


def _burn_levels(agreement: Agreement, objective: Objective) -> list[dict[str, Any]]:
    """The burn-rate levels Accord uses for an availability objective: the SRE workbook's
    three alerts its reports show, and the agreement's own ``burn`` escalation levels."""
    levels: list[dict[str, Any]] = [
        {
            "threshold": t,
            "long": long,
            "short": short,
            "notify": (),
            "channels": (),
            "origin": "workbook",
        }
        for long, short, t in WORKBOOK_ALERTS
    ]
    for escalation in agreement.escalation:
        if escalation.objectives and objective.id not in escalation.objectives:
            continue
        for level in escalation.levels:
            burn = burn_level(level)
            if burn is None:
                continue
            levels = [  # the agreement's own level replaces a workbook alert it repeats
                other
                for other in levels
                if other["origin"] != "workbook"
                or (other["threshold"], other["long"], other["short"])
                != (burn.threshold, burn.long, burn.short)
            ]
            levels.append(
                {
                    "threshold": burn.threshold,
                    "long": burn.long,
                    "short": burn.short,
                    "notify": level.notify,
                    "channels": level.channels,
                    "origin": "escalation",
                }
            )
    return levels


def _alert_policy(slo: str, level: dict[str, Any]) -> dict[str, Any]:
    threshold: Decimal = level["threshold"]
    rate = f"{threshold.normalize():f}"
    short = shorthand(level["short"])
    name = name_of(f"{slo}-burn-{rate.replace('.', '-')}x-{shorthand(level['long'])}-{short}")
    if level["origin"] == "workbook":
        targets: list[dict[str, Any]] = [
            {
                "kind": "AlertNotificationTarget",
                "metadata": {"name": "accord-report"},
                "spec": {
                    "target": "report",
                    "description": "shown in Accord's reports (the SRE workbook's alerts)",
                },
            }
        ]
    else:
        targets = [
            {
                "kind": "AlertNotificationTarget",
                "metadata": {"name": name_of(channel)},
                "spec": {"target": channel, "description": ", ".join(level["notify"])},
            }
            for channel in level["channels"]
        ]
    return {
        "apiVersion": SPEC,
        "kind": "AlertPolicy",
        "metadata": {
            "name": name,
            "annotations": {f"{ANNOTATION}/level": level["origin"]},
        },
        "spec": {
            "description": (
                f"Burn rate of the error budget at or above {rate}x over both the last "
                f"{shorthand(level['long'])} and the last {short} (Accord fires when both "
                f"windows hold; OpenSLO has one lookback window: the short one is the "
                f"annotation {ANNOTATION}/short-window)"
            ),
            "alertWhenBreaching": True,
            "alertWhenResolved": False,
            "alertWhenNoData": False,
            "conditions": [
                {
                    "kind": "AlertCondition",
                    "metadata": {
                        "name": name_of(f"{name}-condition"),
                        "annotations": {f"{ANNOTATION}/short-window": short},
                    },
                    "spec": {
                        "severity": "page" if threshold >= 6 else "ticket",
                        "condition": {
                            "kind": "burnrate",
                            "op": "gte",
                            "threshold": float(threshold),
                            "lookbackWindow": shorthand(level["long"]),
                            "alertAfter": "0m",
                        },
                    },
                }
            ],
            "notificationTargets": targets,
        },
    }


def export(agreement: Agreement) -> Export:
    """The agreement's availability objectives as OpenSLO v1 documents (a Service, then for
    each objective an SLI, its SLO and its AlertPolicies), every one validated against the
    models above, and the parts of the agreement OpenSLO cannot express."""
    found = Export()
    calendars = calendars_of(agreement)
    service = name_of(agreement.id)
    start = agreement.effective.start if agreement.effective else date(2026, 1, 1)
    found.documents.append(
        {
            "apiVersion": SPEC,
            "kind": "Service",
            "metadata": {
                "name": service,
                "displayName": agreement.overview.title,
                "annotations": {
                    f"{ANNOTATION}/agreement": agreement.id,
                    f"{ANNOTATION}/version": agreement.version,
                },
            },
            "spec": {
                "description": (agreement.overview.summary or agreement.overview.title).strip()[
                    :1050
                ]
            },
        }
    )
    for objective in agreement.objectives:
        reason = _not_expressible(objective, calendars)
        if reason:
            found.left_out.append(f"objective {objective.id}: {reason}")
            continue
        slo = name_of(f"{agreement.id}-{objective.id}")
        found.left_out.extend(_caveats(objective))
        calendar = calendars[objective.calendar]
        zone = str(calendar.spec.timezone or "UTC")
        annotations = {
            f"{ANNOTATION}/agreement": agreement.id,
            f"{ANNOTATION}/objective": objective.id,
            f"{ANNOTATION}/method": objective.method,
            f"{ANNOTATION}/calendar": objective.calendar,
        }
        if objective.scope:
            annotations[f"{ANNOTATION}/scope"] = json.dumps(
                {k: list(v) for k, v in objective.scope.items()}
            )
        source = name_of(objective.source or "accord")
        query = {"agreement": agreement.id, "objective": objective.id}
        found.documents.append(
            {
                "apiVersion": SPEC,
                "kind": "SLI",
                "metadata": {
                    "name": name_of(f"{slo}-sli"),
                    "displayName": f"{objective.name or objective.id}: good / total",
                },
                "spec": {
                    "description": "Accord's evidence for the objective: good and total (requests, "
                    "slices or minutes, by the budgeting method). Replace the metric sources with "
                    "your own queries (e.g. Prometheus) to measure it elsewhere.",
                    "ratioMetric": {
                        "counter": objective.method == "occurrences",
                        "good": {
                            "metricSource": {
                                "metricSourceRef": source,
                                "type": "Accord",
                                "spec": {**query, "series": "good"},
                            }
                        },
                        "total": {
                            "metricSource": {
                                "metricSourceRef": source,
                                "type": "Accord",
                                "spec": {**query, "series": "total"},
                            }
                        },
                    },
                },
            }
        )
        target = objective.target
        assert isinstance(target, Decimal)  # availability targets are percentages
        goal: dict[str, Any] = {
            "displayName": objective.name or objective.id,
            "target": _fraction(target),
        }
        method = {
            "time": "Timeslices",
            "slices": "Timeslices",
            "occurrences": "Occurrences",
            "ratio_slices": "RatioTimeslices",
        }[objective.method]
        slice_length = objective.slice.time if objective.slice else timedelta(minutes=1)
        if method in ("Timeslices", "RatioTimeslices"):
            goal["timeSliceWindow"] = shorthand(slice_length or timedelta(minutes=1))
        if method == "Timeslices":
            threshold = objective.slice_threshold
            goal["timeSliceTarget"] = 1.0 if threshold is None else _fraction(threshold)
        policies = [_alert_policy(slo, level) for level in _burn_levels(agreement, objective)]
        seen: dict[str, int] = {}
        for policy in policies:  # two levels on the same windows: told apart by a number
            name = policy["metadata"]["name"]
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                policy["metadata"]["name"] = f"{name[:60]}-{seen[name]}"
        labels = {k: list(v) for k, v in objective.scope.items() if re.match(LABEL_KEY_PATTERN, k)}
        found.documents.append(
            {
                "apiVersion": SPEC,
                "kind": "SLO",
                "metadata": {
                    "name": slo,
                    "displayName": objective.name or objective.id,
                    **({"labels": labels} if labels else {}),
                    "annotations": annotations,
                },
                "spec": {
                    "description": (objective.description or objective.name or objective.id)[:1050],
                    "service": service,
                    "indicatorRef": name_of(f"{slo}-sli"),
                    "timeWindow": [_window(objective, start, zone)],
                    "budgetingMethod": method,
                    "objectives": [goal],
                    "alertPolicies": [{"alertPolicyRef": p["metadata"]["name"]} for p in policies],
                },
            }
        )
        found.documents.extend(policies)
    found.left_out.extend(_agreement_parts(agreement, calendars))
    for index, document in enumerate(found.documents):
        parse_document(document, f"exported document {index}")  # our own output, checked
        for name in _names(document):
            if not re.match(NAME_PATTERN, name):
                raise OpenSloError(f"exported document {index}: {name!r} is not an RFC 1123 name")
    return found


def _names(document: Any) -> Iterable[str]:
    """Every ``metadata.name`` of a document, inline documents' too."""
    if isinstance(document, Mapping):
        metadata = document.get("metadata")
        if isinstance(metadata, Mapping) and isinstance(metadata.get("name"), str):
            yield metadata["name"]
        for value in document.values():
            yield from _names(value)
    elif isinstance(document, list):
        for value in document:
            yield from _names(value)


def _always_open(calendar: Any) -> bool:
    return bool(getattr(calendar.spec, "always_open", False))


def _not_expressible(objective: Objective, calendars: Mapping[str, Any]) -> str | None:
    if objective.metric in TICKET_METRICS:
        return (
            f"a ticket clock ({objective.metric} within {objective.within}: started, paused and "
            "stopped by ticket events): OpenSLO has no ticket clocks"
        )
    if objective.metric != "availability":
        return f"a {objective.metric} objective: OpenSLO's SLOs are availability-like ratios"
    if not _always_open(calendars[objective.calendar]):
        return (
            f"measured within the calendar {objective.calendar!r} (business hours or holidays): "
            "OpenSLO's time windows count every minute"
        )
    if isinstance(objective.target, Decimal) and objective.target >= 100:
        return "a 100% target: OpenSLO's targets are below 100%"
    return None


def _caveats(objective: Objective) -> list[str]:
    said = []
    if objective.method == "time":
        said.append(
            f"objective {objective.id}: measured from outage times; OpenSLO has no such method, "
            f"so it is written as one-minute Timeslices (annotation {ANNOTATION}/method: time)"
        )
    if objective.bad_run > 1:
        said.append(
            f"objective {objective.id}: only runs of {objective.bad_run} bad slices count as "
            "down: OpenSLO counts every bad slice"
        )
    if objective.tiers:
        said.append(f"objective {objective.id}: tier targets ({', '.join(objective.tiers)})")
    return said


def _agreement_parts(agreement: Agreement, calendars: Mapping[str, Any]) -> list[str]:
    said = []
    business = sorted(n for n, c in calendars.items() if not _always_open(c))
    if business:
        said.append(f"business-hours calendars: {', '.join(business)}")
    remedies = agreement.remedies
    if remedies is not None and remedies.credits:
        said.append(f"credits: {', '.join(c.objective for c in remedies.credits)}")
    if remedies is not None and remedies.penalties:
        said.append(f"penalties: {', '.join(p.objective for p in remedies.penalties)}")
    if remedies is not None and remedies.termination is not None:
        said.append("termination after repeated misses")
    exclusions = agreement.exclusions
    if exclusions is not None and exclusions.maintenance is not None:
        said.append("planned maintenance (notice, allowance, window)")
    for escalation in agreement.escalation:
        for level in escalation.levels:
            if burn_level(level) is None:
                objectives = ", ".join(escalation.objectives) or "all objectives"
                said.append(
                    f"escalation at {level.at!r} ({objectives}): OpenSLO alerts on burn rates only"
                )
    return said


# ---------------------------------------------------------------- import


@dataclass
class Imported:
    """An agreement skeleton (its YAML data) read from OpenSLO documents, and what was not
    read."""

    data: dict[str, Any]
    skipped: list[str] = field(default_factory=list)


_PERIODS = {"1w": "week", "1M": "month", "1Q": "quarter", "1Y": "year"}
_UNIT_DAYS = {"d": 1, "w": 7}


def _period(window: TimeWindow, where: str) -> str:
    if window.rolling:
        count, unit = int(window.duration[:-1]), window.duration[-1]
        if unit not in _UNIT_DAYS:
            raise OpenSloError(
                f"{where}:duration: a rolling {window.duration}; Accord's rolling periods are "
                "whole days (d or w)"
            )
        return f"rolling {count * _UNIT_DAYS[unit]} days"
    period = _PERIODS.get(window.duration)
    if period is None:
        raise OpenSloError(
            f"{where}:duration: a calendar window of {window.duration}; Accord's calendar "
            "periods are 1w, 1M, 1Q and 1Y"
        )
    return period


def _unaligned(calendar: CalendarStart, period: str) -> str | None:
    """What an import changes when a calendar window starts elsewhere than Accord's periods,
    which start at midnight on a Monday, a month's, a quarter's or a year's first day."""
    start = datetime.strptime(calendar.startTime, "%Y-%m-%d %H:%M:%S")
    aligned = start.time() == datetime.min.time() and {
        "week": start.weekday() == 0,
        "month": start.day == 1,
        "quarter": start.day == 1 and start.month % 3 == 1,
        "year": start.day == 1 and start.month == 1,
    }.get(period, True)
    if aligned:
        return None
    return (
        f"timeWindow starts at {calendar.startTime} ({start:%A}); Accord's {period} starts at "
        f"midnight on its first day{' (a Monday)' if period == 'week' else ''}, so the "
        "imported periods are shifted to those"
    )


def _percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f}%"


def _slice(value: str | float) -> str:
    return value if isinstance(value, str) else f"{int(value)}m"  # a number is minutes


def import_documents(documents: Sequence[tuple[str, Any]], fallback_id: str) -> Imported:
    """An agreement skeleton from OpenSLO documents (each with the place errors name). SLOs
    become availability objectives; burn-rate AlertPolicies (other than the workbook alerts
    Accord exports) become escalation levels."""
    parsed = [(where, parse_document(data, where)) for where, data in documents]
    services = [d for _, d in parsed if isinstance(d, Service)]
    slis = {d.metadata.name: d for _, d in parsed if isinstance(d, Sli)}
    policies = {d.metadata.name: d for _, d in parsed if isinstance(d, AlertPolicy)}
    conditions = {d.metadata.name: d for _, d in parsed if isinstance(d, AlertCondition)}
    targets = {d.metadata.name: d for _, d in parsed if isinstance(d, AlertNotificationTarget)}
    slos = [(w, d) for w, d in parsed if isinstance(d, Slo)]
    if not slos:
        raise OpenSloError("no SLO among the documents: nothing to make an agreement of")
    found = Imported(data={})
    service_notes = (services[0].metadata.annotations or {}) if services else {}
    agreement_id = service_notes.get(f"{ANNOTATION}/agreement") or (
        services[0].metadata.name if services else fallback_id
    )
    calendars: dict[str, Any] = {}
    objectives: list[dict[str, Any]] = []
    escalation: list[dict[str, Any]] = []
    for where, slo in slos:
        notes = slo.metadata.annotations or {}
        spec = slo.spec
        indicator = spec.indicator.spec if spec.indicator else None
        if indicator is None and spec.indicatorRef in slis:
            indicator = slis[spec.indicatorRef].spec
        if indicator is not None and indicator.thresholdMetric is not None:
            found.skipped.append(
                f"{where}: SLO {slo.metadata.name}: a threshold metric (op/value on a measured "
                "value): not an availability ratio; not imported"
            )
            continue
        window = spec.timeWindow[0] if spec.timeWindow else None
        try:
            period = "month" if window is None else _period(window, f"{where}:spec.timeWindow[0]")
        except OpenSloError as error:  # this SLO is left out, the others are read
            found.skipped.append(f"{error}; SLO {slo.metadata.name} not imported")
            continue
        if window is None:
            found.skipped.append(f"{where}: SLO {slo.metadata.name}: no timeWindow: judged monthly")
        elif window.calendar is not None:
            moved = _unaligned(window.calendar, period)
            if moved:
                found.skipped.append(f"{where}: SLO {slo.metadata.name}: {moved}")
        calendar = notes.get(f"{ANNOTATION}/calendar", "24x7")
        zone = window.calendar.timeZone if window and window.calendar else "UTC"
        if zone != "UTC" or calendar != "24x7":
            if calendar == "24x7":
                calendar = name_of(f"all-day-{zone}")
            calendars[calendar] = {"timezone": zone, "hours": "24x7"}
        method = {
            "Occurrences": "occurrences",
            "Timeslices": "slices",
            "RatioTimeslices": "ratio_slices",
        }[spec.budgetingMethod]
        if method == "slices" and notes.get(f"{ANNOTATION}/method") == "time":
            method = "time"
        many = len(spec.objectives) > 1
        for index, goal in enumerate(spec.objectives):
            base = notes.get(f"{ANNOTATION}/objective") or slo.metadata.name
            objective: dict[str, Any] = {
                "id": f"{base}-{index + 1}" if many else base,
                "name": goal.displayName or slo.metadata.displayName or slo.metadata.name,
                "metric": "availability",
                "target": _percent(goal.ratio),
                "period": period,
            }
            if spec.description and spec.description != objective["name"]:
                objective["description"] = spec.description
            if calendar != "24x7":
                objective["calendar"] = calendar
            if method != "time":
                objective["method"] = method
            if method in ("slices", "ratio_slices") and goal.timeSliceWindow is not None:
                objective["slice"] = _slice(goal.timeSliceWindow)
            if method == "slices" and goal.timeSliceTarget not in (None, 1.0):
                objective["slice_threshold"] = _percent(Decimal(repr(goal.timeSliceTarget)))
            scope = notes.get(f"{ANNOTATION}/scope")
            if scope:
                objective["scope"] = json.loads(scope)
            objectives.append(objective)
            levels = _levels(slo, spec, policies, conditions, targets, found, where)
            if levels:
                escalation.append({"objectives": [objective["id"]], "levels": levels})
    if not objectives:
        raise OpenSloError(
            "no SLO could become an availability objective: " + "; ".join(found.skipped)
        )
    found.data = {
        "id": agreement_id if re.match(IDENTIFIER_PATTERN, agreement_id) else name_of(agreement_id),
        "version": service_notes.get(f"{ANNOTATION}/version", "1"),
        "overview": {
            "title": (services[0].metadata.displayName if services else None)
            or f"Imported from OpenSLO ({len(objectives)} objective(s))",
            "summary": (services[0].spec.description if services else None)
            or "An agreement skeleton made by accord openslo import: add the parties, "
            "calendars, remedies and the measurement sources.",
        },
        **({"calendars": calendars} if calendars else {}),
        "objectives": objectives,
        **({"escalation": escalation} if escalation else {}),
    }
    return found


def _levels(
    slo: Slo,
    spec: SloSpec,
    policies: Mapping[str, AlertPolicy],
    conditions: Mapping[str, AlertCondition],
    targets: Mapping[str, AlertNotificationTarget],
    found: Imported,
    where: str,
) -> list[dict[str, Any]]:
    """Escalation levels from an SLO's burn-rate alert policies (the workbook's excepted)."""
    levels = []
    for item in spec.alertPolicies:
        policy = policies.get(item.alertPolicyRef) if isinstance(item, AlertPolicyRef) else item
        if policy is None:
            found.skipped.append(f"{where}: alert policy {item.alertPolicyRef!r} not given")  # type: ignore[union-attr]
            continue
        if (policy.metadata.annotations or {}).get(f"{ANNOTATION}/level") == "workbook":
            continue  # the alerts Accord's reports show anyway
        reference = policy.spec.conditions[0]
        condition = (
            conditions.get(reference.conditionRef)
            if isinstance(reference, ConditionRef)
            else reference
        )
        if condition is None or condition.spec.condition.op not in ("gte", "gt"):
            found.skipped.append(
                f"{where}: alert policy {policy.metadata.name}: not a burn rate rising past a "
                "threshold (op gte or gt); not imported"
            )
            continue
        rule = condition.spec.condition
        count, unit = int(rule.lookbackWindow[:-1]), rule.lookbackWindow[-1]
        if unit not in "mhdw":
            found.skipped.append(
                f"{where}: alert policy {policy.metadata.name}: a lookback of "
                f"{rule.lookbackWindow}; Accord's burn windows are minutes, hours or days"
            )
            continue
        long = f"{count * 7}d" if unit == "w" else rule.lookbackWindow
        short = (condition.metadata.annotations or {}).get(f"{ANNOTATION}/short-window")
        if short is None:  # the SRE workbook pairs a window with one twelve times shorter
            time = parse_duration(long).time
            short = shorthand((time or timedelta(hours=1)) / 12)
        channels: list[str] = []
        notify: list[str] = []
        for target in policy.spec.notificationTargets:
            resolved = targets.get(target.targetRef) if isinstance(target, TargetRef) else target
            name = target.targetRef if isinstance(target, TargetRef) else target.metadata.name
            kind = resolved.spec.target.lower() if resolved is not None else ""
            if kind in ("email", "webhook", "sms", "chat") and kind not in channels:
                channels.append(kind)
            described = resolved.spec.description if resolved is not None else None
            notify.extend(p.strip() for p in (described or name).split(",") if p.strip())
        threshold = Decimal(repr(rule.threshold)).normalize()
        levels.append(
            {
                "at": f"burn {threshold:f}x over {long}/{short}",
                "notify": list(dict.fromkeys(notify)) or [slo.metadata.name],
                **({"channels": channels} if channels else {}),
            }
        )
    return levels
