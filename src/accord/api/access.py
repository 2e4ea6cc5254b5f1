"""Access: the organisation's API keys and the webhooks its notifications go to."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.api.deps import MAX_ID, Auth, State
from accord.service import tenants
from accord.service.errors import InvalidError, NotFoundError
from accord.service.ingest import NO_NUL
from accord.service.tenants import now
from accord.store.schema import Delivery, Webhook

router = APIRouter(tags=["access"])


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "ingest", "read"]
    customer: str | None = Field(None, min_length=1, max_length=64, pattern=NO_NUL)
    name: str = Field("", max_length=200, pattern=NO_NUL)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl
    secret: str | None = Field(None, min_length=16, max_length=200, pattern=NO_NUL)


@router.post("/v1/keys", status_code=201)
def create_key(payload: KeyIn, who: Auth, state: State) -> dict[str, Any]:
    """A new API key of this organisation; the key is in this answer only."""
    who.require("admin")
    if who.customer is not None:
        raise InvalidError("a customer's key cannot create keys")

    def work(session: Session) -> dict[str, Any]:
        row, plain = tenants.create_key(
            session,
            who.organisation_id,
            payload.role,
            customer=payload.customer,
            name=payload.name,
        )
        return {"id": row.id, "key": plain, "role": row.role, "customer": row.customer}

    return state.run(work)


@router.get("/v1/keys")
def list_keys(who: Auth, state: State) -> list[dict[str, Any]]:
    """This organisation's keys (never the keys themselves)."""
    return [
        {
            "id": k.id,
            "name": k.name,
            "role": k.role,
            "customer": k.customer,
            "prefix": k.prefix,
            "created_at": k.created_at,
            "revoked_at": k.revoked_at,
        }
        for k in state.run(tenants.list_keys, who)
    ]


@router.delete("/v1/keys/{key_id}", status_code=204)
def revoke_key(key_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Auth, state: State) -> Response:
    """Revoke a key: it stops working at once."""
    state.run(tenants.revoke_key, who, key_id)
    state.known_keys.clear()
    return Response(status_code=204)


@router.post("/v1/webhooks", status_code=201)
def create_webhook(payload: WebhookIn, who: Auth, state: State) -> dict[str, Any]:
    """Where notifications are POSTed; the secret signs them (shown in this answer only)."""
    who.require("admin")
    if who.customer is not None:
        raise InvalidError("a customer's key cannot register webhooks")
    secret = payload.secret or secrets.token_urlsafe(32)

    def work(session: Session) -> dict[str, Any]:
        hook = Webhook(
            organisation_id=who.organisation_id,
            url=str(payload.url),
            secret=secret,
            created_at=now(),
        )
        session.add(hook)
        session.flush()
        return {"id": hook.id, "url": hook.url, "secret": secret}

    return state.run(work)


@router.get("/v1/webhooks")
def list_webhooks(who: Auth, state: State) -> list[dict[str, Any]]:
    who.require("admin")

    def work(session: Session) -> list[dict[str, Any]]:
        hooks = session.scalars(
            select(Webhook).where(Webhook.organisation_id == who.organisation_id)
        ).all()
        return [{"id": h.id, "url": h.url, "created_at": h.created_at} for h in hooks]

    return state.run(work)


@router.delete("/v1/webhooks/{hook_id}", status_code=204)
def delete_webhook(
    hook_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Auth, state: State
) -> Response:
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
        session.delete(hook)

    state.run(work)
    return Response(status_code=204)
