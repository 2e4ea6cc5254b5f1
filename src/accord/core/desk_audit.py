"""Auditing a desk's own SLA verdicts: Accord's verdict beside the desk's, and each disagreement
classified by the evidence of recomputing the ticket under variants of the agreement.

A **variant** changes one rule the desk may have applied differently (no pauses, wall clock
instead of the business calendar or the agreement's business calendar instead of the wall clock,
pauses in the waiting statuses the agreement leaves running, the priority of the ticket's
creation or its end, the clock stopped on another status, started at assignment, the other
reopen rule), or,
tried after every single one, a few rules together (the clock stopped at closure and counted
through the pauses or in wall-clock time). A disagreement's **cause** is the class of the first
variant whose verdict agrees with the desk's; when none does, it is *unexplained*; when Accord
has no clock for the ticket or it is still running while the desk decided, *data missing*.
Pure: the verdicts are computed elsewhere and given here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from accord.core.agreement.model import Agreement, ClockRules, Objective, PauseRule
from accord.core.clocks import Clock, TicketEvent

Outcome = Literal["met", "breached", "running"]

AGREE = "agree"
DATA_MISSING = "data missing"
UNEXPLAINED = "unexplained"

VARIANTS: tuple[tuple[str, str], ...] = (
    ("no pauses", "time counted while paused"),
    ("wall clock", "calendar or holiday differences"),
    ("business calendar", "calendar or holiday differences"),
    ("wall clock, no pauses", "time counted while paused, in wall-clock time"),
    ("paused while waiting", "time not counted while waiting"),
    ("business calendar, paused while waiting", "calendar, and time not counted while waiting"),
    ("priority at creation", "target or priority taken at a different moment"),
    ("priority at the end", "target or priority taken at a different moment"),
    ("stopped at closure, not resolution", "clock stopped on a different event"),
    ("started at assignment", "clock started on a different event"),
    ("other reopen rule", "reopen handling"),
    ("stopped at closure, no pauses", "clock stopped at closure, time counted while paused"),
    ("stopped at closure, wall clock", "clock stopped at closure, in wall-clock time"),
    (
        "stopped at closure, wall clock, no pauses",
        "clock stopped at closure, time counted while paused, in wall-clock time",
    ),
)
"""Each variant and the class of disagreement it explains, in the order they are tried: the
single rules first, then the few rules together (:data:`COMPOSED`) that explain what no single
rule does."""
COMPOSED: dict[str, tuple[str, ...]] = {
    "wall clock, no pauses": ("wall clock", "no pauses"),
    "business calendar, paused while waiting": ("business calendar", "paused while waiting"),
    "stopped at closure, no pauses": ("stopped at closure, not resolution", "no pauses"),
    "stopped at closure, wall clock": ("stopped at closure, not resolution", "wall clock"),
    "stopped at closure, wall clock, no pauses": (
        "stopped at closure, not resolution",
        "wall clock",
        "no pauses",
    ),
}
"""The variants made of several, each step changing the objectives the one before gave."""
CLASS_OF = dict(VARIANTS)
CAUSES: tuple[str, ...] = tuple(
    dict.fromkeys([*(c for _, c in VARIANTS), DATA_MISSING, UNEXPLAINED])
)


def outcome_of(clocks: Sequence[Clock], *, stopped: bool = False) -> Outcome | None:
    """One ticket's verdict from its clocks of one metric (every cycle): breached if any cycle
    breached, met if every cycle met, else running; None without a clock, and with
    ``stopped`` (a variant's verdict, where the agreement's clock stopped) None when a clock
    never stopped: a deadline passed by a clock the variant left running is no evidence."""
    if not clocks or (stopped and any(c.stopped_at is None for c in clocks)):
        return None
    states = {c.state for c in clocks}
    if "breached" in states:
        return "breached"
    if states == {"met"}:
        return "met"
    return "running"


@dataclass(frozen=True)
class TicketAudit:
    """One ticket: the desk's verdict, Accord's, the cause of a disagreement and its evidence."""

    ticket: str
    desk: Outcome
    accord: Outcome | None
    cause: str
    """``agree``, a class of :data:`CAUSES`."""
    variants: tuple[str, ...] = ()
    """Every variant whose verdict agrees with the desk's (the cause is the first one's)."""
    detail: str = ""
    origin: str = ""
    """Where the desk's verdict came from (file:row)."""

    @property
    def agrees(self) -> bool:
        return self.cause == AGREE


