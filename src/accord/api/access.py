"""Access: the organisation's API keys and the webhooks its notifications go to."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.api.deps import MAX_ID, Auth, State
from accord.api.errors import problems
from accord.service import audit, tenants, webhooks
from accord.service.errors import InvalidError, NotFoundError
from accord.service.ingest import NO_NUL
from accord.store.schema import Delivery, Webhook

router = APIRouter(tags=["access"])


Role = Literal["admin", "ingest", "read"]


class KeyIn(BaseModel):
    """A key to make."""

    model_config = ConfigDict(extra="forbid")
    role: Role = Field(
        description="read: reads; ingest: reads and sends data; admin: everything.",
        examples=["ingest"],
    )
    customer: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="Scope the key to one customer's data (none: the whole organisation).",
        examples=["acme-corp"],
    )
    name: str = Field(
        "", max_length=200, pattern=NO_NUL, description="What it is for.", examples=["desk sync"]
    )


class KeyCreated(BaseModel):
    id: int = Field(examples=[7])
    key: str = Field(
        description="The key itself: shown in this answer only.",
        examples=["acc_3f9a1c2b_0123456789abcdef0123456789abcdef"],
    )
    role: Role
    customer: str | None


class KeyInfo(BaseModel):
    id: int = Field(examples=[7])
    name: str = Field(examples=["desk sync"])
    role: Role
    customer: str | None
    prefix: str = Field(
        description="The key's public part, to recognise it.", examples=["3f9a1c2b"]
    )
    created_at: datetime
    revoked_at: datetime | None = Field(description="None: it works.")


class WebhookIn(BaseModel):
    """Where to POST notifications."""

    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl = Field(examples=["https://hooks.example.com/accord"])
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=200,
        pattern=NO_NUL,
        description="The secret that signs each notification (none: one is made).",
    )


class WebhookCreated(BaseModel):
    id: int = Field(examples=[3])
    url: str = Field(examples=["https://hooks.example.com/accord"])
    secret: str = Field(description="The signing secret: shown in this answer only.")


class WebhookInfo(BaseModel):
    id: int = Field(examples=[3])
    url: str = Field(examples=["https://hooks.example.com/accord"])
    created_at: datetime


@router.post("/v1/keys", status_code=201, responses=problems(400, 401, 403, 422, 503))
def create_key(payload: KeyIn, who: Auth, state: State) -> KeyCreated:
    """A new API key of this organisation; the key is in this answer only."""
    who.require("admin")
    if who.customer is not None:
        raise InvalidError("a customer's key cannot create keys")

    def work(session: Session) -> KeyCreated:
        row, plain = tenants.create_key(
            session,
            who.organisation_id,
            payload.role,
            customer=payload.customer,
            name=payload.name,
        )
        audit.record(
            session,
            who,
            "key.created",
            "api_key",
            row.id,
            row.created_at,
            customer=row.customer,
            role=row.role,
            prefix=row.prefix,
        )
        return KeyCreated(id=row.id, key=plain, role=row.role, customer=row.customer)

    return state.run(work)


@router.get("/v1/keys", responses=problems(401, 403, 503))
def list_keys(who: Auth, state: State) -> list[KeyInfo]:
    """This organisation's keys (never the keys themselves)."""
    return [
        KeyInfo(
            id=k.id,
            name=k.name,
            role=k.role,
            customer=k.customer,
            prefix=k.prefix,
            created_at=k.created_at,
            revoked_at=k.revoked_at,
        )
        for k in state.run(tenants.list_keys, who)
    ]


@router.delete(
    "/v1/keys/{key_id}",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404, 409, 422, 503),
)
def revoke_key(key_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Auth, state: State) -> Response:
    """Revoke a key: it stops working at once. The organisation's last active admin key
    cannot be revoked (409): create another admin key first."""

    def work(session: Session) -> None:
        row = tenants.revoke_key(session, who, key_id)
        moment = row.revoked_at or tenants.now()
        audit.record(session, who, "key.revoked", "api_key", key_id, moment, customer=row.customer)

    state.run(work)
    state.known_keys.clear()
    return Response(status_code=204)


@router.post("/v1/webhooks", status_code=201, responses=problems(400, 401, 403, 422, 503))
def create_webhook(payload: WebhookIn, who: Auth, state: State) -> WebhookCreated:
    """Where notifications are POSTed; the secret signs them (shown in this answer only; kept
    sealed). Addresses inside the provider's network (loopback, private, link-local, cloud
    metadata...) are refused (422) unless the operator allows the host; 503 when secrets
    cannot be sealed as configured."""
    who.require("admin")
    if who.customer is not None:
        raise InvalidError("a customer's key cannot register webhooks")
    secret = payload.secret or secrets.token_urlsafe(32)

    def work(session: Session) -> WebhookCreated:
        hook = webhooks.register(session, who, str(payload.url), secret, state.settings)
        audit.record(
            session, who, "webhook.added", "webhook", hook.id, hook.created_at, url=hook.url
        )
        return WebhookCreated(id=hook.id, url=hook.url, secret=secret)

    return state.run(work)


@router.get("/v1/webhooks", responses=problems(401, 403, 503))
def list_webhooks(who: Auth, state: State) -> list[WebhookInfo]:
    """The organisation's webhooks (never their secrets)."""
    who.require("admin")

    def work(session: Session) -> list[WebhookInfo]:
        hooks = session.scalars(
            select(Webhook).where(Webhook.organisation_id == who.organisation_id)
        ).all()
        return [WebhookInfo(id=h.id, url=h.url, created_at=h.created_at) for h in hooks]

    return state.run(work)


@router.delete(
    "/v1/webhooks/{hook_id}",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404, 422, 503),
)
def delete_webhook(
    hook_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Auth, state: State
) -> Response:
    """Remove a webhook; what was waiting to be sent to it is not sent anywhere else."""
    who.require("admin")

    def work(session: Session) -> None:
        hook = session.get(Webhook, hook_id)
        if hook is None or hook.organisation_id != who.organisation_id:
            raise NotFoundError(f"no webhook {hook_id}")
        session.execute(  # what was waiting for it is not sent anywhere else
            update(Delivery)
            .where(
                Delivery.channel == "webhook",
                Delivery.target == str(hook.id),
                Delivery.status == "pending",
            )
            .values(status="failed", last_error="webhook removed")
        )
        audit.record(
            session, who, "webhook.removed", "webhook", hook.id, tenants.now(), url=hook.url
        )
        session.delete(hook)

    state.run(work)
    return Response(status_code=204)
