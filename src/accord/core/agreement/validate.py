"""Checking an agreement: every problem at once, each naming its field and what was expected.

Two passes: the schema (types, units, unknown keys with a did-you-mean), then the meaning
(references to calendars, services, tiers, parties and objectives that must exist; credit bands
that overlap or leave gaps; targets no one can meet). A problem carries the path of the field, so
the file layer can point at the line and column where it was written.
"""

from __future__ import annotations

import itertools
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from accord.core.agreement.model import (
    PATTERN_HINTS,
    TICKET_METRICS,
    Agreement,
    BonusBand,
    CreditSchedule,
    Limit,
    Objective,
    Penalty,
)
from accord.core.agreement.units import parse_duration
from accord.core.calendar.named import reference_problems
from accord.core.calendar.spec import (
    BUILT_IN_CALENDARS,
    CalendarSpec,
    ComposedSpec,
    parse_calendar,
)
from accord.core.errors import SpecError, did_you_mean, format_path
from accord.core.graph import path_between
from accord.core.horizon import day_problem

Path = tuple[str | int, ...]
_PERIOD_BUSINESS_DAYS = {"week": 5, "month": 20, "quarter": 60, "year": 250}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an agreement, at a field path such as ``objectives[2].target``."""

    path: Path
    message: str

    @property
    def where(self) -> str:
        return format_path(self.path)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.path else self.message


class AgreementError(SpecError):
    """An agreement with problems; ``problems`` lists them all, ``str()`` shows them one a line."""

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = problems
        text = "\n".join(str(p) for p in problems)
        super().__init__("", text, source)


def check_agreement(data: Any) -> tuple[Agreement | None, list[Problem]]:
    """Validate a parsed agreement document; the agreement is None when the schema fails."""
    if not isinstance(data, Mapping):
        return None, [Problem((), f"an agreement must be a mapping, got {type(data).__name__}")]
    try:
        agreement = Agreement.model_validate(data)
    except ValidationError as error:
        return None, schema_problems(error, Agreement)
    return agreement, list(check_meaning(agreement))


# ---------------------------------------------------------------- schema errors, for people


def schema_problems(error: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """A pydantic validation error of a document of model ``root`` as problems for people: each
    at its field's path, unknown keys with a did-you-mean and the keys expected there."""
    errors = error.errors()
    problems = [_problem_of(e, root) for e in errors]
    paths = [p.path for p in problems]
    # a list that is "too short" only because its items failed says nothing more
    problems = [
        p
        for p, e in zip(problems, errors, strict=True)
        if not (
            e["type"] == "too_short"
            and any(q[: len(p.path)] == p.path and q != p.path for q in paths)
        )
    ]
    # a misspelt key and the field it was meant to be are one mistake, not two
    suggested = {
        (*p.path[:-1], p.message.split("did you mean '")[1].split("'")[0])
        for p in problems
        if "did you mean '" in p.message and p.message.startswith("unknown key")
    }
    return [p for p in problems if not (p.path in suggested and p.message.startswith("missing"))]


def _problem_of(error: Any, root: type[BaseModel]) -> Problem:
    path: Path = tuple(part for part in error["loc"] if not _is_union_tag(part))
    kind, found = error["type"], error.get("input")
    if kind == "extra_forbidden":
        # the key itself, even one that looks like a union tag (a key such as "[" or "int")
        key = str(error["loc"][-1])
        if not path or path[-1] != error["loc"][-1]:
            path = (*path, error["loc"][-1])
        allowed = _fields_at(path[:-1], root)
        return Problem(
            path,
            f"unknown key {key!r}{did_you_mean(key, allowed)}; expected one of "
            + ", ".join(allowed),
        )
    if kind == "missing":
        return Problem(path, "missing: this field is required")
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        return Problem(
            path,
            f"unknown value {found!r}{did_you_mean(str(found), expected)}; "
            f"expected one of {', '.join(expected)}",
        )
    if kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(error["ctx"]["pattern"]) or _description_at(path, root)
        return Problem(path, f"malformed value {found!r}" + (f"; expected {hint}" if hint else ""))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Problem(path, f"expected a mapping (key: value lines), got {_kind_of(found)}")
    if kind in ("tuple_type", "list_type"):
        return Problem(path, f"expected a list (- item lines, or [a, b]), got {_kind_of(found)}")
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        field, _, rest = message.partition(": ")
        model = _model_at(path, root)
        if rest and model is not None and field in model.model_fields:
            return Problem((*path, field), rest)
        return Problem(path, message)
    message = message[0].lower() + message[1:]
    if found is not None and not isinstance(found, Mapping | list):
        message = f"{message}, got {found!r}"
    return Problem(path, message)