def classify(
    ticket: str,
    desk: Outcome,
    accord: Outcome | None,
    variants: Mapping[str, Outcome | None],
    detail: str = "",
    origin: str = "",
) -> TicketAudit:
    """The audit of one ticket from the verdicts: the desk's, Accord's under the agreement,
    and Accord's under each variant recomputed (those not recomputed are left out)."""
    if accord == desk:
        return TicketAudit(ticket, desk, accord, AGREE, detail=detail, origin=origin)
    flipping = tuple(name for name, _ in VARIANTS if name in variants and variants[name] == desk)
    if flipping:
        cause = CLASS_OF[flipping[0]]
    elif accord is None or (accord == "running" and desk != "running"):
        cause = DATA_MISSING
    else:
        cause = UNEXPLAINED
    return TicketAudit(ticket, desk, accord, cause, flipping, detail, origin)


@dataclass(frozen=True)
class AuditResult:
    """Every ticket audited, and the figures of the whole."""

    agreement: str
    metric: str
    desk_metric: str
    tickets: tuple[TicketAudit, ...]
    clocks: Mapping[str, tuple[Clock, ...]] = field(default_factory=dict, compare=False)
    """Accord's clocks of the metric for the first example of each cause, to draw them."""

    @property
    def agreeing(self) -> int:
        return sum(t.agrees for t in self.tickets)

    @property
    def rate(self) -> float | None:
        """The share of tickets whose verdicts agree, in percent (None without tickets)."""
        return 100.0 * self.agreeing / len(self.tickets) if self.tickets else None

    def by_cause(self) -> list[tuple[str, int]]:
        """Each cause of disagreement with its count, in the order of :data:`CAUSES`."""
        counts = Counter(t.cause for t in self.tickets if not t.agrees)
        return [(cause, counts[cause]) for cause in CAUSES if counts[cause]]

    def directions(self, cause: str) -> list[tuple[tuple[Outcome, Outcome | None], int]]:
        """Within a cause: how many tickets per (desk's verdict, Accord's)."""
        counts = Counter((t.desk, t.accord) for t in self.tickets if t.cause == cause)
        return counts.most_common()

    def examples(self, cause: str, count: int = 3) -> list[TicketAudit]:
        return [t for t in self.tickets if t.cause == cause][:count]


# ------------------------------------------------------------------------------ the variants


def _clock(objective: Objective) -> ClockRules:
    return objective.clock or ClockRules()


def variant_objectives(
    agreement: Agreement,
    variant: str,
    resolved: Sequence[str] = (),
    closed: Sequence[str] = (),
    waiting: Mapping[str, Sequence[str]] | None = None,
) -> list[Objective] | None:
    """The agreement's objectives changed as a variant says (None: the variant changes nothing
    in this agreement, or needs statuses not given). ``resolved`` and ``closed``: the statuses
    meaning resolved and closed, for the variant that stops the clock at closure only (leaving
    a stop status counts as a reopen, so no variant stops at resolution only: the closure
    following it would restart the clock). ``waiting``: by pause reason (``customer``,
    ``third_party``), the statuses meaning a wait, for the variant that also pauses in those
    the agreement's rules leave running. A variant of :data:`COMPOSED` applies its steps in
    turn, and is None when any step changes nothing. The priority variants change the events,
    not the objectives: these come back unchanged."""
    objectives: list[Objective] | None = list(agreement.objectives)
    for step in COMPOSED.get(variant, (variant,)):
        if objectives is None:
            return None
        objectives = _step(agreement, objectives, step, resolved, closed, waiting or {})
    return objectives


