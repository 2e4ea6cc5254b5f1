"""Organisations, API keys and who may do what.

A key is ``acc_<prefix>_<secret>``; only its SHA-256 digest is stored, so it is shown once.
Roles: ``admin`` (everything in its organisation), ``ingest`` (send data and read), ``read``.
A key may be scoped to one customer of its organisation: it then sees only that customer's
agreements, tickets and reports, and may ingest only for that customer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from accord.service.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    UnauthorizedError,
)
from accord.store.schema import ApiKey, Organisation

ROLES = ("admin", "ingest", "read")
_RANK = {"read": 0, "ingest": 1, "admin": 2}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Principal:
    """Who is asking: an organisation, a role, and optionally the one customer they are."""

    organisation_id: int
    organisation: str
    role: str
    customer: str | None = None
    actor: str = ""
    """Who acts, as the history and audit log of what they change name them: an API key (its
    prefix and name, ``key 3f9a1c2b (ci)``) or a person's e-mail address."""
    person_role: str | None = None
    """A person's role in the portal (:data:`accord.service.people.ROLES`); None for a key."""
    person_id: int | None = None

    @property
    def who(self) -> str:
        """:attr:`actor`, or the role's key when nobody was named."""
        return self.actor or f"a {self.role} key of {self.organisation}"

    def require(self, role: str) -> None:
        if _RANK[self.role] < _RANK[role]:
            raise ForbiddenError(f"this key's role is {self.role!r}; this needs {role!r}")

    def sees(self, customer: str | None) -> bool:
        """Whether data of ``customer`` is visible to this key."""
        return self.customer is None or self.customer == customer


def now() -> datetime:
    return datetime.now(UTC)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_organisation(session: Session, slug: str, name: str) -> Organisation:
    if not _SLUG.match(slug):
        raise InvalidError(
            f"organisation id {slug!r}: expected lower-case letters, digits and dashes", "slug"
        )
    if session.scalar(select(Organisation).where(Organisation.slug == slug)) is not None:
        raise InvalidError(f"organisation {slug!r} exists already", "slug")
    organisation = Organisation(slug=slug, name=name, created_at=now())
    session.add(organisation)
    session.flush()
    return organisation


def organisation(session: Session, slug: str) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if found is None:
        raise NotFoundError(f"no organisation {slug!r}")
    return found


def organisations(session: Session) -> list[Organisation]:
    """Every organisation, by id (slug): what an operator on the server may act for."""
    return list(session.scalars(select(Organisation).order_by(Organisation.slug)).all())


def create_key(
    session: Session,
    organisation_id: int,
    role: str,
    *,
    customer: str | None = None,
    name: str = "",
) -> tuple[ApiKey, str]:
    """A new key; returns the stored row and the key itself (shown once, never stored)."""
    if role not in ROLES:
        raise InvalidError(f"role {role!r}: expected one of {', '.join(ROLES)}", "role")
    if customer is not None and role == "admin":
        raise InvalidError(
            "a key scoped to a customer can be 'read' or 'ingest', not 'admin'", "role"
        )
    prefix = secrets.token_hex(6)
    plain = f"acc_{prefix}_{secrets.token_urlsafe(24)}"
    row = ApiKey(
        organisation_id=organisation_id,
        customer=customer,
        role=role,
        name=name,
        prefix=prefix,
        digest=digest(plain),
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return row, plain


def authenticate(session: Session, key: str | None) -> Principal:
    """The principal of a key; UnauthorizedError if it is missing, malformed, unknown, revoked."""
    if not key:
        raise UnauthorizedError("missing API key: send it as 'Authorization: Bearer <key>'")
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "acc":
        raise UnauthorizedError("malformed API key")
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if (
        row is None
        or row.revoked_at is not None
        or not hmac.compare_digest(row.digest, digest(key))
    ):
        raise UnauthorizedError("unknown or revoked API key")
    slug = session.scalar(select(Organisation.slug).where(Organisation.id == row.organisation_id))
    assert slug is not None
    actor = f"key {row.prefix}" + (f" ({row.name})" if row.name else "")
    return Principal(row.organisation_id, slug, row.role, row.customer, actor=actor)


def list_keys(session: Session, principal: Principal) -> list[ApiKey]:
    principal.require("admin")
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.organisation_id == principal.organisation_id)
        ).all()
    )


def revoke_key(session: Session, principal: Principal, key_id: int) -> ApiKey:
    """Revoke a key of the principal's organisation; the last active admin key cannot be
    revoked (ConflictError), or nobody could manage the organisation through the API.

    Race-safe: on PostgreSQL revocations in one organisation queue on its row's lock, and the
    revocation itself is one conditional UPDATE (on SQLite, the first write of the transaction,
    which takes the database's write lock), so two admin keys revoking each other at once
    cannot both succeed."""
    principal.require("admin")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Organisation.id)
            .where(Organisation.id == principal.organisation_id)
            .with_for_update()
        )
    row = session.get(ApiKey, key_id, populate_existing=True)
    if row is None or row.organisation_id != principal.organisation_id:
        raise NotFoundError(f"no API key {key_id}")
    if row.revoked_at is not None:
        return row
    revoking = update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
    if row.role == "admin":
        other = aliased(ApiKey)
        others = (
            select(func.count())
            .select_from(other)
            .where(
                other.organisation_id == principal.organisation_id,
                other.role == "admin",
                other.revoked_at.is_(None),
                other.id != key_id,
            )
            .scalar_subquery()
        )
        revoking = revoking.where(others > 0)
    done = session.execute(
        revoking.values(revoked_at=now()).execution_options(synchronize_session=False)
    )
    session.refresh(row)
    if done.rowcount == 0 and row.revoked_at is None:  # type: ignore[attr-defined]
        raise ConflictError(
            f"API key {key_id} is the organisation's last active admin key: revoking it would "
            "leave nobody able to manage the organisation; create another admin key first "
            "(POST /v1/keys with role admin), then revoke this one with the new key"
        )
    return row