def _kind_of(value: Any) -> str:
    if isinstance(value, str | int | float | bool):
        return f"{type(value).__name__} {value!r}"
    return {"list": "a list", "dict": "a mapping", "NoneType": "nothing"}.get(
        type(value).__name__, type(value).__name__
    )


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "Decimal", "Bound"))


def _model_at(path: Path, root: type[BaseModel]) -> type[BaseModel] | None:
    """The model class describing the value at ``path`` of a ``root`` document, if a model."""
    current: Any = root
    for part in path:
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = _unwrap(field.annotation)
        elif isinstance(part, int) or current is dict:
            continue
        else:
            current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """The model inside ``X | None``, ``tuple[X, ...]`` or ``dict[str, X]``."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            models = [a for a in get_args(annotation) if a is not type(None)]
            annotation = models[0] if len(models) == 1 else annotation
            if len(models) != 1:
                return annotation
        elif origin in (tuple, list):
            annotation = get_args(annotation)[0]
        elif origin is dict:
            annotation = get_args(annotation)[1]
        else:
            return annotation


def _fields_at(path: Path, root: type[BaseModel]) -> list[str]:
    model = _model_at(path, root)
    return list(model.model_fields) if model is not None else []


def _description_at(path: Path, root: type[BaseModel]) -> str | None:
    model = _model_at(path[:-1], root)
    if model is None or not isinstance(path[-1], str):
        return None
    field = model.model_fields.get(path[-1])
    return field.description if field is not None else None


# ---------------------------------------------------------------- meaning


def check_meaning(agreement: Agreement) -> Iterator[Problem]:
    """Cross-references and arithmetic sense of a schema-valid agreement."""
    yield from _unique(agreement)
    yield from _calendars(agreement)
    calendars = set(agreement.calendars) | set(BUILT_IN_CALENDARS)
    services = {s.id for s in agreement.services}
    tiers = {t.id for t in agreement.tiers}
    objectives = {o.id for o in agreement.objectives}
    weighted = {s.id: s.composition == "weighted" for s in agreement.services}
    providers = (
        set() if agreement.parties is None else {p.id for p in agreement.parties.all_providers}
    )

    def unknown(path: Path, what: str, name: str, known: set[str]) -> Problem:
        listed = ", ".join(sorted(known)) or "none"
        return Problem(
            path, f"unknown {what} {name!r}{did_you_mean(name, known)}; defined: {listed}"
        )

    for i, service in enumerate(agreement.services):
        base: Path = ("services", i)
        if service.provider is not None and providers and service.provider not in providers:
            yield unknown((*base, "provider"), "provider", service.provider, providers)
        for j, component in enumerate(service.components):
            if component == service.id:
                yield Problem((*base, "components", j), "a service cannot depend on itself")
            elif component not in services:
                yield unknown((*base, "components", j), "service", component, services)
        for component in service.weights:
            if component not in service.components:
                yield Problem(
                    (*base, "weights", component),
                    "a weight for a service that is not among this service's components",
                )
        yield from _composition(agreement, i)
    for i, paid in enumerate(agreement.tiers):
        for provider in paid.fees:
            if provider not in providers:
                yield unknown(("tiers", i, "fees", provider), "provider", provider, providers)
    for i, objective in enumerate(agreement.objectives):
        base = ("objectives", i)
        if objective.calendar not in calendars:
            yield unknown((*base, "calendar"), "calendar", objective.calendar, calendars)
        if services:
            scoped = objective.scope.get("service", ())
            for j, name in enumerate(scoped):
                if name not in services:
                    yield unknown((*base, "scope", "service", j), "service", name, services)
                elif len(scoped) > 1 and weighted.get(name):
                    yield Problem(
                        (*base, "scope", "service", j),
                        f"{name!r} is weighted; a weighted service can only be measured on its "
                        "own, not beside other services that must be up",
                    )
        for tier in objective.tiers:
            if tier not in tiers:
                yield unknown((*base, "tiers", tier), "tier", tier, tiers)
        for j, provider in enumerate(objective.providers):
            if provider not in providers:
                yield unknown((*base, "providers", j), "provider", provider, providers)
        yield from _deliverable_fits_period(objective, base)
    if agreement.exclusions and agreement.exclusions.maintenance:
        window = agreement.exclusions.maintenance.window
        if window is not None and window not in calendars:
            yield unknown(("exclusions", "maintenance", "window"), "calendar", window, calendars)
    for i, escalation in enumerate(agreement.escalation):
        for j, name in enumerate(escalation.objectives):
            if name not in objectives:
                yield unknown(("escalation", i, "objectives", j), "objective", name, objectives)
        covered = [o for o in agreement.objectives if o.id in escalation.objectives] or list(
            agreement.objectives
        )
        for j, level in enumerate(escalation.levels):
            yield from _burn_level(level.at, covered, ("escalation", i, "levels", j, "at"))
            held = level.respect_calendar
            if held is not None and held not in calendars:
                path: Path = ("escalation", i, "levels", j, "respect_calendar")
                yield unknown(path, "calendar", held, calendars)
    remedies = agreement.remedies
    if remedies is not None:
        by_id: dict[str, Objective] = {}
        for objective in agreement.objectives:
            by_id.setdefault(objective.id, objective)
        for i, schedule in enumerate(remedies.credits):
            base = ("remedies", "credits", i)
            if schedule.objective not in objectives:
                yield unknown((*base, "objective"), "objective", schedule.objective, objectives)
            for j, tier in enumerate(schedule.tiers):
                if tier not in tiers:
                    yield unknown((*base, "tiers", j), "tier", tier, tiers)
            credited = by_id.get(schedule.objective)
            if credited is not None and not isinstance(credited.target, Decimal):
                yield Problem(
                    (*base, "objective"),
                    f"credit bands are shares of attainment in percent, but "
                    f"{schedule.objective}'s target is {credited.target}, a bound; expected an "
                    "objective with a percent target (penalties per miss charge missed bounds)",
                )
                continue
            yield from _bands(schedule, credited, base)
        for i, penalty in enumerate(remedies.penalties):
            if penalty.objective not in objectives:
                path = ("remedies", "penalties", i, "objective")
                yield unknown(path, "objective", penalty.objective, objectives)
            measured = by_id.get(penalty.objective)
            timed = measured is None or (
                measured.metric == "availability" and measured.method == "time"
            )
            counted = penalty.per in ("hour", "day") or (
                penalty.per == "incident"
                and measured is not None
                and measured.metric not in TICKET_METRICS
            )
            if counted and not timed and measured is not None:
                how = measured.metric if measured.metric != "availability" else measured.method
                what = (
                    f"a penalty per {penalty.per} counts downtime"
                    if penalty.per != "incident"
                    else "a penalty per incident counts incidents of downtime or breached tickets"
                )
                other = "per: incident or per: miss" if penalty.per != "incident" else "per: miss"
                yield Problem(
                    ("remedies", "penalties", i, "per"),
                    f"{what}, but {penalty.objective} is measured by {how}; expected an "
                    f"availability objective measured in time (method: time)"
                    + (" or a ticket objective" if penalty.per == "incident" else "")
                    + f", or {other}",
                )
            threshold = penalty.per in ("hour", "day") and (
                penalty.beyond is not None or penalty.rounding != "pro rata"
            )
            if "period" in penalty.model_fields_set and not threshold:
                yield Problem(
                    ("remedies", "penalties", i, "period"),
                    "period is the span a threshold (beyond:) or a rounding is counted over, "
                    "and this penalty "
                    + (
                        "has neither; remove period, or add beyond: e.g. 8h"
                        if penalty.per in ("hour", "day")
                        else f"per {penalty.per} has none: "
                        + (
                            f"each of {penalty.objective}'s own periods (its period:) is "
                            "judged and each miss is charged once"
                            if penalty.per == "miss"
                            else "each incident is charged once, in the period it began"
                        )
                        + "; remove period"
                    ),
                )
            if penalty.period.kind == "rolling":
                yield Problem(
                    ("remedies", "penalties", i, "period"),
                    f"a penalty's threshold runs over a calendar week, month, quarter or year, "
                    f"got {penalty.period}",
                )
            yield from _rounding_and_limits(penalty, ("remedies", "penalties", i))
        yield from _limits_across(agreement)
        if remedies.termination is not None:
            for j, name in enumerate(remedies.termination.objectives):
                if name not in objectives:
                    path = ("remedies", "termination", "objectives", j)
                    yield unknown(path, "objective", name, objectives)
        yield from _pool_bonus_and_time(
            agreement, by_id, lambda path, name: unknown(path, "objective", name, objectives)
        )
        if remedies.credits and not any(t.fee or t.fees for t in agreement.tiers):
            yield Problem(
                ("remedies", "credits"),
                "credits are a share of a fee, but no tier "
                "states one (tiers: [{id, name, fee: {amount, currency}}])",
            )
    if agreement.effective is not None:
        for path, day in (
            (("effective", "start"), agreement.effective.start),
            (("effective", "end"), agreement.effective.end),
            (("effective", "review", "next"), agreement.effective.review.next),
        ):
            problem = day_problem(day) if day is not None else None
            if problem is not None:
                hint = "; leave it out for an agreement without an end" if path[-1] == "end" else ""
                yield Problem(path, problem + hint)
        review = agreement.effective.review.next
        if review is not None and review < agreement.effective.start:
            yield Problem(
                ("effective", "review", "next"),
                f"the next review {review} comes before the start {agreement.effective.start}",
            )


def _rounding_and_limits(penalty: Penalty, base: Path) -> Iterator[Problem]:
    """A rounding counts the hours (or days) a penalty charges by, and a limit is in the
    penalty's currency, one per period."""
    if penalty.rounding != "pro rata":
        unit = penalty.rounding.rsplit(" ", 1)[1]
        if penalty.per not in ("hour", "day"):
            yield Problem(
                (*base, "rounding"),
                f"a rounding counts the hours or days of downtime a penalty charges, and this "
                f"penalty is per {penalty.per}; remove rounding, or charge per: hour",
            )
        elif unit != penalty.per:
            yield Problem(
                (*base, "rounding"),
                f"the penalty is per {penalty.per} and the rounding counts by the {unit}; "
                f"expected per started {penalty.per}, per full {penalty.per} or pro rata",
            )
    unrounded = penalty.per not in ("hour", "day") or penalty.rounding == "pro rata"
    if penalty.rounding_of == "incident" and unrounded:
        yield Problem(
            (*base, "rounding_of"),
            "rounding_of: incident rounds each incident's hours on its own, and this "
            "penalty has no rounding; expected rounding: per started hour or per full hour "
            "on a penalty per hour, or no rounding_of",
        )
    limits: list[tuple[int, Limit]] = list(enumerate(penalty.limits))
    for j, limit in limits:
        if limit.per == "incident" and penalty.per not in ("hour", "day"):
            yield Problem(
                (*base, "limits", j, "per"),
                f"a limit per incident bounds what each incident's hours cost, and this penalty "
                f"is per {penalty.per} (a fixed amount each); expected a penalty per hour or "
                "day, or a limit per week, month, quarter or year",
            )
    yield from _limit_problems(limits, {penalty.amount.currency}, (*base, "limits"))


