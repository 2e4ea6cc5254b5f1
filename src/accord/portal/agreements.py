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
from accord.render.words import locale_of, zone_of
from accord.service import agreements, lifecycle
from accord.service.people import Current
from accord.service.tenants import Principal, now
from accord.store.schema import AgreementRow, AgreementVersion

router = APIRouter(include_in_schema=False)
Number = Annotated[int | None, Query(ge=1, le=1_000_000)]


NOTICES = {
    "accepted": "Accepted: your signature of this version is recorded with its hash.",
    "commented": "Your comment is recorded in the agreement's history.",
    "rejected": "Rejected: the provider reads your reason.",
    "withdrawn": "Withdrawn: this version will never be in force; its signatures lapse.",
}


def proposals(found: lifecycle.Life, who: Principal) -> list[dict[str, Any]]:
    """The versions waiting on a side, as the agreement's page shows them, with what the
    visitor may do about each (accept and reject: a signatory of an awaited side; withdraw:
    the provider's signatory, whose proposal it is)."""
    side = lifecycle.side_of(who)
    signatory = lifecycle.may_sign(who)
    shown = []
    for version in found.versions:
        if version.status not in ("proposed", "draft"):
            continue
        signs = signatory and side in version.waiting_on
        withdraws = signatory and side == "provider"
        shown.append({"version": version, "may_sign": signs, "may_withdraw": withdraws})
    return shown


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
    life: lifecycle.Life


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
    found = lifecycle.life(session, who, key)
    return _Read(row, stored, shown, in_force, document, compared, differences, zone, found)


@router.get("/portal/agreements/{key}")
def agreement(
    request: Request,
    visitor: web.Visitor,
    key: web.Key,
    version: Number = None,
    compare: Number = None,
    notice: web.Notice = "",
) -> Response:
    """The agreement as a document (the version in force, or ``version``), its versions with
    their state and what each changed, two versions compared (``compare``), and the
    proposals waiting with their signatures (accept, comment, reject: :mod:`.lifecycle`);
    another customer's agreement, or none, is not found (404)."""
    return agreement_page(
        request, visitor, key, version, compare, notice=web.notice_of(notice, NOTICES)
    )


def agreement_page(
    request: Request,
    visitor: Current,
    key: str,
    version: int | None,
    compare: int | None,
    *,
    status: int = 200,
    problem: str = "",
    notice: str = "",
) -> Response:
    """The agreement's page (also shown again, with the refusal, after a refused step)."""
    who = web.principal(visitor)
    found = runtime_of(request).run(_read, who, key, version, compare)
    own = zone_of(found.zone)
    n = locale_of(visitor.locale)
    states = {v.number: v for v in found.life.versions}
    versions = [
        {
            "number": v.number,
            "label": v.label,
            "from": n.when(v.in_force_from, own) if v.in_force_from else "its upload",
            "uploaded": n.when(v.uploaded_at, own),
            "changes": [c.get("text", "") for c in v.changes],
            "in_force": v.number == found.in_force.number,
            "shown": v.number == found.shown.number,
            "status": states[v.number].status,
        }
        for v in found.versions
    ]
    return web.page(
        "agreement.html",
        visitor,
        status=status,
        section="home",
        title=found.row.title or found.row.key,
        agreement=found.row,
        versions=versions,
        shown=found.shown,
        in_force=found.in_force,
        document=Markup(found.document),  # markdown-it's HTML, raw HTML in the text escaped
        compared=found.compared,
        differences=[d["text"] for d in found.differences],
        life=found.life,
        proposals=proposals(found.life, who),
        zone=found.zone,
        csrf_token=visitor.row.csrf,
        problem=problem,
        notice=notice,
    )
