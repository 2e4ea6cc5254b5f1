"""Credits and claims: a customer's people see the credits their agreements' closed periods
owe, with the claim deadlines, and their claims with the provider's comments; a customer's
admin files a claim in one click. The provider's staff see the claims to decide, oldest
first, and accept, reject (with a reason) or mark them paid. Thin over
:mod:`accord.service.claims`, the use cases of ``/v1/agreements/{key}/credits`` and
``/v1/claims``: a figure on these pages is the figure the API returns."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from accord.api.deps import MAX_ID, runtime_of
from accord.portal import web
from accord.render.claims import claim_html, credits_html, decision_html
from accord.service import agreements, claims
from accord.service.claims import ClaimsPage
from accord.service.errors import ServiceError
from accord.service.ingest import NO_NUL
from accord.service.people import Current
from accord.service.tenants import Principal

router = APIRouter(include_in_schema=False)
CLAIMS = "/portal/claims"
NOTICES = {
    "filed": "Your claim was filed. The provider decides it; its state and their comments "
    "are shown here.",
    "accept": "The claim was accepted.",
    "reject": "The claim was rejected; the customer reads the reason.",
    "pay": "The claim was marked paid.",
}


@dataclass(frozen=True)
class AgreementCredits:
    key: str
    title: str
    credits: Markup


def _page(
    request: Request,
    visitor: Current,
    *,
    status: int = 200,
    problem: str = "",
    notice: str = "",
    page: int = 1,
) -> Response:
    who = web.principal(visitor)
    filer = claims.may_file(who) and who.customer is not None

    def read(session: Session, who: Principal) -> tuple[list[AgreementCredits], ClaimsPage]:
        owed = []
        if who.customer is not None:  # the provider's staff decide, and see the claims
            for row in agreements.visible(session, who):
                found = claims.eligible(session, who, row.key)
                fragment = credits_html(
                    found,
                    action=f"/portal/agreements/{row.key}/claims",
                    csrf_token=visitor.row.csrf,
                    may_file=filer,
                    claims_url=CLAIMS,
                    agreement=row.key,
                    locale=visitor.locale,
                )
                owed.append(AgreementCredits(row.key, row.title or row.key, Markup(fragment)))
        return owed, claims.queue(session, who, page, claims.PER_PAGE)

    owed, found = runtime_of(request).run(read, who)
    return web.page(
        "claims.html",
        visitor,
        status=status,
        section="claims",
        title="Credits and claims",
        owed=owed,
        claims=found.claims,
        listing=found,
        previous_url=f"{CLAIMS}?page={page - 1}" if page > 1 else "",
        next_url=f"{CLAIMS}?page={page + 1}" if page < found.pages else "",
        provider=who.customer is None,
        may_decide=claims.may_decide(who),
        may_file=filer,
        problem=problem,
        notice=notice,
    )


@router.get(CLAIMS)
def claims_page(
    request: Request,
    visitor: web.Visitor,
    notice: web.Notice = "",
    page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
) -> Response:
    """A customer's credits owed and claims; the provider's claims to decide, oldest first,
    a page at a time."""
    return _page(request, visitor, notice=web.notice_of(notice, NOTICES), page=page)


@router.post("/portal/agreements/{key}/claims")
def file_claim(
    request: Request,
    visitor: web.Visitor,
    key: web.Key,
    objective: Annotated[str, Form(max_length=200, pattern=NO_NUL)] = "",
    period: Annotated[str, Form(max_length=32, pattern=NO_NUL)] = "",
    comment: Annotated[str, Form(max_length=4000, pattern=NO_NUL)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """File the claim of one credit (the one click of the credits table); a refusal (too
    late, claimed already, not owed) is shown on the page with its reason and status."""
    web.check_csrf(visitor, csrf_token)
    who = web.principal(visitor)
    try:
        filed = runtime_of(request).run(
            claims.file_claim, who, key, objective, period, comment or None
        )
    except ServiceError as error:
        return web.refused(error, partial(_page, request, visitor))
    return web.redirect(f"{CLAIMS}/{filed.id}?notice=filed")


def _claim_page(
    request: Request,
    visitor: Current,
    claim_id: int,
    *,
    status: int = 200,
    problem: str = "",
    notice: str = "",
) -> Response:
    who = web.principal(visitor)
    found = runtime_of(request).run(claims.view, who, claim_id, judged_now=True)
    decision = ""
    if claims.may_decide(who):
        decision = decision_html(
            found,
            action=f"{CLAIMS}/{claim_id}/decision",
            csrf_token=visitor.row.csrf,
            locale=visitor.locale,
        )
    return web.page(
        "claim.html",
        visitor,
        status=status,
        section="claims",
        title=f"Claim {found.id}",
        claim=found,
        # render.claims' autoescaped templates
        fragment=Markup(claim_html(found, locale=visitor.locale)),
        decision=Markup(decision),
        problem=problem,
        notice=notice,
    )


@router.get(CLAIMS + "/{claim_id}")
def claim_page(
    request: Request,
    visitor: web.Visitor,
    claim_id: web.Id,
    notice: web.Notice = "",
) -> Response:
    """One claim: its state, its history with the provider's comments, its evidence; for
    those who decide claims, the decision form. Another customer's claim is not found."""
    return _claim_page(request, visitor, claim_id, notice=web.notice_of(notice, NOTICES))


@router.post(CLAIMS + "/{claim_id}/decision")
def decide(
    request: Request,
    visitor: web.Visitor,
    claim_id: web.Id,
    decision: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=4000, pattern=NO_NUL)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Accept, reject (a reason required) or mark paid, as ``POST /v1/claims/{id}/decision``;
    a refusal is shown on the claim's page with its reason and status."""
    web.check_csrf(visitor, csrf_token)
    who = web.principal(visitor)
    try:
        runtime_of(request).run(claims.decide, who, claim_id, decision, reason or None)
    except ServiceError as error:
        return web.refused(error, partial(_claim_page, request, visitor, claim_id))
    return web.redirect(f"{CLAIMS}/{claim_id}?notice={decision}")
