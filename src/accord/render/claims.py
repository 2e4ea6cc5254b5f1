"""Credits and claims for programs (JSON, described by the pydantic documents below) and for
people (HTML fragments, a ``<section>`` each, which the portal puts in its pages).

The same values feed both: a credit owed (:class:`accord.core.claims.Eligible`) and a
claim (:class:`accord.core.claims.ClaimRecord`), so the page shows the figures the API
answers. The fragments' forms post to the URL the caller gives, with the CSRF token it gives
in a hidden field ``csrf_token``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context
from pydantic import BaseModel, ConfigDict, Field

from accord.core.claims import STEPS, ClaimEvidence, ClaimRecord, Eligible, FigureNow
from accord.core.credits import Credit
from accord.render.report import exact, objective_json, templates
from accord.render.report_document import Decimal, Instant, Money, ObjectiveDocument
from accord.render.report_view import figure, verdict
from accord.render.words import in_zone, locale_of

State = Literal["submitted", "accepted", "rejected", "paid"]


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObjectiveCreditDocument(Document):
    """The credit one objective earned in a period: its band and amount."""

    attainment: Decimal = Field(description="The objective's attainment (percent).")
    at_least: Decimal = Field(description="The band's lower edge (percent, included).")
    below: Decimal = Field(description="The band's upper edge (percent, excluded).")
    percent: Decimal = Field(description="The credit, in percent of the fee.", examples=["10"])
    amount: Money
    currency: str = Field(examples=["EUR"])
    reason: str = Field(description="Why, in words.")


class ClaimReference(Document):
    id: int = Field(examples=[12])
    state: State


class EligibleDocument(Document):
    """A credit owed for one objective and period, and whether it can be claimed."""

    agreement: str = Field(examples=["saas"])
    period: str = Field(description="The billing period.", examples=["2026-10"])
    objective: str = Field(
        description="The objective's id (objective@provider when settled per provider).",
        examples=["availability"],
    )
    name: str = Field(examples=["Availability"])
    credit: ObjectiveCreditDocument
    period_amount: Money = Field(
        description="What the period owes in all (after combining, the cap and the minimum "
        "payable): objectives' credits may add up to more when a cap applies."
    )
    deadline: Instant | None = Field(description="Claims are open before it (None: no limit).")
    rule: str = Field(description="The agreement's clause on the deadline, in words.")
    claimable: bool = Field(description="True: not claimed yet, and in time.")
    too_late: str | None = Field(description="Why it can no longer be claimed (None: it can).")
    claim: ClaimReference | None = Field(description="The claim filed for it, if any.")


class CreditsOwedDocument(Document):
    agreement: str = Field(examples=["saas"])
    credits: list[EligibleDocument] = Field(description="Newest period first.")


class ClaimStepDocument(Document):
    """One step of a claim: who did what, when, and their comment (the customer reads it)."""

    at: Instant
    actor: str = Field(description="Who: a key (its prefix and name) or a person.")
    action: Literal["filed", "accept", "reject", "pay"]
    state: State = Field(description="The claim's state after this step.")
    comment: str | None = Field(description="The comment, or a rejection's reason.")


class ClaimEvidenceDocument(Document):
    """What the claim was filed on, as it was at filing (late data do not change it)."""

    agreement: str
    version: str = Field(description="The agreement version the report judged.")
    title: str
    period: str
    start: Instant
    end: Instant
    tier: str | None
    judged_at: Instant = Field(description="The instant the report's figures stood at.")
    objective: ObjectiveDocument = Field(
        description="The objective's figures and breaches (at most 200, the costliest)."
    )
    breaches_total: int = Field(description="Breaches the report had for the objective.")
    credit: ObjectiveCreditDocument
    period_amount: Money
    currency: str
    reasons: list[str] = Field(description="The period's settlement: bands, sums, cap.")
    deadline: Instant | None
    rule: str
    procedure: str | None = Field(description="The agreement's claim procedure.")
    asked: list[str] = Field(description="The evidence the agreement asks a claim to give.")


class FigureNowDocument(Document):
    """The period's report judged now, against the claim's evidence."""

    actual: Decimal | None
    amount: Money = Field(description="The objective's credit now.")
    differs: bool = Field(description="True: late data (or a new version) changed the figure.")
    text: str


class CreditClaimDocument(Document):
    """A claim for a credit: its state, its history and its frozen evidence."""

    id: int = Field(examples=[12])
    agreement: str = Field(examples=["saas"])
    customer: str | None
    objective: str = Field(examples=["availability"])
    period: str = Field(examples=["2026-10"])
    timezone: str = Field(description="The zone the period is reckoned in.", examples=["UTC"])
    state: State
    amount: Money = Field(description="The credit claimed.")
    currency: str
    deadline: Instant | None
    filed_at: Instant
    filed_by: str
    updated_at: Instant
    history: list[ClaimStepDocument] = Field(description="Oldest first.")
    evidence: ClaimEvidenceDocument | None = Field(description="Left out of lists.")
    now: FigureNowDocument | None = Field(
        description="The report judged now (one claim only; None in lists)."
    )


class CreditClaimsDocument(Document):
    claims: list[CreditClaimDocument] = Field(description="Newest first.")


def _money(value: Any) -> str:
    return str(value)


def credit_json(credit: Credit) -> dict[str, Any]:
    return {
        "attainment": exact(credit.attainment),
        "at_least": exact(credit.band.at_least),
        "below": exact(credit.band.below),
        "percent": exact(credit.percent),
        "amount": _money(credit.amount),
        "currency": credit.currency,
        "reason": credit.reason,
    }


def eligible_json(item: Eligible) -> dict[str, Any]:
    owed = item.owed
    return {
        "agreement": owed.agreement,
        "period": owed.period,
        "objective": owed.objective,
        "name": owed.name,
        "credit": credit_json(owed.credit),
        "period_amount": _money(owed.period_amount),
        "deadline": None if owed.deadline is None else owed.deadline.isoformat(),
        "rule": owed.rule,
        "claimable": item.claimable,
        "too_late": item.too_late,
        "claim": None if item.claim_id is None else {"id": item.claim_id, "state": item.state},
    }


def evidence_json(evidence: ClaimEvidence) -> dict[str, Any]:
    return {
        "agreement": evidence.agreement,
        "version": evidence.version,
        "title": evidence.title,
        "period": evidence.period,
        "start": evidence.start.isoformat(),
        "end": evidence.end.isoformat(),
        "tier": evidence.tier,
        "judged_at": evidence.judged_at.isoformat(),
        "objective": objective_json(evidence.objective),
        "breaches_total": evidence.breaches_total,
        "credit": credit_json(evidence.credit),
        "period_amount": _money(evidence.period_amount),
        "currency": evidence.currency,
        "reasons": list(evidence.reasons),
        "deadline": None if evidence.deadline is None else evidence.deadline.isoformat(),
        "rule": evidence.rule,
        "procedure": evidence.procedure,
        "asked": list(evidence.asked),
    }


def now_json(figure: FigureNow) -> dict[str, Any]:
    return {
        "actual": exact(figure.actual),
        "amount": _money(figure.amount),
        "differs": figure.differs,
        "text": figure.text,
    }


def claim_json(claim: ClaimRecord, *, evidence: bool = True) -> dict[str, Any]:
    return {
        "id": claim.id,
        "agreement": claim.agreement,
        "customer": claim.customer,
        "objective": claim.objective,
        "period": claim.period,
        "timezone": claim.timezone,
        "state": claim.state,
        "amount": _money(claim.amount),
        "currency": claim.currency,
        "deadline": None if claim.deadline is None else claim.deadline.isoformat(),
        "filed_at": claim.filed_at.isoformat(),
        "filed_by": claim.filed_by,
        "updated_at": claim.updated_at.isoformat(),
        "history": [
            {
                "at": step.at.isoformat(),
                "actor": step.actor,
                "action": step.action,
                "state": step.state,
                "comment": step.comment,
            }
            for step in claim.history
        ],
        "evidence": evidence_json(claim.evidence)
        if evidence and claim.evidence is not None
        else None,
        "now": None if claim.now is None else now_json(claim.now),
    }


# ---------------------------------------------------------------- HTML fragments


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = templates(verdict=verdict)
    environment.globals["in_zone"] = pass_context(
        lambda context, moment, zone: in_zone(context.get("n"), moment, zone)
    )
    environment.globals["figure"] = figure
    return environment


def credits_html(
    items: Sequence[Eligible],
    *,
    action: str,
    csrf_token: str = "",
    zone: str | None = None,
    may_file: bool = True,
    claims_url: str | None = None,
    agreement: str | None = None,
    locale: str | None = None,
) -> str:
    """The credits owed, with their deadlines and a claim button each (a form posting
    ``objective``, ``period`` and ``csrf_token`` to ``action``; without ``may_file``, a note
    that the customer's admin files it); a credit claimed shows its claim (a link to
    ``claims_url``/id when given), one too late says why. With ``agreement``, the section's
    heading names it (and its id does, so that several fit in one page). Times in ``zone``;
    by default the zone the periods were reckoned in (the agreement's), else UTC; amounts and
    percentages in the convention of ``locale`` (None: en), as the reports write them."""
    if zone is None:
        zones = [i.owed.deadline.tzinfo for i in items if i.owed.deadline is not None]
        zone = next((z.key for z in zones if isinstance(z, ZoneInfo)), "UTC")
    template = _environment().get_template("claims_credits.html")
    return template.render(
        items=items,
        action=action,
        csrf_token=csrf_token,
        zone=zone,
        may_file=may_file,
        claims_url=claims_url,
        agreement=agreement,
        n=locale_of(locale),
    )


def claim_html(claim: ClaimRecord, *, zone: str | None = None, locale: str | None = None) -> str:
    """A claim: its state, its history with the provider's comments, its evidence, and
    whether the report judged now differs. Times in ``zone`` (default: the claim's), amounts
    and percentages in the convention of ``locale`` (None: en)."""
    template = _environment().get_template("claims_claim.html")
    return template.render(claim=claim, zone=zone or claim.timezone, n=locale_of(locale))


def decision_html(
    claim: ClaimRecord, *, action: str, csrf_token: str = "", locale: str | None = None
) -> str:
    """The provider's decision form for a claim: the decisions its state allows (accept or
    reject a submitted claim, a reason required to reject; mark an accepted one paid),
    posting ``decision``, ``reason`` and ``csrf_token`` to ``action``. Give it only to those
    who decide claims (:func:`accord.service.claims.may_decide`). The amount in the
    convention of ``locale`` (None: en)."""
    choices = [d for d, (before, _) in STEPS.items() if before == claim.state]
    template = _environment().get_template("claims_decision.html")
    return template.render(
        claim=claim,
        choices=choices,
        action=action,
        csrf_token=csrf_token,
        n=locale_of(locale),
    )
