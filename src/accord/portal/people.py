"""People and invitations: the provider's admins invite anyone of the organisation, a
customer's admins their own colleagues."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from accord.api.deps import runtime_of
from accord.portal import web
from accord.service import accounts
from accord.service import people as use_cases
from accord.service.errors import ConflictError, InvalidError, ServiceError
from accord.service.people import Current
from accord.service.tenants import now

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=320)]
NOTICES = {
    "withdrawn": "The invitation was withdrawn: its link no longer works.",
    "role-changed": "The role is changed; it applies from their next page.",
    "removed": "The person is removed: they are signed out and can no longer sign in.",
}


def _page(
    request: Request,
    visitor: Current,
    *,
    status: int = 200,
    problem: str = "",
    field: str | None = None,
    invited: use_cases.Invited | None = None,
    notice: str = "",
    form: dict[str, str] | None = None,
    refused: str = "",
) -> Response:
    who = web.principal(visitor)
    roster = runtime_of(request).run(use_cases.roster, who, now())
    roles = use_cases.CUSTOMER_ROLES if who.customer is not None else use_cases.ROLES
    return web.page(
        "people.html",
        visitor,
        status=status,
        section="people",
        title="People and invitations",
        roster=roster,
        roles=[(r, use_cases.ROLE_NAMES[r]) for r in roles],
        role_names=use_cases.ROLE_NAMES,
        provider_roles=use_cases.PROVIDER_ROLES,
        customer_roles=use_cases.CUSTOMER_ROLES,
        problem=problem,
        field=field,
        invited=invited,
        notice=notice,
        form=form or {},
        refused=refused,
    )


@router.get("/portal/people")
def people_page(
    request: Request,
    visitor: web.Visitor,
    notice: web.Notice = "",
) -> Response:
    return _page(request, visitor, notice=web.notice_of(notice, NOTICES))


@router.post("/portal/people")
def invite(
    request: Request,
    visitor: web.Visitor,
    email: Text = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    customer: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web.check_csrf(visitor, csrf_token)
    state = runtime_of(request)
    base = state.settings.public_url or str(request.base_url)
    form = {"email": email, "name": name, "role": role, "customer": customer}
    try:
        invited = state.run(
            use_cases.invite,
            web.principal(visitor),
            email,
            role,
            now(),
            customer=customer or None,
            name=name,
            policy=web.policy_of(state),
            base_url=base,
        )
    except ServiceError as error:
        return web.refused(error, partial(_page, request, visitor, form=form), field=True)
    return _page(request, visitor, invited=invited)


@router.post("/portal/invitations/{invitation_id}/withdraw")
def withdraw(
    request: Request,
    visitor: web.Visitor,
    invitation_id: web.Id,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web.check_csrf(visitor, csrf_token)
    runtime_of(request).run(use_cases.withdraw, web.principal(visitor), invitation_id, now())
    return web.redirect("/portal/people?notice=withdrawn")


@router.post("/portal/people/{person_id}/role")
def change_role(
    request: Request,
    visitor: web.Visitor,
    person_id: web.Id,
    role: Annotated[str, Form(max_length=32)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web.check_csrf(visitor, csrf_token)
    return _managing(request, visitor, accounts.change_role, person_id, "role-changed", role)


@router.post("/portal/people/{person_id}/remove")
def remove(
    request: Request,
    visitor: web.Visitor,
    person_id: web.Id,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    web.check_csrf(visitor, csrf_token)
    return _managing(request, visitor, accounts.remove, person_id, "removed")


def _managing(
    request: Request,
    visitor: Current,
    use_case: Callable[..., object],
    person_id: int,
    notice: str,
    *args: str,
) -> Response:
    """Run a change to a person; the list again, saying it was done, or what was refused (a
    person not managed by the visitor is not found: the error page)."""
    try:
        runtime_of(request).run(use_case, web.principal(visitor), person_id, *args, now())
    except (ConflictError, InvalidError) as error:
        return _page(request, visitor, status=error.status, refused=error.message)
    return web.redirect(f"/portal/people?notice={notice}")
