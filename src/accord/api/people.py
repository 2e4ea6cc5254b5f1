"""People and invitations, for programs: invite someone to the portal, list and withdraw the
invitations not yet accepted, list the people, change a person's role, remove a person. The
same use cases and rules as the portal's People page: an admin key of the provider (or a
provider admin) manages anyone; an admin key scoped to a customer manages that customer's
people only, as customer roles (anyone else's: 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accord.api.deps import MAX_ID, Auth, State
from accord.api.errors import problems
from accord.service import accounts, people
from accord.service.ingest import NO_NUL
from accord.service.tenants import now
from accord.store.schema import Invitation, Person

router = APIRouter(tags=["people"])

Role = Literal["provider_admin", "provider_agent", "customer_admin", "customer_viewer"]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class InvitationIn(BaseModel):
    """Someone to invite: they get an e-mail with a link to choose a password."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(
        min_length=3, max_length=320, pattern=NO_NUL, examples=["carla@acme.example"]
    )
    role: Role = Field(examples=["customer_viewer"])
    customer: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="The customer a customer's person is of (none for the provider's staff; a "
        "key scoped to a customer invites into its own customer only).",
        examples=["acme-corp"],
    )
    name: str = Field("", max_length=200, pattern=NO_NUL, examples=["Carla"])


class InvitationOut(BaseModel):
    id: int = Field(examples=[4])
    email: str
    name: str
    role: Role
    customer: str | None
    invited_by: str = Field(description="Who invited: a person's address or a key.")
    created_at: datetime
    expires_at: datetime


class InvitationMade(InvitationOut):
    link: str = Field(
        description="The link mailed to the person: shown in this answer only, to hand over "
        "when the e-mail does not arrive."
    )


class PersonOut(BaseModel):
    id: int = Field(examples=[9])
    email: str
    name: str
    role: Role
    customer: str | None
    created_at: datetime


class RoleIn(BaseModel):
    """A person's new role, on their side: provider roles for the provider's staff, customer
    roles for a customer's people."""

    model_config = ConfigDict(extra="forbid")
    role: Role = Field(examples=["customer_admin"])


def _invitation(row: Invitation) -> dict[str, object]:
    return {
        "id": row.id,
        "email": row.email,
        "name": row.name,
        "role": row.role,
        "customer": row.customer,
        "invited_by": row.invited_by_name,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
    }


def _person(row: Person) -> PersonOut:
    return PersonOut.model_validate(
        {
            "id": row.id,
            "email": row.email,
            "name": row.name,
            "role": row.role,
            "customer": row.customer,
            "created_at": row.created_at,
        }
    )


@router.post("/v1/invitations", status_code=201, responses=problems(400, 401, 403, 409, 422, 503))
def create_invitation(
    payload: InvitationIn, request: Request, who: Auth, state: State
) -> InvitationMade:
    """Invite a person to the portal: an e-mail with a link to choose a password is put in the
    outbox; the link works once, until `expires_at`. A pending invitation to the same address
    is replaced. 409 when the address has an account here already."""

    def work(session: Session) -> InvitationMade:
        made = people.invite(
            session,
            who,
            payload.email,
            payload.role,
            now(),
            customer=payload.customer,
            name=payload.name,
            policy=people.Policy.of(state.settings),
            base_url=state.settings.public_url or str(request.base_url),
        )
        return InvitationMade.model_validate({**_invitation(made.invitation), "link": made.link})

    return state.run(work)


@router.get("/v1/invitations", responses=problems(401, 403, 503))
def list_invitations(who: Auth, state: State) -> list[InvitationOut]:
    """The invitations not yet accepted, withdrawn or expired, oldest first."""

    def work(session: Session) -> list[InvitationOut]:
        found = people.roster(session, who, now()).invitations
        return [InvitationOut.model_validate(_invitation(row)) for row in found]

    return state.run(work)


@router.delete(
    "/v1/invitations/{invitation_id}",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404, 422, 503),
)
def withdraw_invitation(invitation_id: Id, who: Auth, state: State) -> Response:
    """Withdraw an invitation: its link stops working (nothing happens to one already used)."""
    state.run(people.withdraw, who, invitation_id, now())
    return Response(status_code=204)


@router.get("/v1/people", responses=problems(401, 403, 503))
def list_people(who: Auth, state: State) -> list[PersonOut]:
    """The people who can sign in to the portal (a customer's key: its customer's), by
    customer and address."""

    def work(session: Session) -> list[PersonOut]:
        return [_person(row) for row in people.roster(session, who, now()).people]

    return state.run(work)


@router.patch("/v1/people/{person_id}", responses=problems(400, 401, 403, 404, 409, 422, 503))
def change_role(person_id: Id, payload: RoleIn, who: Auth, state: State) -> PersonOut:
    """Change a person's role; it applies from their next request. 409 when it would leave
    the organisation without a provider admin."""

    def work(session: Session) -> PersonOut:
        return _person(accounts.change_role(session, who, person_id, payload.role, now()))

    return state.run(work)


@router.delete(
    "/v1/people/{person_id}",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404, 409, 422, 503),
)
def remove_person(person_id: Id, who: Auth, state: State) -> Response:
    """Remove a person: their sessions end at once and they can no longer sign in. 409 for
    the organisation's last provider admin."""
    state.run(accounts.remove, who, person_id, now())
    return Response(status_code=204)
