"""Credits and claims: what a customer may claim, filing a claim with its evidence, and the
provider's decision. The rules (deadlines, the steps of a claim, the evidence) are in
:mod:`accord.core.claims`; this joins them with the stored reports and the claims table.

Who may do what: every key (or person) that sees an agreement sees its credits and claims
(a key scoped to a customer: only its own customer's; another customer's claim is not found,
404). Every key that sees it may file a claim; of the portal's people, a customer's admin
(:data:`FILERS`): a customer viewer reads only. Deciding (accept, reject, pay) is the
provider's: a key not scoped to a customer with a role of :data:`DECIDERS`, or a person of
the provider with a role of :data:`DECIDING_PEOPLE`. Each filing and decision is also written
in the audit log (:mod:`accord.service.audit`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import Row, Select, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.core.agreement import Agreement
from accord.core.claims import (
    DECISIONS,
    STATES,
    ClaimEvidence,
    ClaimRecord,
    ClaimState,
    ClaimStep,
    CreditOwed,
    Cycle,
    Eligible,
    FigureNow,
    ReasonMissingError,
    WrongStateError,
    credits_owed,
    evidence_of,
    figure_now,
    next_state,
)
from accord.core.errors import AccordError
from accord.core.periods import (
    enclosing,
    months_before,
    period_bounds,
    period_holding,
    period_label,
)
from accord.core.report import Report, chosen_tier
from accord.service import agreements as agreement_store
from accord.service import audit, reports
from accord.service.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from accord.service.tenants import Principal, now
from accord.store import codec
from accord.store.schema import AgreementRow, ClaimEventRow, ClaimRow

DECIDERS = ("admin",)
"""The roles of provider keys that decide claims (a key scoped to a customer never does)."""
DECIDING_PEOPLE = ("provider_admin", "provider_agent")
"""The portal roles of the provider's people who decide claims (the issue: agents decide)."""
FILERS = ("customer_admin",)
"""The portal roles of people who file claims; a customer viewer sees credits and claims."""

LOOK_BACK = 12
"""Months of closed periods :func:`eligible` looks at when not told."""

MAX_COMMENT = 4000


def _terms(session: Session, principal: Principal, row: AgreementRow) -> tuple[Agreement, str]:
    """The agreement version in force now, resolved, and its own time zone
    (:func:`accord.service.agreements.own_zone`): the zone its periods (and so its claim
    deadlines) are reckoned in, as its reports and Home's standing reckon them."""
    moment = now()
    stored = agreement_store.version_in_force(session, row, moment)
    agreement = agreement_store.resolved_version(session, principal.organisation_id, stored)
    return agreement, agreement_store.own_zone(session, principal.organisation_id, row, moment)


def _cycle(agreement: Agreement, tier: str | None) -> Cycle:
    """The billing period of the tier a report settles (a month unless the tier says)."""
    chosen = chosen_tier(agreement, tier)[0]
    return "month" if chosen is None else chosen.per


def billing_periods(first: str, last: str, zone: str, cycle: Cycle, moment: datetime) -> list[str]:
    """The billing periods (``2026-10``, ``2026-Q4``, ``2026``) holding the months from
    ``first`` to ``last`` that were over at ``moment``, in order."""
    found: list[str] = []
    for month in reports.months(first, last, zone):
        start = period_bounds(month, zone)[0]
        begins, ends = enclosing(start, cycle)
        label = period_label(begins, cycle)
        if ends <= moment and label not in found:
            found.append(label)
    return found


