"""An agreement's life: propose a version, accept it (each side, the exact hash), comment,
reject, terminate; the proposals still waiting and on whom; the hash-chained history, its
export as JSON Lines and its verification. The rules: :mod:`accord.service.lifecycle`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accord.api.deps import MAX_NUMBER, AgreementKey, Auth, InstantParam, State, single_values
from accord.api.errors import problems
from accord.core.agreement.lifecycle import Side, Status, VersionState
from accord.service import history, lifecycle
from accord.service.ingest import NO_NUL

router = APIRouter(tags=["lifecycle"], dependencies=[Depends(single_values)])

Number = Annotated[int, Path(ge=1, le=MAX_NUMBER, description="The version's number.")]
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=NO_NUL)]
HASH_EXAMPLE = "9f2c0d5e" * 8


class SignatureOut(BaseModel):
    side: Side
    party: str | None = Field(description="The party's id in the agreement.", examples=["acme"])
    signatory: str = Field(
        description="Who signed: a person's e-mail or a key.", examples=["ana@acme-corp.example"]
    )
    at: datetime
    hash: str = Field(description="The SHA-256 of the document signed.", examples=[HASH_EXAMPLE])


class Measures(BaseModel):
    """The change log of the measures: objectives added, removed and changed."""

    added: list[str] = Field(examples=[["security-response"]])
    removed: list[str] = Field(examples=[[]])
    changed: list[str] = Field(examples=[["resolution"]])


class VersionLifeOut(BaseModel):
    """A version in the agreement's life."""

    number: int = Field(ge=1, examples=[2])
    version: str = Field(description="The version as the agreement states it.", examples=["2"])
    state: VersionState = Field(description="Its stored state.")
    status: Status = Field(description="Its state now, with what time did to it.")
    kind: Literal["first", "amendment", "renewal"]
    takes_over: datetime = Field(description="When it is in force from, once agreed.")
    hash: str | None = Field(
        description="The SHA-256 of the resolved document as proposed: what each side accepts.",
        examples=[HASH_EXAMPLE],
    )
    required: list[Side] = Field(description="The sides that must sign.")
    signatures: list[SignatureOut]
    waiting_on: list[Side] = Field(description="The sides that have not accepted yet.")
    changes: list[str] = Field(
        description="What it changes from the version agreed before it, in words."
    )
    measures: Measures


class LifeOut(BaseModel):
    agreement: str = Field(examples=["desk"])
    customer: str | None = Field(examples=["acme-corp"])
    status: Status = Field(description="The agreement's state now.")
    terminated_at: datetime | None
    versions: list[VersionLifeOut] = Field(description="Oldest first.")


class WaitingOut(BaseModel):
    agreement: str = Field(examples=["desk"])
    customer: str | None = Field(examples=["acme-corp"])
    title: str
    number: int = Field(ge=1)
    version: str
    proposed_at: datetime
    hash: str = Field(examples=[HASH_EXAMPLE])
    waiting_on: list[Side]
    signatories: dict[str, str] = Field(description="Who may sign for each awaited side.")


class ProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(
        None, max_length=4000, pattern=NO_NUL, description="A note for the other side."
    )


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hash: str = Field(
        pattern="^[0-9a-fA-F]{64}$",
        description="The hash of the version as proposed (its `hash`): the document accepted.",
        examples=[HASH_EXAMPLE],
    )


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text = Field(examples=["Could the P2 response be 2h in business hours?"])


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(
        description="Why: the other side reads it.", examples=["The credit cap of 5% is too low."]
    )


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(
        None,
        max_length=4000,
        pattern=NO_NUL,
        description="Why: the customer reads it in the history.",
        examples=["Superseded by the terms agreed on the call."],
    )


class TerminateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(examples=["Ended by mutual consent (letter of 2026-11-30)."])
    at: InstantParam | None = Field(None, description="When it ends (default: now).")


class Verification(BaseModel):
    intact: bool = Field(description="Whether every entry is as written and in its place.")
    entries: int = Field(ge=0)
    head: str | None = Field(
        description="The newest entry's hash: keep it to notice entries removed from the end."
    )
    broken: dict[str, Any] | None = Field(
        description="The first broken entry: its `seq` and the `reason`."
    )


def _version_out(found: lifecycle.VersionLife) -> VersionLifeOut:
    return VersionLifeOut(
        number=found.number,
        version=found.label,
        state=found.state,
        status=found.status,
        kind=found.kind,
        takes_over=found.takes_over,
        hash=found.hash,
        required=found.required,
        signatures=[
            SignatureOut(side=s.side, party=s.party, signatory=s.signatory, at=s.at, hash=s.hash)
            for s in found.signatures
        ],
        waiting_on=found.waiting_on,
        changes=[c["text"] for c in found.changes],
        measures=Measures.model_validate(found.measures),
    )


def _life_out(found: lifecycle.Life) -> LifeOut:
    return LifeOut(
        agreement=found.key,
        customer=found.customer,
        status=found.status,
        terminated_at=found.terminated_at,
        versions=[_version_out(v) for v in found.versions],
    )


_STEP_ERRORS = problems(400, 401, 403, 404, 409, 422, 503)


