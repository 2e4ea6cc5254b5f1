"""Agreements: upload a version as YAML, list them, read a version, compare two versions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from accord.api.deps import (
    MAX_NUMBER,
    AgreementKey,
    Auth,
    InstantParam,
    State,
    read_body,
    single_values,
)
from accord.api.errors import problems
from accord.api.openapi import schema_of
from accord.core.agreement import Agreement
from accord.core.agreement.lifecycle import VersionState
from accord.io.text import EncodingError, decode
from accord.io.yamlfile import LocatedProblem
from accord.service import agreements, lifecycle, tracking
from accord.service.errors import InvalidError
from accord.store.schema import AgreementRow

# every query parameter takes one value
router = APIRouter(tags=["agreements"], dependencies=[Depends(single_values)])

YAML_EXAMPLE = """\
id: desk
version: "1"
overview: {title: Support desk}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
effective: {start: 2026-01-01}
objectives:
  - id: response
    metric: first_response
    within: 1h
    target: 90%
    calendar: 24x7
"""


class VersionChange(BaseModel):
    """One difference between two versions of an agreement."""

    section: str = Field(description="The part of the agreement.", examples=["objectives"])
    item: str | None = Field(description="The item in it (an objective's id...).")
    kind: Literal["added", "removed", "changed"]
    field: str | None = Field(description="The field that changed.", examples=["within"])
    before: Any = Field(description="Its value before (any JSON value).", examples=["4h"])
    after: Any = Field(description="Its value after (any JSON value).", examples=["8h"])
    text: str = Field(
        description="The change in words.",
        examples=["objectives 'resolution': within changed from 4h to 8h"],
    )


class AgreementWarning(BaseModel):
    """Something `accord validate` warns of in an agreement that is valid all the same."""

    field: str | None = Field(
        description="Where: a dotted path into the agreement.",
        examples=["calendars.colombo-office.holidays.country"],
    )
    line: int | None = Field(description="The line (from 1).", examples=[74])
    column: int | None = Field(description="The column (from 1).", examples=[16])
    detail: str = Field(
        description="What, and what to do.",
        examples=[
            "warning: calendar 'colombo-office': public holidays of LK are known only from "
            "2003 through 2026, not for 2027 (the agreement has no end; checked through "
            "2027): its public holidays count as working time then; list the public holidays "
            "of 2027 under the calendar's holidays.dates and name 2027 under "
            "holidays.listed_years"
        ],
    )

    @classmethod
    def of(cls, found: LocatedProblem) -> AgreementWarning:
        return cls(
            field=found.problem.where or None,  # as `accord validate` writes it: union[1]
            line=found.line,
            column=found.column,
            detail=found.problem.message,
        )


class Uploaded(BaseModel):
    """The version an upload made (or found: the same text as the newest version)."""

    agreement: str = Field(description="The agreement's id.", examples=["desk"])
    number: int = Field(ge=1, description="The version's number, from 1.", examples=[2])
    version: str = Field(description="The version as the agreement states it.", examples=["2"])
    created: bool = Field(description="False: the text equals the newest version; nothing new.")
    changes: list[VersionChange] = Field(description="What changed from the version before.")
    warnings: list[AgreementWarning] = Field(
        default_factory=list,
        description="What `accord validate` warns of, each with its line and field: a "
        "calendar whose public holidays the holidays library does not know for years of the "
        "agreement's term (they would count as working time), and the fix. The version is "
        "stored all the same.",
    )


class AgreementSummary(BaseModel):
    agreement: str = Field(description="The agreement's id.", examples=["desk"])
    title: str = Field(examples=["ACME service desk"])
    customer: str | None = Field(description="Its customer's id.", examples=["acme-corp"])
    parent: str | None = Field(description="The agreement it belongs under (a master).")
    review_next: str | None = Field(
        description="When it is next due for review (a date).", examples=["2027-01-31"]
    )
    versions: int = Field(ge=1, description="How many versions are stored.")


class VersionSummary(BaseModel):
    number: int = Field(ge=1, examples=[1])
    version: str = Field(description="The version as the agreement states it.", examples=["1"])
    in_force_from: datetime | None = Field(description="When it takes over (none: at its upload).")
    uploaded_at: datetime
    state: VersionState = Field(
        description="Only agreed versions are in force (see /v1/agreements/{key}/lifecycle)."
    )
    changes: list[VersionChange] = Field(description="What changed from the version before.")


class AgreementDetail(BaseModel):
    agreement: str = Field(description="The agreement's id.", examples=["desk"])
    title: str = Field(examples=["ACME service desk"])
    customer: str | None = Field(examples=["acme-corp"])
    parent: str | None
    review_next: str | None = Field(examples=["2027-01-31"])
    versions: list[VersionSummary] = Field(description="Oldest first.")


@router.post(
    "/v1/agreements",
    status_code=201,
    responses=problems(400, 401, 403, 413, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The agreement as YAML (UTF-8), as `accord validate` reads it; "
            "its schema is the agreement file's. A 422 names the line and field of each problem.",
            "content": {
                "application/yaml": {
                    "schema": schema_of(Agreement),
                    "example": yaml.safe_load(YAML_EXAMPLE),
                }
            },
        }
    },
)
async def upload_agreement(
    request: Request,
    who: Auth,
    state: State,
    in_force_from: Annotated[
        InstantParam | None,
        Query(description="When this version takes over (default: now), with a UTC offset."),
    ] = None,
    stage: Annotated[
        Literal["agreed", "draft", "proposed"],
        Query(
            description="agreed (default): a version agreed with the customer, in force when "
            "it takes over; draft: a version to propose; proposed: proposed at once, in force "
            "once the customer accepts it (see /v1/agreements/{key}/lifecycle)."
        ),
    ] = "agreed",
) -> Uploaded:
    """Upload an agreement as YAML: validated as `accord validate` does; a new version when
    the agreement exists, nothing new when the text equals its newest version. An invalid
    agreement is a 422 whose `errors` name each line and field."""
    raw = await read_body(request)
    try:
        text = decode(raw, "agreement")
    except EncodingError as error:
        raise InvalidError(str(error)) from None

    def work(session: Session) -> Uploaded:
        stored = lifecycle.upload(session, who, text, in_force_from, stage)
        if stored.created and stage == "agreed":  # else: once agreed (service.lifecycle)
            tracking.after_upload(
                session, who.organisation_id, stored.agreement.key, stored.resolved
            )
        return Uploaded(
            agreement=stored.agreement.key,
            number=stored.version.number,
            version=stored.version.label,
            created=stored.created,
            changes=[VersionChange.model_validate(c) for c in stored.version.changes],
            warnings=[AgreementWarning.of(w) for w in stored.warnings],
        )

    return await run_in_threadpool(state.run, work)


@router.get("/v1/agreements", responses=problems(401, 503))
def list_agreements(who: Auth, state: State) -> list[AgreementSummary]:
    """The agreements this key may see."""

    def work(session: Session) -> list[AgreementSummary]:
        return [
            AgreementSummary(
                agreement=row.key,
                title=row.title,
                customer=row.customer,
                parent=row.parent,
                review_next=row.review_next,
                versions=len(agreements.versions(session, row)),
            )
            for row in agreements.visible(session, who)
        ]

    return state.run(work)


def _detail(session: Session, row: AgreementRow) -> AgreementDetail:
    return AgreementDetail(
        agreement=row.key,
        title=row.title,
        customer=row.customer,
        parent=row.parent,
        review_next=row.review_next,
        versions=[
            VersionSummary(
                number=v.number,
                version=v.label,
                in_force_from=v.in_force_from,
                uploaded_at=v.uploaded_at,
                state=v.state,
                changes=[VersionChange.model_validate(c) for c in v.changes],
            )
            for v in agreements.versions(session, row)
        ],
    )


@router.get("/v1/agreements/{key}", responses=problems(401, 404, 422, 503))
def get_agreement(key: AgreementKey, who: Auth, state: State) -> AgreementDetail:
    """One agreement and its versions with what each changed."""
    return state.run(lambda session: _detail(session, agreements.find(session, who, key)))


@router.get(
    "/v1/agreements/{key}/versions/{number}",
    response_class=Response,
    responses={
        200: {
            "description": "The version's YAML, exactly as uploaded (the agreement file's schema).",
            "content": {"application/yaml": {"schema": schema_of(Agreement)}},
        },
        **problems(401, 404, 422, 503),
    },
)
def get_version(
    key: AgreementKey,
    number: Annotated[int, Path(ge=1, le=MAX_NUMBER, description="The version's number.")],
    who: Auth,
    state: State,
) -> PlainTextResponse:
    """A version's YAML, exactly as uploaded."""

    def work(session: Session) -> str:
        row = agreements.find(session, who, key)
        return agreements.version(session, row, number).source

    return PlainTextResponse(state.run(work), media_type="application/yaml")


@router.get("/v1/agreements/{key}/diff", responses=problems(401, 404, 422, 503))
def diff(
    key: AgreementKey,
    who: Auth,
    state: State,
    old: Annotated[
        int, Query(alias="from", ge=1, le=MAX_NUMBER, description="The older version's number.")
    ],
    new: Annotated[
        int, Query(alias="to", ge=1, le=MAX_NUMBER, description="The newer version's number.")
    ],
) -> list[VersionChange]:
    """What changed from one version to another."""

    def work(session: Session) -> list[VersionChange]:
        row = agreements.find(session, who, key)
        return [
            VersionChange.model_validate(c) for c in agreements.diff(session, who, row, old, new)
        ]

    return state.run(work)
