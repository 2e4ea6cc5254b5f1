"""Credits and claims: the credits an agreement's closed periods owe, with their claim
deadlines; filing a claim (its evidence frozen at filing); the claims; the provider's
decision (accept, reject with a reason, mark paid). A key scoped to a customer sees and
files only its own customer's (404 for any other); deciding is the provider's."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accord.api.deps import MAX_ID, AgreementKey, Auth, Filter, State, single_values
from accord.api.errors import problems
from accord.render.claims import (
    CreditClaimDocument,
    CreditClaimsDocument,
    CreditsOwedDocument,
    claim_json,
    eligible_json,
)
from accord.service import claims
from accord.service.ingest import NO_NUL

router = APIRouter(tags=["claims"], dependencies=[Depends(single_values)])

ClaimId = Annotated[int, Path(ge=1, le=MAX_ID, description="The claim's id.", examples=[12])]
Month = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{4}-[0-9]{2}$", examples=["2026-01"]),
]


class ClaimIn(BaseModel):
    """A claim to file: the credit of one objective in one billing period."""

    model_config = ConfigDict(extra="forbid")
    objective: str = Field(
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description="The objective whose credit is claimed (as the credits list names it).",
        examples=["availability"],
    )
    period: str = Field(
        min_length=1,
        max_length=32,
        pattern=NO_NUL,
        description="The billing period: a month (2026-10), or a quarter or year when the "
        "tier is billed so.",
        examples=["2026-10"],
    )
    comment: str | None = Field(
        None, max_length=4000, pattern=NO_NUL, description="A note for the provider."
    )


class DecisionIn(BaseModel):
    """The provider's decision on a claim."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["accept", "reject", "pay"] = Field(
        description="accept or reject a submitted claim; pay an accepted one.",
        examples=["reject"],
    )
    reason: str | None = Field(
        None,
        max_length=4000,
        pattern=NO_NUL,
        description="Why: required to reject; a comment otherwise. The customer reads it.",
        examples=["The outage of 12 October was announced maintenance (section 4.2)."],
    )


@router.get(
    "/v1/agreements/{key}/credits",
    response_model=CreditsOwedDocument,
    responses=problems(400, 401, 404, 422, 503),
)
def list_credits(
    key: AgreementKey,
    who: Auth,
    state: State,
    first: Annotated[
        Month, Query(alias="from", description="The first month (default: 11 months ago).")
    ] = None,
    last: Annotated[
        Month, Query(alias="to", description="The last month (default: this one).")
    ] = None,
) -> JSONResponse:
    """The credits the agreement's closed billing periods owe (from `from` to `to`, months;
    default the last 12 months), an objective and period each, newest first: the credit,
    its claim deadline and the agreement's clause setting it, and whether it can be claimed
    (not claimed yet, and in time), else the claim filed for it or why it is too late.
    Periods are reckoned in the agreement's own time zone."""

    def work(session: Session) -> dict[str, object]:
        found = claims.eligible(session, who, key, first, last)
        return {"agreement": key, "credits": [eligible_json(item) for item in found]}

    return JSONResponse(CreditsOwedDocument.model_validate(state.run(work)).model_dump(mode="json"))


@router.post(
    "/v1/agreements/{key}/claims",
    status_code=201,
    response_model=CreditClaimDocument,
    responses=problems(400, 401, 404, 409, 422, 503),
)
def file_claim(key: AgreementKey, payload: ClaimIn, who: Auth, state: State) -> JSONResponse:
    """File a claim for the credit an objective earned in a closed billing period: one
    request, which keeps the report's figures for that objective and period, and the
    breaches behind them, as they are now (late data change the report, not the claim).

    Refused with 409 when the claim deadline has passed (the detail names the deadline and
    the agreement's clause) or the credit is claimed already (once per agreement, objective
    and period); with 422 when the period is not over or not a billing period, or the
    objective earned no credit in it."""

    def work(session: Session) -> dict[str, object]:
        filed = claims.file_claim(
            session, who, key, payload.objective, payload.period, payload.comment
        )
        return claim_json(filed)

    return JSONResponse(
        CreditClaimDocument.model_validate(state.run(work)).model_dump(mode="json"), status_code=201
    )


@router.get(
    "/v1/claims", response_model=CreditClaimsDocument, responses=problems(400, 401, 404, 422, 503)
)
def list_claims(
    who: Auth,
    state: State,
    agreement: Annotated[Filter, Query(max_length=64, description="Only this agreement's.")] = None,
    claim_state: Annotated[
        Literal["submitted", "accepted", "rejected", "paid"] | None,
        Query(alias="state", description="Only claims in this state."),
    ] = None,
) -> JSONResponse:
    """The claims this key may see, newest first (without their evidence: see
    `GET /v1/claims/{id}`): all of the organisation's for a provider key, the customer's own
    for a key scoped to a customer."""

    def work(session: Session) -> dict[str, object]:
        found = claims.listed(session, who, agreement=agreement, state=claim_state)
        return {"claims": [claim_json(c, evidence=False) for c in found]}

    return JSONResponse(
        CreditClaimsDocument.model_validate(state.run(work)).model_dump(mode="json")
    )


@router.get(
    "/v1/claims/{claim_id}",
    response_model=CreditClaimDocument,
    responses=problems(400, 401, 404, 422, 503),
)
def get_claim(claim_id: ClaimId, who: Auth, state: State) -> JSONResponse:
    """One claim: its state, its history (who did what and when, with the provider's
    comments), its evidence as frozen at filing, and (`now`) whether the period's report
    judged now gives another figure (late data)."""

    def work(session: Session) -> dict[str, object]:
        return claim_json(claims.view(session, who, claim_id, judged_now=True))

    return JSONResponse(CreditClaimDocument.model_validate(state.run(work)).model_dump(mode="json"))


@router.post(
    "/v1/claims/{claim_id}/decision",
    response_model=CreditClaimDocument,
    responses=problems(400, 401, 403, 404, 409, 422, 503),
)
def decide_claim(claim_id: ClaimId, payload: DecisionIn, who: Auth, state: State) -> JSONResponse:
    """The provider's decision: accept or reject (a `reason` is required, which the customer
    reads) a submitted claim, or mark an accepted claim paid. Only a provider key (not
    scoped to a customer) with the admin role decides (403 otherwise); a decision the
    claim's state does not allow is 409, naming the state it applies to."""

    def work(session: Session) -> dict[str, object]:
        return claim_json(claims.decide(session, who, claim_id, payload.decision, payload.reason))

    return JSONResponse(CreditClaimDocument.model_validate(state.run(work)).model_dump(mode="json"))
