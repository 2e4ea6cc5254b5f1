"""Agreements: upload a version as YAML, list them, read a version, compare two versions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from accord.api.deps import MAX_ID, AgreementKey, Auth, State, read_body
from accord.io.text import EncodingError, decode
from accord.service import agreements, tracking
from accord.service.errors import InvalidError

router = APIRouter(tags=["agreements"])


@router.post(
    "/v1/agreements",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def upload_agreement(
    request: Request,
    who: Auth,
    state: State,
    in_force_from: Annotated[
        datetime | None, Query(description="When this version takes over (default: now).")
    ] = None,
) -> dict[str, Any]:
    """Upload an agreement as YAML: validated as `accord validate` does; a new version when
    the agreement exists, nothing new when the text equals its newest version."""
    raw = await read_body(request)
    try:
        text = decode(raw, "agreement")
    except EncodingError as error:
        raise InvalidError(str(error)) from None

    def work(session: Session) -> dict[str, Any]:
        stored = agreements.upload(session, who, text, in_force_from)
        if stored.created:
            tracking.after_upload(
                session, who.organisation_id, stored.agreement.key, stored.resolved
            )
        return {
            "agreement": stored.agreement.key,
            "number": stored.version.number,
            "version": stored.version.label,
            "created": stored.created,
            "changes": stored.version.changes,
        }

    return await run_in_threadpool(state.run, work)


@router.get("/v1/agreements")
def list_agreements(who: Auth, state: State) -> list[dict[str, Any]]:
    """The agreements this key may see."""

    def work(session: Session) -> list[dict[str, Any]]:
        return [
            {
                "agreement": row.key,
                "title": row.title,
                "customer": row.customer,
                "parent": row.parent,
                "review_next": row.review_next,
                "versions": len(agreements.versions(session, row)),
            }
            for row in agreements.visible(session, who)
        ]

    return state.run(work)


@router.get("/v1/agreements/{key}")
def get_agreement(key: AgreementKey, who: Auth, state: State) -> dict[str, Any]:
    """One agreement and its versions with what each changed."""

    def work(session: Session) -> dict[str, Any]:
        row = agreements.find(session, who, key)
        return {
            "agreement": row.key,
            "title": row.title,
            "customer": row.customer,
            "parent": row.parent,
            "review_next": row.review_next,
            "versions": [
                {
                    "number": v.number,
                    "version": v.label,
                    "in_force_from": v.in_force_from,
                    "uploaded_at": v.uploaded_at,
                    "changes": v.changes,
                }
                for v in agreements.versions(session, row)
            ],
        }

    return state.run(work)


@router.get("/v1/agreements/{key}/versions/{number}", response_class=PlainTextResponse)
def get_version(
    key: AgreementKey, number: Annotated[int, Path(ge=1, le=MAX_ID)], who: Auth, state: State
) -> PlainTextResponse:
    """A version's YAML, exactly as uploaded."""

    def work(session: Session) -> str:
        row = agreements.find(session, who, key)
        return agreements.version(session, row, number).source

    return PlainTextResponse(state.run(work), media_type="application/yaml")


@router.get("/v1/agreements/{key}/diff")
def diff(
    key: AgreementKey,
    who: Auth,
    state: State,
    old: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
    new: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)],
) -> list[dict[str, Any]]:
    """What changed from one version to another."""

    def work(session: Session) -> list[dict[str, Any]]:
        row = agreements.find(session, who, key)
        return agreements.diff(session, who, row, old, new)

    return state.run(work)
