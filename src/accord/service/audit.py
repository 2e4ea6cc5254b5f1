"""The audit log: every change made in an organisation, who made it, when, what, and on which
object. Use cases write an entry in the same transaction as the change, so an entry exists
exactly when the change does; the provider's admins read it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.service.errors import ForbiddenError
from accord.service.tenants import Principal
from accord.store.schema import AuditEntry

PAGE = 100


def record(
    session: Session,
    who: Principal,
    action: str,
    object_type: str,
    object_id: str | int,
    moment: datetime,
    *,
    customer: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Write one entry: ``action`` (``person.invited``) on ``object_type`` ``object_id``."""
    entry = AuditEntry(
        organisation_id=who.organisation_id,
        at=moment,
        actor=who.actor or f"{who.role} of {who.organisation}",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        customer=customer if customer is not None else who.customer,
        detail=detail,
    )
    session.add(entry)
    return entry


def may_read(who: Principal) -> bool:
    """The audit log is the provider admin's (a person, or an admin key of the provider)."""
    return who.customer is None and who.role == "admin"


def entries(
    session: Session, who: Principal, *, before: int | None = None, limit: int = PAGE
) -> Sequence[AuditEntry]:
    """The organisation's entries, newest first, ``limit`` of them older than entry ``before``."""
    if not may_read(who):
        raise ForbiddenError("the audit log is read by the provider's admins only")
    query = (
        select(AuditEntry)
        .where(AuditEntry.organisation_id == who.organisation_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return session.scalars(query).all()
