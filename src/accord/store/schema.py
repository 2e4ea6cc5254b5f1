"""The tables. Rules live in core; these only hold what was said and what was computed.

Agreements are stored per version with their change log. Ticket events and the other
observations (outages, maintenance, probe samples, request counts, measurements) are
append-only and unique by their id within an organisation, so a retried ingest never
double-counts. Ticket clocks and due items are derived: they can always be recomputed from
the events and the agreements.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite has no integer autoincrement on BIGINT primary keys; PostgreSQL wants BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Instant(TypeDecorator[datetime]):
    """An aware instant stored as UTC (SQLite keeps no offset; PostgreSQL's timestamptz does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive instant {value.isoformat()}: expected an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: Instant(), dict[str, Any]: JSON()}


class Organisation(Base):
    """A provider: it owns agreements, keys, webhooks and everything ingested under them."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    locale: Mapped[str | None] = mapped_column(String(35))
    """The portal's default locale for its people (the numbers' convention): for a person
    who chose none and whose browser asks for none of the supported locales."""


class ApiKey(Base):
    """A key, stored as its SHA-256 digest: the key itself is shown once, at creation."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    customer: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AgreementRow(Base):
    """One agreement of an organisation; its text lives in its versions."""

    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    customer: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    parent: Mapped[str | None] = mapped_column(String(64))
    review_next: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]
    terminated_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the provider ended it (null: never terminated); the history says why."""


class AgreementVersion(Base):
    """One uploaded version: its YAML as written, when it comes into force, what it changed."""

    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)
    in_force_from: Mapped[datetime | None]
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    uploaded_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="agreed", server_default="agreed")
    """draft, proposed, agreed, rejected or withdrawn (:mod:`accord.core.agreement.lifecycle`):
    only agreed versions are ever in force."""
    proposed_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    """The hash of the resolved document as proposed: what each signatory accepts."""
    required: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    """The sides that must sign (provider, customer), fixed when proposed."""


class SignatureRow(Base):
    """One side's acceptance of one version: who signed, when, and the hash of the document
    they accepted. Never changed; one per version and side."""

    __tablename__ = "agreement_signatures"
    __table_args__ = (UniqueConstraint("version_id", "side"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"))
    side: Mapped[str] = mapped_column(String(16))  # provider or customer
    party: Mapped[str | None] = mapped_column(String(64))  # the party's id in the agreement
    signatory: Mapped[str] = mapped_column(String(320))  # a person's e-mail or a key
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]
    hash: Mapped[str] = mapped_column(String(64))


class HistoryRow(Base):
    """One event of an agreement's life, chained to the one before by its hash
    (:func:`accord.core.agreement.lifecycle.entry_hash`). Append-only: nothing updates or
    deletes a row, and verification names the first one that was."""

    __tablename__ = "agreement_history"
    __table_args__ = (UniqueConstraint("agreement_id", "seq"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(32))
    version: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    previous: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class EventRow(Base):
    """A ticket event as received (append-only, unique by id within the organisation).

    Found by ticket, and by instant (``ix_ticket_events_at``: the tickets with an event in a
    report's window, the first event stored) without reading the organisation's history."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        UniqueConstraint("organisation_id", "event_id"),
        Index("ix_ticket_events_ticket", "organisation_id", "ticket"),
        Index("ix_ticket_events_at", "organisation_id", "at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    event_id: Mapped[str] = mapped_column(String(200))
    ticket: Mapped[str] = mapped_column(String(200))
    customer: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str | None] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime]


SPAN_KINDS = ("outage", "maintenance")
"""The records that last a span (from ``starts_at`` to ``ends_at``); the others are instants."""


