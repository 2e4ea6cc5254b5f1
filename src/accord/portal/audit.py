"""The audit log, for the provider's admins: every change, newest first, a page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from accord.api.deps import MAX_ID, runtime_of
from accord.portal import web
from accord.service import audit

router = APIRouter(include_in_schema=False)


@router.get("/portal/audit")
def audit_log(
    request: Request,
    visitor: web.Visitor,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    found = runtime_of(request).run(audit.entries, web.principal(visitor), before=before)
    older = found[-1].id if len(found) == audit.PAGE else None
    return web.page(
        "audit.html", visitor, section="audit", title="Audit log", entries=found, older=older
    )