def _limit_problems(
    limits: list[tuple[int, Limit]], currencies: set[str], base: Path
) -> Iterator[Problem]:
    """Limits (each with its index) in the currency of what they limit, one per period."""
    seen: dict[str, int] = {}
    for j, limit in limits:
        bound = "at_most" if limit.at_most is not None else "at_least"
        if currencies and limit.currency not in currencies:
            yield Problem(
                (*base, j, bound, "currency"),
                f"the limit is in {limit.currency} and what it limits is in "
                f"{', '.join(sorted(currencies))}; expected the same currency",
            )
        if limit.per in seen:
            yield Problem(
                (*base, j, "per"),
                f"a second limit per {limit.per} (the first is item {seen[limit.per]}); expected "
                "one limit per period, with at_most and at_least together",
            )
        seen.setdefault(limit.per, j)


def _limits_across(agreement: Agreement) -> Iterator[Problem]:
    """Limits across remedies limit remedies the agreement has, in their currency."""
    remedies = agreement.remedies
    if remedies is None or not remedies.limits:
        return
    fees = {t.fee.currency for t in agreement.tiers if t.fee is not None}
    fees |= {f.currency for t in agreement.tiers for f in t.fees.values()}
    charged = {p.amount.currency for p in remedies.penalties}
    credited = bool(remedies.credits) or remedies.at_risk is not None  # the pool's are credits
    base: Path = ("remedies", "limits")
    for j, limit in enumerate(remedies.limits):
        if limit.per == "incident":
            yield Problem(
                (*base, j, "per"),
                "a limit across remedies is per week, month, quarter or year; a limit per "
                "incident goes on a penalty per hour (remedies.penalties[].limits)",
            )
        if limit.of == "penalties" and not remedies.penalties:
            yield Problem((*base, j, "of"), "limits penalties, but the agreement has none")
        if limit.of == "credits" and not credited:
            yield Problem(
                (*base, j, "of"),
                "limits service credits, but the agreement has none (no credits, no at_risk)",
            )
    for of in ("penalties", "credits", "all"):
        limited: list[tuple[int, Limit]] = [
            (j, limit) for j, limit in enumerate(remedies.limits) if limit.of == of
        ]
        currencies = {
            "penalties": charged,
            "credits": fees if credited else set(),
            "all": charged | (fees if credited else set()),
        }[of]
        yield from _limit_problems(limited, currencies, base)
        indexes = [j for j, _ in limited]
        if len(currencies) > 1:
            for j in indexes:
                yield Problem(
                    (*base, j),
                    f"the remedies it limits are in {', '.join(sorted(currencies))}; a limit "
                    "across them needs them in one currency",
                )