def _step(
    agreement: Agreement,
    objectives: list[Objective],
    variant: str,
    resolved: Sequence[str],
    closed: Sequence[str],
    waiting: Mapping[str, Sequence[str]],
) -> list[Objective] | None:
    if variant == "no pauses":
        if not any(_clock(o).pause for o in objectives):
            return None
        return [_with(o, pause=()) for o in objectives]
    if variant == "wall clock":
        if all(_around_the_clock(o) for o in objectives):
            return None
        return [replace_model(_with(o, calendar_from=None), calendar="24x7") for o in objectives]
    if variant == "business calendar":
        calendar = business_calendar(agreement)
        if calendar is None or not any(_around_the_clock(o) for o in objectives):
            return None
        return [
            replace_model(o, calendar=calendar) if _around_the_clock(o) else o for o in objectives
        ]
    if variant == "paused while waiting":
        changed = [_waits_added(o, waiting) for o in objectives]
        return changed if changed != objectives else None
    if variant in ("priority at creation", "priority at the end"):
        return objectives if any(o.scope for o in objectives) else None
    if variant == "stopped at closure, not resolution":
        keep = set(closed) - set(resolved)
        changed = []
        for o in objectives:
            stop = _clock(o).stop
            narrowed = tuple(s for s in stop.get("status", ()) if s in keep)
            changed.append(
                _with(o, stop={**stop, "status": narrowed})
                if narrowed and narrowed != stop.get("status")
                else o
            )
        return changed if changed != objectives else None
    if variant == "started at assignment":
        return [_with(o, start="assigned") for o in objectives]
    if variant == "other reopen rule":
        other = {"continue": "restart", "restart": "continue"}
        return [_with(o, reopen=other[_clock(o).reopen]) for o in objectives]
    raise ValueError(f"unknown variant {variant!r}")


def _waits_added(objective: Objective, waiting: Mapping[str, Sequence[str]]) -> Objective:
    """An objective that also pauses in each waiting status its rules leave running (a rule
    per reason, for the statuses it lacks)."""
    rules = _clock(objective).pause
    paused = {s for rule in rules for s in rule.when.get("status", ())}
    added = tuple(
        PauseRule(when={"status": missing}, reason=reason)
        for reason, statuses in sorted(waiting.items())
        if (missing := tuple(s for s in statuses if s not in paused))
    )
    return _with(objective, pause=rules + added) if added else objective


def _around_the_clock(objective: Objective) -> bool:
    return objective.calendar == "24x7" and _clock(objective).calendar_from is None


def business_calendar(agreement: Agreement) -> str | None:
    """The agreement's business calendar, for the variant that counts its around-the-clock
    objectives in it: the one calendar its other objectives use, else the one it declares;
    None when there is none, or several to choose from."""
    used = {o.calendar for o in agreement.objectives if not _around_the_clock(o)}
    used.discard("24x7")
    if len(used) == 1:
        return next(iter(used))
    if not used and len(agreement.calendars) == 1:
        return next(iter(agreement.calendars))
    return None


def _with(objective: Objective, **rules: object) -> Objective:
    """An objective with some of its clock rules changed."""
    return replace_model(objective, clock=_clock(objective).model_copy(update=rules))


def replace_model(objective: Objective, **changes: object) -> Objective:
    """An objective with some fields changed (a frozen pydantic model's copy)."""
    return objective.model_copy(update=changes)


def scope_fields(objectives: Sequence[Objective]) -> list[str]:
    """The ticket fields the objectives' scopes read (priority, mostly)."""
    return sorted({name for o in objectives for name in o.scope})


def fields_fixed(
    events: Sequence[TicketEvent], names: Sequence[str], moment: Literal["creation", "end"]
) -> list[TicketEvent]:
    """One ticket's events with the fields ``names`` held at their value of the ticket's
    creation or of its end throughout: set on the first event, changed by none after."""
    if not events or not names:
        return list(events)
    held: dict[str, str] = {}
    for event in events if moment == "end" else reversed(events):
        held.update({n: event.fields[n] for n in names if n in event.fields})
    first, *rest = events
    return [
        replace(first, fields={**first.fields, **held}),
        *(
            replace(e, fields={k: v for k, v in e.fields.items() if k not in names})
            if any(n in e.fields for n in names)
            else e
            for e in rest
        ),
    ]