@router.get("/v1/agreements/{key}/lifecycle", responses=problems(401, 404, 422, 503))
def get_life(key: AgreementKey, who: Auth, state: State) -> LifeOut:
    """The agreement's state now and each version's: its hash, the sides that must sign,
    their signatures (who, when, which hash), who has not answered, and what it changes."""

    return state.run(lambda session: _life_out(lifecycle.life(session, who, key)))


@router.post(
    "/v1/agreements/{key}/versions/{number}/propose", responses=_STEP_ERRORS, status_code=200
)
def propose(
    key: AgreementKey, number: Number, who: Auth, state: State, payload: ProposeIn | None = None
) -> VersionLifeOut:
    """Propose a draft version (upload it with `stage=draft`): its hash is fixed and the
    provider's signature is the proposer's; the customer must accept the same hash. Only the
    provider's signatory proposes (403); a version that is not a draft is 409."""

    def work(session: Session) -> VersionLifeOut:
        found = lifecycle.propose(
            session, who, key, number, payload.comment if payload is not None else None
        )
        return _version_out(found)

    return state.run(work)


@router.post("/v1/agreements/{key}/versions/{number}/accept", responses=_STEP_ERRORS)
def accept(
    key: AgreementKey, number: Number, payload: AcceptIn, who: Auth, state: State
) -> VersionLifeOut:
    """Accept a proposed version for your side, naming its hash: refused (409) when the hash
    is not the one proposed, the version is not proposed, or your side signed already; 403
    for who does not sign (a customer viewer, a read key, provider staff). Agreed once every
    side has signed; in force from when it takes over."""

    def work(session: Session) -> VersionLifeOut:
        return _version_out(lifecycle.accept(session, who, key, number, payload.hash))

    return state.run(work)


@router.post("/v1/agreements/{key}/versions/{number}/reject", responses=_STEP_ERRORS)
def reject(
    key: AgreementKey, number: Number, payload: RejectIn, who: Auth, state: State
) -> VersionLifeOut:
    """Reject a proposed version with a reason the other side reads (a signatory's step)."""

    def work(session: Session) -> VersionLifeOut:
        return _version_out(lifecycle.reject(session, who, key, number, payload.reason))

    return state.run(work)


@router.post("/v1/agreements/{key}/versions/{number}/withdraw", responses=_STEP_ERRORS)
def withdraw(
    key: AgreementKey, number: Number, who: Auth, state: State, payload: WithdrawIn | None = None
) -> VersionLifeOut:
    """Withdraw a draft or proposed version, with an optional reason (the provider's
    signatory; 403 for others): it is never in force. A version agreed, rejected or withdrawn
    already is 409 naming its state."""

    def work(session: Session) -> VersionLifeOut:
        reason = payload.reason if payload is not None else None
        return _version_out(lifecycle.withdraw(session, who, key, number, reason))

    return state.run(work)


@router.post(
    "/v1/agreements/{key}/versions/{number}/comments", responses=_STEP_ERRORS, status_code=201
)
def comment(
    key: AgreementKey, number: Number, payload: CommentIn, who: Auth, state: State
) -> VersionLifeOut:
    """Comment on a draft or proposed version (anyone who sees the agreement)."""

    def work(session: Session) -> VersionLifeOut:
        return _version_out(lifecycle.comment(session, who, key, number, payload.text))

    return state.run(work)


@router.post("/v1/agreements/{key}/terminate", responses=_STEP_ERRORS)
def terminate(key: AgreementKey, payload: TerminateIn, who: Auth, state: State) -> LifeOut:
    """Terminate an agreement in force or agreed, with the reason (the provider's signatory);
    409 naming its state otherwise."""

    def work(session: Session) -> LifeOut:
        return _life_out(lifecycle.terminate(session, who, key, payload.reason, payload.at))

    return state.run(work)


@router.get(
    "/v1/agreements/{key}/history",
    response_class=Response,
    responses={
        200: {
            "description": "One entry a line (JSON Lines): seq, at, actor, action, version, "
            "detail, previous (the hash of the entry before) and hash.",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        },
        **problems(401, 404, 422, 503),
    },
)
def get_history(key: AgreementKey, who: Auth, state: State) -> Response:
    """The agreement's history, append-only and hash-chained, as JSON Lines."""

    def work(session: Session) -> str:
        return history.json_lines(lifecycle.history_of(session, who, key))

    return Response(state.run(work), media_type="application/x-ndjson")


@router.get("/v1/agreements/{key}/history/verify", responses=problems(401, 404, 422, 503))
def verify_history(key: AgreementKey, who: Auth, state: State) -> Verification:
    """Whether the stored history is as written: each entry's hash recomputed and its link
    to the one before checked; the first broken entry is named."""

    def work(session: Session) -> Verification:
        return Verification.model_validate(lifecycle.verify(session, who, key).as_json())

    return state.run(work)


@router.get("/v1/proposals", responses=problems(401, 503))
def list_waiting(who: Auth, state: State) -> list[WaitingOut]:
    """The proposals waiting on a side, oldest first, and who may sign for it: the provider
    sees who has not answered; a customer's key sees its own to-do."""

    def work(session: Session) -> list[WaitingOut]:
        return [
            WaitingOut(
                agreement=w.key,
                customer=w.customer,
                title=w.title,
                number=w.number,
                version=w.label,
                proposed_at=w.proposed_at,
                hash=w.hash,
                waiting_on=w.waiting_on,
                signatories=w.signatories,
            )
            for w in lifecycle.waiting(session, who)
        ]

    return state.run(work)