def eligible(
    session: Session,
    principal: Principal,
    key: str,
    first: str | None = None,
    last: str | None = None,
) -> list[Eligible]:
    """The credits the agreement's closed billing periods owe, from the reports of those
    periods (:func:`reports.closed_reports`: the kept results, checked together), an
    objective and period each, newest period first: from ``first`` to ``last`` (months,
    ``2026-01``; default the last :data:`LOOK_BACK` months). Each says its claim deadline,
    the claim already filed, or why it is too late."""
    row = agreement_store.find(session, principal, key)
    agreement, zone = _terms(session, principal, row)
    moment = now()
    if last is None:
        last = period_holding(moment, "month", zone)
    if first is None:
        first = ([last, *months_before(moment, LOOK_BACK - 1, zone)])[-1]
    cycle = _cycle(agreement, None)
    claimed = {  # without their evidence, which is long
        (c.objective, c.period): c
        for c in session.execute(
            select(ClaimRow.id, ClaimRow.objective, ClaimRow.period, ClaimRow.state).where(
                ClaimRow.agreement_id == row.id
            )
        ).all()
    }
    periods = list(reversed(billing_periods(first, last, zone, cycle, moment)))
    # the closed periods' kept reports, checked together (judged again only when not kept or
    # no longer valid)
    judged = reports.closed_reports(session, principal, key, periods, timezone=zone, moment=moment)
    found = []
    for period, report in zip(periods, judged, strict=True):
        for owed in credits_owed(report, period, cycle):
            claim = claimed.get((owed.objective, period))
            found.append(
                Eligible(
                    owed,
                    None if claim is None else claim.id,
                    None if claim is None else _state(claim.state),
                    None if claim is not None else owed.too_late(moment),
                )
            )
    return found


def file_claim(
    session: Session,
    principal: Principal,
    key: str,
    objective: str,
    period: str,
    comment: str | None = None,
) -> ClaimRecord:
    """File a claim for the credit ``objective`` earned in ``period``, with its evidence
    frozen now. Refused: a period not over or not a billing period (422), an objective that
    earned no credit then (422), a deadline passed (409, naming the date and the agreement's
    clause), a claim already filed for it (409)."""
    row = agreement_store.find(session, principal, key)
    if not may_file(principal):
        raise ForbiddenError(
            "filing a claim is for the customer's admins ("
            + " or ".join(FILERS)
            + f"); {principal.who} is a {principal.person_role}, who sees credits and claims"
        )
    agreement, zone = _terms(session, principal, row)
    cycle = _cycle(agreement, None)
    _check_comment(comment)
    try:
        start, end = period_bounds(period, zone)
    except AccordError as error:
        raise InvalidError(f"period: {error}", "period") from None
    billed = period_label(enclosing(start, cycle)[0], cycle)
    if billed != period or enclosing(start, cycle)[1] != end:
        raise InvalidError(
            f"period: credits of agreement {key!r} are settled per {cycle} (its tier's billing "
            f"period), so a claim is for a {cycle} such as {billed}, not {period!r}",
            "period",
        )
    moment = now()
    if end > moment:
        raise InvalidError(
            f"period: {period} is not over (it ends {end.isoformat()}); its credits are "
            "claimed once it is",
            "period",
        )
    existing = _claimed(session, row.id, objective, period)
    if existing is not None:
        raise _already(existing, key)
    report = reports.report(session, principal, key, period, timezone=zone)
    owed_all = credits_owed(report, period, cycle)
    owed = next((o for o in owed_all if o.objective == objective), None)
    if owed is None:
        raise InvalidError(_not_owed(key, objective, period, report, owed_all), "objective")
    late = owed.too_late(moment)
    if late is not None:
        raise ConflictError(f"too late to claim: {late}", "period")
    evidence = evidence_of(report, owed)
    claim = ClaimRow(
        organisation_id=principal.organisation_id,
        agreement_id=row.id,
        customer=row.customer,
        objective=objective,
        period=period,
        timezone=zone,
        state="submitted",
        amount=str(owed.credit.amount),
        currency=owed.credit.currency,
        deadline=owed.deadline,
        filed_at=moment,
        filed_by=principal.who,
        updated_at=moment,
        evidence=codec.dumps(evidence),
    )
    try:
        with session.begin_nested():  # another request filing the same claim first: 409
            session.add(claim)
            session.flush()
    except IntegrityError:
        raced = _claimed(session, row.id, objective, period)
        if raced is None:  # pragma: no cover - the constraint names this row
            raise
        raise _already(raced, key) from None
    event = _step(claim, moment, principal.who, "filed", "submitted", comment)
    session.add(event)
    _audit(session, principal, claim, row.key, "claim.filed", moment, event.comment)
    session.flush()
    return _record(claim, row.key, evidence, [event])


