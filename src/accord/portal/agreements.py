"""An agreement's page: the agreement as a readable document (parties, services and
exclusions, objectives in plain words, remedies, claim procedure), its versions and what
changed between them, read through the same use cases (and visibility rules) as the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from accord.api.deps import runtime_of
from accord.portal import web
from accord.render.agreement import to_html
from accord.render.words import when, zone_of
from accord.service import agreements
from accord.service.tenants import Principal, now
from accord.store.schema import AgreementRow, AgreementVersion

router = APIRouter(include_in_schema=False)
Number = Annotated[int | None, Query(ge=1, le=1_000_000)]


@dataclass(frozen=True)
class _Read:
    row: AgreementRow
    versions: list[AgreementVersion]
    shown: AgreementVersion
    in_force: AgreementVersion
    document: str
    compared: tuple[int, int] | None
    differences: list[dict[str, Any]]
    zone: str
    """The agreement's own zone: its times are told in it."""


def _read(
    session: Session, who: Principal, key: str, number: int | None, compare: int | None
) -> _Read:
    row = agreements.find(session, who, key)
    stored = list(agreements.versions(session, row))
    in_force = agreements.version_in_force(session, row, now())
    shown = in_force if number is None else agreements.version(session, row, number)
    document = to_html(agreements.resolved_version(session, who.organisation_id, shown))
    compared, differences = None, []
    if compare is not None and compare != shown.number:
        agreements.version(session, row, compare)  # not found: 404, naming the version
        old, new = sorted((compare, shown.number))
        compared, differences = (old, new), agreements.diff(session, who, row, old, new)
    zone = agreements.own_zone(session, who.organisation_id, row)
    return _Read(row, stored, shown, in_force, document, compared, differences, zone)


@router.get("/portal/agreements/{key}")
def agreement(
    request: Request,
    visitor: web.Visitor,
    key: web.Key,
    version: Number = None,
    compare: Number = None,
) -> Response:
    """The agreement as a document (the version in force, or ``version``), its versions with
    what each changed, and two versions compared (``compare``); another customer's
    agreement, or none, is not found (404)."""
    who = web.principal(visitor)
    found = runtime_of(request).run(_read, who, key, version, compare)
    own = zone_of(found.zone)
    versions = [
        {
            "number": v.number,
            "label": v.label,
            "from": when(v.in_force_from, own) if v.in_force_from else "its upload",
            "uploaded": when(v.uploaded_at, own),
            "changes": [c.get("text", "") for c in v.changes],
            "in_force": v.number == found.in_force.number,
            "shown": v.number == found.shown.number,
        }
        for v in found.versions
    ]
    return web.page(
        "agreement.html",
        visitor,
        section="home",
        title=found.row.title or found.row.key,
        agreement=found.row,
        versions=versions,
        shown=found.shown,
        in_force=found.in_force,
        document=Markup(found.document),  # markdown-it's HTML, raw HTML in the text escaped
        compared=found.compared,
        differences=[d["text"] for d in found.differences],
    )
