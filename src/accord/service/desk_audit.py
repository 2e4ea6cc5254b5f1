"""Auditing a desk's verdicts (``accord audit``): read the imported log and the desk's verdicts,
recompute every ticket under the agreement, and the disagreeing ones under each variant of it;
the classification itself is :mod:`accord.core.desk_audit`'s."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Literal

import numpy as np

from accord.core.agreement import Agreement
from accord.core.clock_cycles import NAT, STATES
from accord.core.clock_engines import ClockEvaluation, evaluate_clocks
from accord.core.clocks import Clock, TicketEvent, calendars_of
from accord.core.clocks_batch import EventColumns
from accord.core.desk_audit import (
    VARIANTS,
    AuditResult,
    Outcome,
    classify,
    fields_fixed,
    outcome_of,
    scope_fields,
    variant_objectives,
)
from accord.core.errors import AccordError
from accord.io.desks.base import StatusMap, Verdict
from accord.io.tickets import read_events, read_ticket_columns


def read_log(path: Path) -> EventColumns:
    """An event log (Parquet read straight into columns; JSON Lines through its events)."""
    if path.suffix == ".parquet":
        return read_ticket_columns(path)
    return EventColumns.from_events(read_events(path))


def audit(
    agreement: Agreement,
    log: EventColumns,
    verdicts: Sequence[Verdict],
    metric: str = "resolution",
    desk_metric: str | None = None,
    statuses: StatusMap | None = None,
) -> AuditResult:
    """Accord's verdict of ``metric`` beside the desk's ``desk_metric`` for every ticket the
    desk judged, each disagreement classified (see :mod:`accord.core.desk_audit`)."""
    if not any(o.metric == metric for o in agreement.objectives):
        found = sorted({o.metric for o in agreement.objectives})
        raise AccordError(f"--metric: {agreement.id} has no {metric} objective; it has {found}")
    desk_metric = _desk_metric(verdicts, desk_metric)
    judged = {v.ticket: v for v in verdicts if v.metric == desk_metric}
    calendars = calendars_of(agreement)
    waits = _waits(agreement)
    base = evaluate_clocks(log, agreement.objectives, calendars)
    verdicts_of = _outcomes(base, metric)
    outcomes = {t: found[0] for t, found in verdicts_of.items()}
    differing = sorted(t for t, v in judged.items() if outcomes.get(t) != v.outcome)
    events = _events_of(log, set(differing))
    # the disagreeing tickets' clocks as objects, for what Accord counted on each
    again = evaluate_clocks(
        [e for t in differing for e in events[t]], agreement.objectives, calendars, base.as_of
    )
    clocks = _by_ticket(again.clocks, metric)
    variants: dict[str, dict[str, Outcome | None]] = defaultdict(dict)
    resolved, closed, waiting = _meanings(statuses)
    fixed = scope_fields([o for o in agreement.objectives if o.metric == metric])
    for name, _ in VARIANTS:
        objectives = variant_objectives(agreement, name, resolved, closed, waiting)
        if objectives is None or not differing:
            continue
        if name.startswith("priority"):
            if not fixed:
                continue
            moment: Literal["creation", "end"] = (
                "creation" if name == "priority at creation" else "end"
            )
            changed = [e for t in differing for e in fields_fixed(events[t], fixed, moment)]
        else:
            changed = [e for t in differing for e in events[t]]
        tried = differing
        if name == "started at assignment":  # evidence only where the ticket was assigned
            tried = [t for t in differing if any(e.fields.get("assignee") for e in events[t])]
            changed = [e for t in tried for e in events[t]]
        result = evaluate_clocks(changed, objectives, calendars, base.as_of, require=False)
        recomputed = _outcomes(result, metric)
        for ticket in tried:
            outcome, stopped = recomputed.get(ticket, (None, True))
            # a variant's clock left running where the agreement's stopped is no evidence
            keep = stopped or not verdicts_of.get(ticket, (None, False))[1]
            variants[name][ticket] = outcome if keep else None
    tickets = tuple(
        classify(
            ticket,
            verdict.outcome,
            outcomes.get(ticket),
            {name: by[ticket] for name, by in variants.items() if ticket in by},
            _detail(clocks.get(ticket, []), verdict, waits),
            verdict.origin,
        )
        for ticket, verdict in sorted(judged.items())
    )
    shown = AuditResult(agreement.id, metric, desk_metric, tickets)
    firsts = [e[0].ticket for cause, _ in shown.by_cause() if (e := shown.examples(cause, 1))]
    if not firsts:
        return shown
    # replayed, for their intervals: the pictures draw where each one's time went
    replayed = evaluate_clocks(
        [e for t in firsts for e in events[t]],
        agreement.objectives,
        calendars,
        base.as_of,
        engine="replay",
    )
    drawn = _by_ticket(replayed.clocks, metric)
    return replace(shown, clocks={t: tuple(c) for t, c in drawn.items()})


def _desk_metric(verdicts: Sequence[Verdict], chosen: str | None) -> str:
    found = Counter(v.metric for v in verdicts)
    if chosen is not None:
        if chosen not in found:
            raise AccordError(
                f"--desk-metric: no verdict of {chosen!r}; the verdicts are of "
                + (", ".join(repr(m) for m in found) or "nothing")
            )
        return chosen
    if len(found) != 1:
        raise AccordError(
            "--desk-metric: the verdicts are of several metrics ("
            + ", ".join(f"{m!r}: {n}" for m, n in found.most_common())
            + "); name the one to compare"
            if found
            else "no verdicts of the desk to audit"
        )
    return next(iter(found))


def _meanings(statuses: StatusMap | None) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """The statuses meaning resolved, closed, and by pause reason the waits."""
    if statuses is None:
        return [], [], {}
    entries = statuses.entries.values()
    waits = {"customer": "waiting_on_customer", "third_party": "waiting_on_third_party"}
    return (
        [e.value for e in entries if e.means == "resolved"],
        [e.value for e in entries if e.means == "closed"],
        {
            reason: list(dict.fromkeys(e.value for e in entries if e.means == means))
            for reason, means in waits.items()
        },
    )


def _outcomes(evaluation: ClockEvaluation, metric: str) -> dict[str, tuple[Outcome | None, bool]]:
    """Each ticket's verdict of one metric (as :func:`outcome_of` gives it) and whether every
    clock of it stopped, read from the column engine's table without a Clock object per
    clock (the replay's clocks, when it ran, as they are)."""
    batch = evaluation.batch
    if batch is None:
        return {
            t: (outcome_of(c), all(x.stopped_at is not None for x in c))
            for t, c in _by_ticket(evaluation.clocks, metric).items()
        }
    table = batch.table
    rows = np.flatnonzero(np.asarray(table.metric, dtype=object) == metric)
    states: dict[str, set[str]] = defaultdict(set)
    stopped: dict[str, bool] = defaultdict(lambda: True)
    names = batch.tickets
    for code, state, stop in zip(
        table.ticket[rows].tolist(),
        table.state[rows].tolist(),
        (table.stopped[rows] != NAT).tolist(),
        strict=True,
    ):
        ticket = names[code]
        states[ticket].add(STATES[state])
        stopped[ticket] = stopped[ticket] and stop
    for clock in batch.replayed:
        if clock.metric == metric:
            states[clock.ticket].add(clock.state)
            stopped[clock.ticket] = stopped[clock.ticket] and clock.stopped_at is not None
    return {t: (_verdict(s), stopped[t]) for t, s in states.items()}


def _verdict(states: set[str]) -> Outcome:
    if "breached" in states:
        return "breached"
    return "met" if states == {"met"} else "running"


def _by_ticket(clocks: Sequence[Clock], metric: str) -> dict[str, list[Clock]]:
    found: dict[str, list[Clock]] = defaultdict(list)
    for clock in clocks:
        if clock.metric == metric:
            found[clock.ticket].append(clock)
    return found


def _events_of(log: EventColumns, tickets: set[str]) -> dict[str, list[TicketEvent]]:
    """The events of some tickets, as events again (the variants replay only these)."""
    codes = [i for i, name in enumerate(log.tickets) if name in tickets]
    rows = np.flatnonzero(np.isin(log.ticket, codes))
    found: dict[str, list[TicketEvent]] = defaultdict(list)
    for event in log.events_of(rows):
        found[event.ticket].append(event)
    return found


def _waits(agreement: Agreement) -> dict[tuple[str, str], str]:
    """By objective and pause reason, the statuses that pause its clock for that reason."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for objective in agreement.objectives:
        for rule in objective.clock.pause if objective.clock else ():
            for values in rule.when.values():
                found[(objective.id, rule.reason)].extend(values)
    return {key: ", ".join(values) for key, values in found.items()}


def _detail(clocks: Sequence[Clock], verdict: Verdict, waits: dict[tuple[str, str], str]) -> str:
    """What Accord counted: used of the target, paused time by reason and status; and the
    desk's note."""
    parts = []
    for clock in clocks:
        text = f"{clock.objective}: {clock.state}, used {_span(clock.used)}"
        if clock.target is not None:
            text += f" of {_span(clock.target)}"
        text += f", {_span(clock.wall)} wall"
        paused = [(r, t) for r, t in clock.paused_by.items() if t > timedelta(0)]
        if paused:
            text += "; paused " + ", ".join(
                f"{_span(t)} waiting on the {r.replace('_', ' ')}"
                + (f" ({waits[(clock.objective, r)]})" if (clock.objective, r) in waits else "")
                for r, t in sorted(paused, key=lambda p: -p[1])
            )
        parts.append(text)
    if verdict.note:
        parts.append(f"desk: {verdict.note}")
    return "; ".join(parts)


def _span(span: timedelta) -> str:
    hours, rest = divmod(int(span.total_seconds()), 3600)
    return f"{hours}h{rest // 60:02d}m"