def _burn_level(at: str, covered: list[Objective], path: Path) -> Iterator[Problem]:
    """A burn-rate level needs an availability objective with a percent target to watch, and
    a short window shorter than the long one."""
    words = at.split()
    if not words or words[0] != "burn":
        return
    if not any(o.metric == "availability" and isinstance(o.target, Decimal) for o in covered):
        names = ", ".join(o.id for o in covered) or "none"
        yield Problem(
            path,
            f"{at!r} watches an error budget, but this escalation covers no availability "
            f"objective with a percent target (it covers: {names})",
        )
    long, short = (parse_duration(w.strip()).time for w in at.split("over", 1)[1].split("/"))
    if long is not None and short is not None and short >= long:
        yield Problem(path, f"{at!r}: the short window must be shorter than the long one")


def _composition(agreement: Agreement, index: int) -> Iterator[Problem]:
    """A service's components: no cycle, weights for every component adding up to 1, and no
    weighted service as a component that must be up (a blend is no up-or-down state)."""
    by_id = {s.id: s for s in agreement.services}
    made_of = {s.id: s.components for s in agreement.services}
    service = agreement.services[index]
    base: Path = ("services", index)
    for j, component in enumerate(service.components):
        path = None if component == service.id else path_between(made_of, component, service.id)
        if path is not None:
            chain = [service.id, *path]
            yield Problem(
                (*base, "components", j),
                f"a cycle: {chain[0]} needs {chain[1]}"
                + "".join(f", which needs {name}" for name in chain[2:]),
            )
        other = by_id.get(component)
        if service.composition == "all" and other is not None and other.composition == "weighted":
            yield Problem(
                (*base, "components", j),
                f"{component!r} is weighted; a weighted service can only be measured on its own, "
                "not as a component that must be up",
            )
    if service.composition != "weighted":
        return
    for component in service.components:
        if component not in service.weights:
            yield Problem(
                (*base, "weights"),
                f"missing a weight for {component!r}; weighted composition weighs every component",
            )
    total = sum(service.weights.values(), Decimal(0))
    if service.weights and set(service.components) <= set(service.weights) and total != 1:
        yield Problem(
            (*base, "weights"),
            f"the weights add up to {total.normalize():f}; they must add up to 1",
        )


