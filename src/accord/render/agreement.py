"""An agreement for people: the customer-facing SLA document in Markdown."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from markdown_it import MarkdownIt

from accord.core.agreement import Agreement, Objective
from accord.core.agreement.model import CreditSchedule, Party, Remedies
from accord.core.agreement.units import format_target
from accord.core.reminders import notice_by

_METRIC_WORDS = {
    "availability": "Availability",
    "first_response": "First response",
    "next_response": "Next response",
    "periodic_update": "Periodic update",
    "resolution": "Resolution",
    "time_to_recover": "Time to recover",
    "first_contact_resolution": "First-contact resolution",
    "throughput": "Throughput",
    "count": "Count",
    "deliverable": "Deliverable",
}


def objective_sentence(objective: Objective) -> str:
    """One line a customer can read: what is promised, how much, over what period."""
    scope = "; ".join(f"{k} {', '.join(v)}" for k, v in objective.scope.items())
    scope = f" for {scope}" if scope else ""
    period = (
        f"each {objective.period}"
        if objective.period.kind != "rolling"
        else (f"over {objective.period}")
    )
    window = ""
    if objective.calendar != "24x7":
        window = f", measured in the '{objective.calendar}' hours"
    target = objective.target
    if objective.metric == "availability":
        text = f"available {target}% of the time"
    elif objective.within is not None:
        text = f"{target}% within {objective.within}"
    elif objective.metric == "throughput":
        text = f"{objective.field} at {objective.statistic} {target}"
    elif objective.metric == "count":
        where = ", ".join(f"{k} {v}" for k, v in objective.where.items())
        text = f"{objective.source or 'items'} {target}" + (f" where {where}" if where else "")
    elif objective.metric == "deliverable":
        text = f"delivered by the {objective.due} ({target}% on time)"
    else:
        text = f"{target}%"
    return f"{_METRIC_WORDS[objective.metric]}{scope}: {text}, {period}{window}."


def to_markdown(agreement: Agreement) -> str:
    return "\n".join(_markdown(agreement)).rstrip() + "\n"


def _party(party: Party) -> str:
    kind = "department" if party.type == "department" else "company"
    return f"{party.name} ({kind})"


def _markdown(a: Agreement) -> Iterator[str]:
    yield f"# {a.overview.title}"
    yield ""
    yield f"Agreement `{a.id}`, version {a.version} ({a.kind})." + (
        f" Refines `{a.parent}`." if a.parent else ""
    )
    yield ""
    for label, text in (
        ("Summary", a.overview.summary),
        ("Delivered to", a.overview.audience),
        ("How success is measured", a.overview.measurement),
    ):
        if text:
            yield f"**{label}.** {text.strip()}"
            yield ""
    if a.parties is not None:
        yield "## Parties"
        yield ""
        yield f"- Customer: {_party(a.parties.customer)}"
        for provider in a.parties.all_providers:
            yield f"- Provider: {_party(provider)}"
        yield ""
    if a.effective is not None:
        e = a.effective
        yield "## Term and review"
        yield ""
        yield f"- In force from {e.start}" + (f" until {e.end}" if e.end else "") + "."
        deadline = notice_by(e) if e.renewal == "automatic" else None
        yield (
            f"- Renewal: {e.renewal}"
            + (f", notice {e.notice}" if e.notice else "")
            + (f" (the last day to give it: {deadline})" if deadline else "")
            + "."
        )
        next_review = f"; next review {e.review.next}" if e.review.next else ""
        yield f"- Reviewed {e.review.cadence}{next_review}."
        yield ""
    if a.services:
        yield "## Services"
        yield ""
        for service in a.services:
            yield f"### {service.name}"
            yield ""
            if service.description:
                yield service.description.strip()
                yield ""
            for item in service.includes:
                yield f"- Includes: {item}"
            for item in service.excludes:
                yield f"- Excludes: {item}"
            if service.components:
                yield f"- Depends on: {', '.join(service.components)}"
            yield ""
    if a.tiers:
        yield "## Tiers"
        yield ""
        yield "| tier | fee |"
        yield "|---|---|"
        for tier in a.tiers:
            fee = f"{tier.fee.amount} {tier.fee.currency} a {tier.per}" if tier.fee else "-"
            if tier.fees:
                fee = ", ".join(
                    f"{provider}: {money.amount} {money.currency} a {tier.per}"
                    for provider, money in tier.fees.items()
                )
            yield f"| {tier.name} | {fee} |"
        yield ""
    if a.objectives:
        yield "## Service levels"
        yield ""
        for objective in a.objectives:
            name = objective.name or objective.id
            yield f"- **{name}** (`{objective.id}`). {objective_sentence(objective)}"
            for tier_id, override in objective.tiers.items():
                parts = [
                    f"target {format_target(override.target)}"
                    if override.target is not None
                    else "",
                    f"within {override.within}" if override.within else "",
                ]
                yield f"  - Tier {tier_id}: " + ", ".join(p for p in parts if p) + "."
            if objective.clock is not None:
                for pause in objective.clock.pause:
                    when = "; ".join(f"{k} is {' or '.join(v)}" for k, v in pause.when.items())
                    reason = pause.reason.replace("_", " ")
                    yield f"  - The clock pauses while {when} (waiting on the {reason})."
        yield ""
    if a.calendars:
        yield "## Service hours"
        yield ""
        for name, spec in a.calendars.items():
            yield f"- `{name}`: {_calendar_in_words(spec)}"
        yield ""
    if a.exclusions is not None:
        x = a.exclusions
        yield "## Exclusions"
        yield ""
        if x.maintenance is not None:
            m = x.maintenance
            words = [f"counts as {m.counts_as}"]
            if m.notice:
                words.append(f"announced at least {m.notice} ahead")
            if m.allowance:
                words.append(f"up to {m.allowance} a period")
            yield f"- Scheduled maintenance {', '.join(words)}."
        yield (
            f"- Customer-caused downtime is {x.customer_caused}; force majeure is "
            f"{x.force_majeure}; third-party faults are {x.third_party}."
        )
        for item in x.other:
            yield f"- {item}"
        yield ""
    if a.responsibilities is not None:
        yield "## Responsibilities"
        yield ""
        for item in a.responsibilities.provider:
            yield f"- Provider: {item}"
        for item in a.responsibilities.customer:
            yield f"- Customer: {item}"
        yield ""
    if a.escalation:
        yield "## Escalation"
        yield ""
        for escalation in a.escalation:
            scope = ", ".join(escalation.objectives) or "every objective"
            for level in escalation.levels:
                who, how = ", ".join(level.notify), ", ".join(level.channels)
                yield f"- {scope}: at {level.at}, notify {who} by {how}."
        yield ""
    if a.remedies is not None:
        yield from _remedies(a)


def _calendar_in_words(spec: Mapping[str, Any]) -> str:
    """``mon-fri 08:00-18:00 (Europe/Berlin)``; ``every minute except when `prime` is open``."""
    if "union" not in spec and "except" not in spec:
        hours = spec.get("hours") or {}
        if isinstance(hours, str):
            shown = hours
        else:
            shown = "; ".join(
                f"{days} {v if isinstance(v, str) else ', '.join(v)}" for days, v in hours.items()
            )
        return f"{shown} ({spec.get('timezone')})"

    def either(value: Any) -> str:
        listed = value if isinstance(value, list | tuple) else [value]
        return " or ".join(
            f"`{v}`" if isinstance(v, str) else f"({_calendar_in_words(v)})" for v in listed
        )

    text = f"whenever {either(spec['union'])} is open" if "union" in spec else "every minute"
    if "except" in spec:
        text += f"{',' if 'union' in spec else ''} except when {either(spec['except'])} is open"
    return text + (f" ({spec['timezone']})" if "timezone" in spec else "")


def _remedies(a: Agreement) -> Iterator[str]:
    r = a.remedies
    assert r is not None
    yield "## Remedies"
    yield ""
    for schedule in r.credits:
        yield from _credit_table(schedule)
    if r.credits:
        how = "adding them" if r.combine == "sum" else "taking the largest"
        cap = f", up to {r.cap}% of the period's fee." if r.cap is not None else "."
        yield f"Credits for several objectives are combined by {how}{cap}"
        yield ""
    for penalty in r.penalties:
        beyond = f" beyond {penalty.beyond}" if penalty.beyond else ""
        money = f"{penalty.amount.amount} {penalty.amount.currency}"
        per = penalty.per if penalty.rounding == "pro rata" else penalty.rounding[4:]
        each = " of each incident" if penalty.rounding_of == "incident" else ""
        yield (
            f"- Penalty on `{penalty.objective}`: {money} per {per}{each}{beyond} "
            f"each {penalty.period}" + "".join(f"; {b.words}" for b in penalty.limits) + "."
        )
    yield from _pool_bonus_and_time(r)
    if r.claim is not None:
        c = r.claim
        window = (
            f"within {c.window}"
            if c.window
            else (f"within {c.billing_cycles} billing cycles" if c.billing_cycles else "as stated")
        )
        procedure = f" {c.procedure.strip()}" if c.procedure else ""
        yield f"- Claims must be made {window}.{procedure}"
        for item in c.evidence:
            yield f"  - Evidence: {item}"
    if r.termination is not None:
        t = r.termination
        yield (
            f"- The customer may terminate after {t.after_misses} missed objectives "
            f"within a {t.within}."
        )
    for limit in r.limits:
        what = {"all": "All remedies", "penalties": "Penalties", "credits": "Service credits"}
        yield f"- {what[limit.of]} together: {limit.words}."
    if r.indemnification:
        yield ""
        yield f"**Indemnification.** {r.indemnification.strip()}"
    yield ""


def _pool_bonus_and_time(r: Remedies) -> Iterator[str]:
    """The at-risk pool, the bonus and the service-time credits, in words."""
    if r.at_risk is not None:
        pool = sum((a.allocation for a in r.at_risk.allocations), Decimal(0))
        yield (
            f"- {r.at_risk.share}% of each billing period's fee is at risk; a missed critical "
            f"service level costs its allocation of it ({pool}% in all), a period at most the "
            "at-risk amount:"
        )
        for a in r.at_risk.allocations:
            yield f"  - `{a.objective}`: {a.allocation}%"
        earn = r.at_risk.earn_back
        if earn is not None:
            ways = []
            if earn.after:
                ways.append(
                    f"the same service level is met in the {earn.after} billing periods after "
                    "the miss"
                )
            if earn.margin is not None:
                ways.append(
                    f"its attainment over the year passes the target by {earn.margin} points"
                )
            yield f"  - A credit is earned back when {' or when '.join(ways)}."
    if r.bonus is not None:
        cap = f", up to {r.bonus.cap}% of the fee a period" if r.bonus.cap is not None else ""
        net = "netted against the credits" if r.bonus.net else "shown beside the credits"
        yield f"- Bonus to the provider{cap}, {net}:"
        for band in r.bonus.bands:
            below = f" and below {band.below}%" if band.below is not None else ""
            yield f"  - `{band.objective}` at least {band.at_least}%{below}: {band.bonus}% of fee"
    for t in r.service_time:
        yield f"- Service time on `{t.objective}`: {t.add} of service added per {t.per} down."


def _credit_table(schedule: CreditSchedule) -> Iterator[str]:
    yield f"Service credits for `{schedule.objective}`:"
    yield ""
    yield "| attainment | credit |"
    yield "|---|---|"
    for band in sorted(schedule.bands, key=lambda b: b.below, reverse=True):
        low = f"at least {band.at_least}% and " if band.at_least > Decimal(0) else ""
        yield f"| {low}below {band.below}% | {band.credit}% |"
    yield ""


def to_html(agreement: Agreement) -> str:
    """The document (:func:`to_markdown`) as HTML for a page that has its own title: the
    Markdown's first heading left out, raw HTML in the texts escaped (never passed through),
    links only of safe schemes (markdown-it's own check)."""
    lines = to_markdown(agreement).splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    return str(parser.render("\n".join(lines)))