AUDITED = {"accept": "claim.accepted", "reject": "claim.rejected", "pay": "claim.paid"}
"""The audit log's action for each decision (a filing is ``claim.filed``)."""


def _audit(
    session: Session,
    principal: Principal,
    claim: ClaimRow,
    key: str,
    action: str,
    moment: datetime,
    comment: str | None,
) -> None:
    audit.record(
        session,
        principal,
        action,
        "claim",
        claim.id,
        moment,
        customer=claim.customer,
        agreement=key,
        objective=claim.objective,
        period=claim.period,
        amount=claim.amount,
        currency=claim.currency,
        state=claim.state,
        **({"comment": comment} if comment else {}),
    )


def _claimed(session: Session, agreement_id: int, objective: str, period: str) -> ClaimRow | None:
    """The claim filed for the credit, if any (as this transaction sees it)."""
    return session.scalar(
        select(ClaimRow).where(
            ClaimRow.agreement_id == agreement_id,
            ClaimRow.objective == objective,
            ClaimRow.period == period,
        )
    )


def _record(
    claim: ClaimRow,
    key: str,
    evidence: ClaimEvidence | None,
    history: Sequence[ClaimEventRow],
    now: FigureNow | None = None,
) -> ClaimRecord:
    """The claim as a value, read while its transaction is open."""
    return ClaimRecord(
        id=claim.id,
        agreement=key,
        customer=claim.customer,
        objective=claim.objective,
        period=claim.period,
        timezone=claim.timezone,
        state=_state(claim.state),
        amount=Decimal(claim.amount),
        currency=claim.currency,
        deadline=claim.deadline,
        filed_at=claim.filed_at,
        filed_by=claim.filed_by,
        updated_at=claim.updated_at,
        history=tuple(
            ClaimStep(e.at, e.actor, _action(e.action), _state(e.state), e.comment) for e in history
        ),
        evidence=evidence,
        now=now,
    )


def _state(text: str) -> ClaimState:
    for state in STATES:
        if state == text:
            return state
    raise ConflictError(f"a claim in an unknown state {text!r}")  # pragma: no cover


def _action(text: str) -> Literal["filed", "accept", "reject", "pay"]:
    for action in ("filed", *DECISIONS):
        if action == text:
            return action  # type: ignore[return-value]
    raise ConflictError(f"a claim step of an unknown kind {text!r}")  # pragma: no cover


def _already(claim: ClaimRow, key: str) -> ConflictError:
    return ConflictError(
        f"already claimed: the credit of {claim.objective} in {claim.period} under agreement "
        f"{key!r} is claim {claim.id}, filed {claim.filed_at.isoformat()} by {claim.filed_by} "
        f"and {claim.state}; a credit is claimed once",
        "objective",
    )


def _not_owed(
    key: str, objective: str, period: str, report: Report, owed: tuple[CreditOwed, ...]
) -> str:
    result = next((o for o in report.objectives if o.objective == objective), None)
    others = ", ".join(o.objective for o in owed) or "none"
    if result is None:
        known = ", ".join(o.objective for o in report.objectives)
        return (
            f"objective: agreement {key!r} has no objective {objective!r} in {period} "
            f"(its objectives: {known}); credits owed then: {others}"
        )
    return (
        f"objective: {objective} earned no credit in {period} ({result.detail}); "
        f"credits owed then: {others}"
    )


def _check_comment(comment: str | None) -> None:
    if comment is not None and len(comment) > MAX_COMMENT:
        raise InvalidError(
            f"comment: {len(comment):,} characters; at most {MAX_COMMENT:,}", "comment"
        )