def _unique(agreement: Agreement) -> Iterator[Problem]:
    for section in ("objectives", "services", "tiers"):
        seen: dict[str, int] = {}
        for i, item in enumerate(getattr(agreement, section)):
            if item.id in seen:
                yield Problem(
                    (section, i, "id"),
                    f"duplicate id {item.id!r} (also {section}[{seen[item.id]}])",
                )
            seen.setdefault(item.id, i)


def _calendars(agreement: Agreement) -> Iterator[Problem]:
    parsed: dict[str, CalendarSpec | ComposedSpec] = {}
    for name, spec in agreement.calendars.items():
        if name in BUILT_IN_CALENDARS:
            yield Problem(("calendars", name), f"{name!r} is built in; choose another name")
            continue
        try:
            parsed[name] = parse_calendar(spec)
        except SpecError as error:
            inner = tuple(_split_where(error.where))
            yield Problem(("calendars", name, *inner), error.problem)
    # a calendar whose own mapping is wrong is still a name others may use
    for path, problem in reference_problems(parsed, defined=agreement.calendars):
        yield Problem(("calendars", *path), problem)


def _split_where(where: str) -> Iterator[str | int]:
    for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", where):
        yield int(index) if index else key


def _bands(schedule: CreditSchedule, objective: Objective | None, base: Path) -> Iterator[Problem]:
    """Bands, read from the highest, must tile attainment without overlaps or gaps."""
    bands = sorted(enumerate(schedule.bands), key=lambda pair: pair[1].below, reverse=True)
    for (i, upper), (j, lower) in itertools.pairwise(bands):
        if lower.below > upper.at_least:
            yield Problem(
                (*base, "bands", j),
                f"band below {lower.below}% overlaps band {i} "
                f"(from {upper.at_least}% below {upper.below}%)",
            )
        elif lower.below < upper.at_least:
            yield Problem(
                (*base, "bands", j),
                f"gap: attainment from {lower.below}% to "
                f"{upper.at_least}% earns no credit (band {i} starts at "
                f"{upper.at_least}%)",
            )
    if objective is not None and isinstance(objective.target, Decimal) and bands:
        top_index, top = bands[0]
        if top.below < objective.target:
            yield Problem(
                (*base, "bands", top_index, "below"),
                f"gap: attainment from {top.below}% to the {objective.target}% target misses "
                "the target but earns no credit",
            )
        if top.below > objective.target:
            yield Problem(
                (*base, "bands", top_index, "below"),
                f"credits from {top.below}% down, but the target is "
                f"{objective.target}%: a met target would earn a credit",
            )