class RecordRow(Base):
    """An outage, maintenance window, probe sample, request count or measurement.

    ``at`` is the instant it is filed under (a span's start). An outage or maintenance window
    also has its span in columns of its own, ``starts_at`` and ``ends_at`` (null while an
    outage is still going on), so that the spans overlapping a report's window are found by
    an index (``ix_records_spans``, of span records only) instead of reading every one ever
    stored; both are null for the other kinds."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("organisation_id", "kind", "record_id"),
        Index("ix_records_lookup", "organisation_id", "kind", "at"),
        Index("ix_records_received", "organisation_id", "received_at"),
        Index(
            "ix_records_spans",
            "organisation_id",
            "ends_at",
            sqlite_where=text("starts_at IS NOT NULL"),
            postgresql_where=text("starts_at IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(200))
    customer: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]


class TicketRow(Base):
    """A ticket seen by ingest; ``dirty`` until its clocks and due items are recomputed.

    A worker claims a dirty ticket for ``lease_until`` (PostgreSQL), computes it without
    holding its row, and clears ``dirty`` only if no event came in meanwhile. ``clocks_hash``
    and ``due_hash`` fingerprint the clock rows and due items last computed for it (null:
    unknown), so a recomputation that finds the same leaves them untouched; ``refreshed_at``
    is when its clock rows were last computed (they are as of that instant).
    """

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("organisation_id", "ticket"),
        Index("ix_tickets_changed", "organisation_id", "changed_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    ticket: Mapped[str] = mapped_column(String(200))
    customer: Mapped[str | None] = mapped_column(String(64))
    dirty: Mapped[bool] = mapped_column(Boolean, index=True)
    changed_at: Mapped[datetime]
    refreshed_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    clocks_hash: Mapped[int | None] = mapped_column(BigInteger)
    due_hash: Mapped[int | None] = mapped_column(BigInteger)


class PeriodResult(Base):
    """A closed period's report as last computed, kept so that a view of a past period does
    not judge it again (derived: it can always be recomputed; see docs/stored-reports.md).

    Valid while the agreement text in force is the same (``agreement_hash``) and nothing was
    received, after ``computed_at`` less a margin, for the evidence it was computed from:
    no record before ``end`` and no ticket with an event from ``window_start`` to ``end``."""

    __tablename__ = "period_results"
    __table_args__ = (UniqueConstraint("agreement_id", "period", "timezone", "tier"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    customer: Mapped[str | None] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(200))  # "" for the agreement's default tier
    agreement_hash: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime]
    end: Mapped[datetime]
    window_start: Mapped[datetime]
    observed_from: Mapped[datetime | None]
    computed_at: Mapped[datetime]
    result: Mapped[str] = mapped_column(Text)
    """The report as JSON (:mod:`accord.store.codec`), never a pickle."""


class ClockRow(Base):
    """A ticket's clock as last computed, for the at-risk and breached lists. Its used time is
    as of ``used_at`` (null: as of its ticket's ``refreshed_at``): a running clock is shown
    advanced from there on its calendar, so a recomputation that finds it running on with the
    same deadline (only its used time moved) leaves its row alone, as it does an unchanged one.
    """

    __tablename__ = "ticket_clocks"
    __table_args__ = (
        UniqueConstraint("organisation_id", "ticket", "agreement", "objective", "cycle"),
        Index("ix_ticket_clocks_state", "organisation_id", "state", "deadline"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # no foreign key: a clock row is derived from its ticket's row, which has one (migration
    # 0009: the check cost a third of writing a batch's clock rows on PostgreSQL)
    organisation_id: Mapped[int] = mapped_column(BigId)
    ticket: Mapped[str] = mapped_column(String(200))
    customer: Mapped[str | None] = mapped_column(String(64))
    agreement: Mapped[str] = mapped_column(String(64))
    objective: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    target_seconds: Mapped[float | None] = mapped_column(Float)
    used_seconds: Mapped[float] = mapped_column(Float)
    deadline: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    # the ticket's fields: null since migration 0015, derived by readers from the ticket's
    # events (``tracking.clock_fields``): as of ``fields_event`` (a stopped clock: the event
    # that stopped it), else as of the ticket's last recomputation. Rows written before
    # carry a copy here, used as it is.
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fields_event: Mapped[int | None] = mapped_column(BigInteger)
    # the row's fingerprint (the batch recomputation's: a row whose clock is found unchanged
    # is left as it is); null: written by a single recomputation, rewritten by the next batch
    row_hash: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None]  # the instant used_seconds is as of (migration 0011)


class DueItem(Base):
    """A moment that matters: an escalation level of a clock, or an agreement's review date.

    Unique per (ticket, agreement, objective, cycle, level): each notifies once. ``due_at`` is
    null while the clock is paused (``held``); it moves when the clock resumes or a new
    agreement version changes the target. Once ``fired``, it never changes again.
    """

    __tablename__ = "due_items"
    __table_args__ = (
        UniqueConstraint("organisation_id", "subject", "agreement", "objective", "cycle", "level"),
        Index("ix_due_items_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    subject: Mapped[str] = mapped_column(String(200))  # the ticket, or "" for a review
    customer: Mapped[str | None] = mapped_column(String(64))
    agreement: Mapped[str] = mapped_column(String(64))
    objective: Mapped[str] = mapped_column(String(64))
    cycle: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(32))  # the level as written: "75%", "breach + 2h"
    status: Mapped[str] = mapped_column(String(16))  # pending, held, fired, cancelled
    due_at: Mapped[datetime | None]
    notify: Mapped[list[str]] = mapped_column(JSON)
    channels: Mapped[list[str]] = mapped_column(JSON)
    fired_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]  # when its moment or state last changed
    seen_at: Mapped[datetime | None]
    """A burn-rate episode: the last check that found its alert firing; a termination right
    near: the last period end it was found near at (null otherwise)."""
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """What a reminder announces besides its moment (the date, the misses counted): added to
    its notifications' payload (null for escalations)."""
    row_hash: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The item's fingerprint as a batch recomputation last wrote it (its key, moment, state,
    recipients: an item whose fingerprint is found again is left as it is); null: written or
    changed by anyone else (compared in full by the next batch). Migration 0016."""


class Webhook(Base):
    """Where an organisation's notifications are POSTed, signed with the secret, which is kept
    sealed (encrypted: :mod:`accord.store.sealing`)."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    sealed_secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Delivery(Base):
    """One notification to one recipient over one channel: the outbox a worker sends from.

    Unique per (due item, channel, target). A worker claims it with a lease; a worker killed
    mid-send loses the lease and another sends again with the same delivery id, which the
    receiver uses to drop the duplicate (HTTP header ``Accord-Delivery``, e-mail Message-ID).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("due_item_id", "channel", "target"),
        Index("ix_deliveries_next", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    due_item_id: Mapped[int] = mapped_column(ForeignKey("due_items.id"))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2000))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class ClaimRow(Base):
    """A customer's claim for the credit one objective earned in one period: one per
    agreement, objective and period. ``evidence`` is the report's figures as they were at
    filing (JSON, :mod:`accord.store.codec`), kept whatever late data do to the report."""

    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("agreement_id", "objective", "period"),
        Index("ix_claims_organisation", "organisation_id", "state", "filed_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    customer: Mapped[str | None] = mapped_column(String(64))
    objective: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # submitted, accepted, rejected, paid
    amount: Mapped[str] = mapped_column(String(40))  # exact decimal text, to the cent
    currency: Mapped[str] = mapped_column(String(3))
    deadline: Mapped[datetime | None]
    filed_at: Mapped[datetime]
    filed_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime]
    evidence: Mapped[str] = mapped_column(Text)


class ClaimEventRow(Base):
    """One step of a claim (filed, accepted, rejected, paid): who, when, and their comment,
    which the customer reads. The claim's history; nothing here is ever changed."""

    __tablename__ = "claim_events"
    __table_args__ = (Index("ix_claim_events_claim", "claim_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(16))  # filed, accept, reject, pay
    state: Mapped[str] = mapped_column(String(16))  # the claim's state after it
    comment: Mapped[str | None] = mapped_column(Text)


class Person(Base):
    """Someone who signs in to the portal: of the provider (``customer`` null) or of one of
    its customers. The password is kept as an argon2id hash only."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    customer: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    locale: Mapped[str | None] = mapped_column(String(35))
    """The locale the person chose for the portal's numbers (None: as their browser asks)."""


class Invitation(Base):
    """A link sent to a new person, kept as the SHA-256 digest of its token: it expires, and
    it can be used once."""

    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    customer: Mapped[str | None] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    invited_by_name: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PortalSession(Base):
    """A browser's session on the portal, kept on the server: the cookie holds a random token
    whose SHA-256 digest is stored here. Before sign-in it has no person and only carries the
    CSRF token of the sign-in form; signing in always starts a new one."""

    __tablename__ = "portal_sessions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    client: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class PasswordReset(Base):
    """A request to reset a password ("forgot password"), kept whether or not the address
    belongs to anybody (the requests are counted to limit them). ``digest`` is the SHA-256
    digest of a token made for it either way (the same work, so the time tells nothing); when
    the address belongs to somebody, ``person_id`` names the person and the token is the
    mailed link's, which works once, until ``expires_at``."""

    __tablename__ = "password_resets"
    __table_args__ = (
        Index("ix_password_resets_email", "email", "created_at"),
        Index("ix_password_resets_client", "client", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    client: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SignInAttempt(Base):
    """One try to sign in, counted by e-mail address and by client address to slow guessing."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_email", "email", "at"),
        Index("ix_sign_in_attempts_client", "client", "at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)


class AuditEntry(Base):
    """One change: who made it, when, what, on which object (read by the provider admin)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_organisation", "organisation_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(320))
    customer: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class OutgoingMail(Base):
    """An e-mail to send (an invitation): the outbox workers send from when SMTP is set. Once
    sent, its body (which holds the invitation's link) is not kept."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_pending", "sent_at", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