def _step(
    claim: ClaimRow,
    moment: datetime,
    actor: str,
    action: str,
    state: str,
    comment: str | None,
) -> ClaimEventRow:
    text = (comment or "").strip() or None
    return ClaimEventRow(
        organisation_id=claim.organisation_id,
        claim_id=claim.id,
        at=moment,
        actor=actor,
        action=action,
        state=state,
        comment=text,
    )


def may_decide(principal: Principal) -> bool:
    """Whether the principal decides claims: the provider's, with a deciding role (a
    person's portal role, else a key's role)."""
    if principal.customer is not None:
        return False
    if principal.person_role is not None:
        return principal.person_role in DECIDING_PEOPLE
    return principal.role in DECIDERS


def may_file(principal: Principal) -> bool:
    """Whether the principal files claims: any key (that sees the agreement), and of the
    portal's people those with a role of :data:`FILERS`."""
    return principal.person_role is None or principal.person_role in FILERS


def decide(
    session: Session,
    principal: Principal,
    claim_id: int,
    decision: str,
    comment: str | None = None,
) -> ClaimRecord:
    """Accept or reject (``reason`` required, which the customer reads) a submitted claim,
    or mark an accepted one paid; each step kept with who, when and the comment."""
    found = _visible(session, principal, claim_id)
    if not may_decide(principal):
        if principal.person_role is not None:
            raise ForbiddenError(
                "deciding a claim is the provider's: a person with role "
                + " or ".join(DECIDING_PEOPLE)
                + f"; {principal.who} is a {principal.person_role}"
            )
        raise ForbiddenError(
            "deciding a claim is the provider's: a key not scoped to a customer, with role "
            + " or ".join(repr(r) for r in DECIDERS)
            + f"; this key's role is {principal.role!r}"
            + (f", scoped to customer {principal.customer!r}" if principal.customer else "")
        )
    if decision not in DECISIONS:
        raise InvalidError(
            f"decision: {decision!r}; expected one of {', '.join(DECISIONS)}", "decision"
        )
    _check_comment(comment)
    state = _state(found.state)
    try:
        after = next_state(state, decision, comment)
    except ReasonMissingError as error:
        raise InvalidError(str(error), "reason") from None
    except WrongStateError as error:
        raise ConflictError(f"claim {claim_id}: {error}", "decision") from None
    moment = now()
    done = session.execute(
        update(ClaimRow)
        .where(ClaimRow.id == claim_id, ClaimRow.state == state)
        .values(state=after, updated_at=moment)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount == 0:  # type: ignore[attr-defined]
        session.refresh(found)
        raise ConflictError(
            f"claim {claim_id} was {found.state} by another decision meanwhile; "
            f"{decision} applies to a claim that was {state}",
            "decision",
        )
    session.refresh(found)
    step = _step(found, moment, principal.who, decision, after, comment)
    session.add(step)
    key = session.scalar(select(AgreementRow.key).where(AgreementRow.id == found.agreement_id))
    _audit(session, principal, found, key or "", AUDITED[decision], moment, step.comment)
    session.flush()
    return view(session, principal, claim_id)


def _visible(session: Session, principal: Principal, claim_id: int) -> ClaimRow:
    found = session.get(ClaimRow, claim_id)
    if (
        found is None
        or found.organisation_id != principal.organisation_id
        or not principal.sees(found.customer)
    ):
        raise NotFoundError(f"no claim {claim_id}")
    return found


def view(
    session: Session, principal: Principal, claim_id: int, *, judged_now: bool = False
) -> ClaimRecord:
    """One claim the principal may see (404 otherwise), with its history; ``judged_now``
    also judges the period's report now, to show whether late data changed its figure."""
    found = _visible(session, principal, claim_id)
    key = session.scalar(select(AgreementRow.key).where(AgreementRow.id == found.agreement_id))
    assert key is not None
    evidence = codec.loads(found.evidence, ClaimEvidence)
    history = tuple(
        session.scalars(
            select(ClaimEventRow)
            .where(ClaimEventRow.claim_id == claim_id)
            .order_by(ClaimEventRow.id)
        ).all()
    )
    current = None
    if judged_now:
        report = reports.report(session, principal, key, found.period, timezone=found.timezone)
        current = figure_now(evidence, report)
    return _record(found, key, evidence, history, current)


def _claims_query(
    session: Session, principal: Principal, agreement: str | None, state: str | None
) -> Select[ClaimRow, str]:
    """The claims the principal may see (the organisation's for the provider, the customer's
    own for one scoped to it), of one agreement or in one state."""
    query = select(ClaimRow, AgreementRow.key).join(
        AgreementRow, AgreementRow.id == ClaimRow.agreement_id
    )
    query = query.where(ClaimRow.organisation_id == principal.organisation_id)
    if principal.customer is not None:
        query = query.where(ClaimRow.customer == principal.customer)
    if agreement is not None:
        agreement_store.find(session, principal, agreement)  # 404 for one it may not see
        query = query.where(AgreementRow.key == agreement)
    if state is not None:
        if state not in STATES:
            raise InvalidError(f"state: {state!r}; expected one of {', '.join(STATES)}", "state")
        query = query.where(ClaimRow.state == state)
    return query


def _listed_records(session: Session, rows: Sequence[Row[ClaimRow, str]]) -> list[ClaimRecord]:
    """The claims with their history, without their evidence (long, and read by a claim's
    own page): a list never decodes it."""
    ids = [claim.id for claim, _ in rows]
    history: dict[int, list[ClaimEventRow]] = {}
    if ids:
        for event in session.scalars(
            select(ClaimEventRow).where(ClaimEventRow.claim_id.in_(ids)).order_by(ClaimEventRow.id)
        ).all():
            history.setdefault(event.claim_id, []).append(event)
    return [_record(claim, key, None, history.get(claim.id, [])) for claim, key in rows]


def listed(
    session: Session,
    principal: Principal,
    *,
    agreement: str | None = None,
    state: str | None = None,
) -> list[ClaimRecord]:
    """The claims the principal may see, newest first (without their evidence: see
    :func:`view`): all of the organisation's for the provider, the customer's own for a key
    scoped to it; of one agreement, or in one state."""
    query = _claims_query(session, principal, agreement, state)
    rows = session.execute(query.order_by(ClaimRow.filed_at.desc(), ClaimRow.id.desc())).all()
    return _listed_records(session, rows)


PER_PAGE = 25
"""Claims on one page of :func:`queue`."""


@dataclass(frozen=True)
class ClaimsPage:
    page: int
    pages: int
    total: int
    """Claims on every page."""
    claims: tuple[ClaimRecord, ...]


def queue(
    session: Session, principal: Principal, page: int = 1, per_page: int = PER_PAGE
) -> ClaimsPage:
    """One page of the claims the principal may see, in the order they are decided:
    submitted claims oldest first (waiting longest), then accepted ones to pay, oldest first,
    then the settled ones (rejected, paid), latest first; without their evidence."""
    if page < 1:
        raise InvalidError(f"page {page}: expected 1 or more", "page")
    query = _claims_query(session, principal, None, None)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rank = case((ClaimRow.state == "submitted", 0), (ClaimRow.state == "accepted", 1), else_=2)
    waiting = rank < 2
    rows = session.execute(
        query.order_by(
            rank,
            case((waiting, ClaimRow.filed_at)).asc(),
            case((waiting, ClaimRow.id)).asc(),
            case((~waiting, ClaimRow.updated_at)).desc(),
            case((~waiting, ClaimRow.id)).desc(),
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return ClaimsPage(
        page, max(1, -(-total // per_page)), total, tuple(_listed_records(session, rows))
    )


__all__ = [
    "DECIDERS",
    "DECIDING_PEOPLE",
    "FILERS",
    "ClaimState",
    "Eligible",
    "decide",
    "eligible",
    "file_claim",
    "listed",
    "may_decide",
    "may_file",
    "queue",
    "view",
]