def _deliverable_fits_period(objective: Objective, base: Path) -> Iterator[Problem]:
    if objective.metric != "deliverable" or objective.due is None:
        return
    day = int(re.match(r"\d+", objective.due).group(0))  # type: ignore[union-attr]
    available = _PERIOD_BUSINESS_DAYS.get(objective.period.kind, objective.period.days)
    if day > available:
        yield Problem(
            (*base, "due"),
            f"the {objective.due} cannot be met every "
            f"{objective.period}: a {objective.period} has about {available} business "
            "days",
        )


def _pool_bonus_and_time(
    agreement: Agreement,
    by_id: Mapping[str, Objective],
    unknown: Callable[[Path, str], Problem],
) -> Iterator[Problem]:
    """The at-risk pool's allocations, the bonus bands and the service-time credits: each on
    an objective that exists (``unknown``: the problem of one that does not) and can bear it,
    and a fee for the money ones."""
    remedies = agreement.remedies
    assert remedies is not None

    one_fee = any(t.fee is not None for t in agreement.tiers)
    at_risk = remedies.at_risk
    if at_risk is not None:
        base: Path = ("remedies", "at_risk")
        if at_risk.share == 0:
            yield Problem((*base, "share"), "0% of the fee at risk puts nothing at risk")
        seen: dict[str, int] = {}
        for i, allocation in enumerate(at_risk.allocations):
            path: Path = (*base, "allocations", i)
            if allocation.objective not in by_id:
                yield unknown((*path, "objective"), allocation.objective)
            elif allocation.objective in seen:
                first = seen[allocation.objective]
                yield Problem(
                    (*path, "objective"),
                    f"{allocation.objective} is allocated twice (also allocations[{first}]); "
                    "expected one allocation per critical service level",
                )
            seen.setdefault(allocation.objective, i)
            allocated = by_id.get(allocation.objective)
            margin = at_risk.earn_back is not None and at_risk.earn_back.margin is not None
            if margin and allocated is not None and not isinstance(allocated.target, Decimal):
                yield Problem(
                    (*path, "objective"),
                    f"earn_back.margin is percentage points above a percent target, but "
                    f"{allocation.objective}'s target is {allocated.target}, a bound; expected "
                    "an objective with a percent target, or earn_back.after alone",
                )
            if allocation.allocation == 0:
                yield Problem((*path, "allocation"), "an allocation of 0% costs nothing; remove it")
        if not one_fee:
            yield Problem(
                base,
                "the at-risk amount is a share of a fee, but no tier states one "
                "(tiers: [{id, name, fee: {amount, currency}}]; each provider's own fees, "
                "fees:, are not supported for at_risk)",
            )
    bonus = remedies.bonus
    if bonus is not None:
        base = ("remedies", "bonus")
        for i, band in enumerate(bonus.bands):
            path = (*base, "bands", i)
            objective = by_id.get(band.objective)
            if objective is None:
                yield unknown((*path, "objective"), band.objective)
            elif not isinstance(objective.target, Decimal):
                yield Problem(
                    (*path, "objective"),
                    f"bonus bands are shares of attainment in percent, but {band.objective}'s "
                    f"target is {objective.target}, a bound; expected an objective with a "
                    "percent target",
                )
            for j, other in enumerate(bonus.bands[:i]):
                if other.objective == band.objective and _overlap(band, other):
                    yield Problem(
                        (*path, "at_least"),
                        f"band from {band.at_least}% overlaps bands[{j}] (from "
                        f"{other.at_least}%) of {band.objective}: one attainment would earn both",
                    )
        if not one_fee:
            yield Problem(
                base,
                "a bonus is a share of a fee, but no tier states one "
                "(tiers: [{id, name, fee: {amount, currency}}])",
            )
    for i, credit in enumerate(remedies.service_time):
        path = ("remedies", "service_time", i)
        objective = by_id.get(credit.objective)
        if objective is None:
            yield unknown((*path, "objective"), credit.objective)
        elif objective.metric != "availability" or objective.method != "time":
            how = objective.metric if objective.metric != "availability" else objective.method
            yield Problem(
                (*path, "objective"),
                f"service time is added per {credit.per} of downtime, but {credit.objective} is "
                f"measured by {how}; expected an availability objective measured in time "
                "(method: time)",
            )
        if credit.add.time is None or credit.add.time <= timedelta(0):
            yield Problem(
                (*path, "add"),
                f"expected service time to add, such as 1d or 4h, got {credit.add}",
            )


def _overlap(one: BonusBand, other: BonusBand) -> bool:
    """Whether two bands' ``[at_least, below)`` share an attainment (no ``below``: to 100%)."""
    top = Decimal(101)
    return max(one.at_least, other.at_least) < min(one.below or top, other.below or top)
