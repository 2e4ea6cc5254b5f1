"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 12:31:08.113446
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.store.schema

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "organisations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisations_slug")),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("parent", sa.String(length=64), nullable=True),
        sa.Column("review_next", sa.String(length=10), nullable=True),
        sa.Column("created_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_agreements_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("organisation_id", "key", name=op.f("uq_agreements_organisation_id")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreements_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.Column("revoked_at", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_keys_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_keys_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "due_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("agreement", sa.String(length=64), nullable=False),
        sa.Column("objective", sa.String(length=64), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.Column("notify", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("fired_at", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.Column("updated_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_due_items_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_items")),
        sa.UniqueConstraint(
            "organisation_id",
            "subject",
            "agreement",
            "objective",
            "cycle",
            "level",
            name=op.f("uq_due_items_organisation_id"),
        ),
    )
    with op.batch_alter_table("due_items", schema=None) as batch_op:
        batch_op.create_index("ix_due_items_due", ["status", "due_at"], unique=False)

    op.create_table(
        "records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_records_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.UniqueConstraint(
            "organisation_id", "kind", "record_id", name=op.f("uq_records_organisation_id")
        ),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_lookup", ["organisation_id", "kind", "at"], unique=False)

    op.create_table(
        "ticket_clocks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("ticket", sa.String(length=200), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("agreement", sa.String(length=64), nullable=False),
        sa.Column("objective", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("target_seconds", sa.Float(), nullable=True),
        sa.Column("used_seconds", sa.Float(), nullable=False),
        sa.Column("deadline", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.Column("breached_at", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("computed_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_ticket_clocks_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_clocks")),
        sa.UniqueConstraint(
            "organisation_id",
            "ticket",
            "agreement",
            "objective",
            "cycle",
            name=op.f("uq_ticket_clocks_organisation_id"),
        ),
    )
    with op.batch_alter_table("ticket_clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_clocks_state", ["organisation_id", "state", "deadline"], unique=False
        )

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("ticket", sa.String(length=200), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("received_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_ticket_events_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
        sa.UniqueConstraint(
            "organisation_id", "event_id", name=op.f("uq_ticket_events_organisation_id")
        ),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_events_ticket", ["organisation_id", "ticket"], unique=False
        )

    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("ticket", sa.String(length=200), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("changed_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.Column("refreshed_at", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_tickets_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("organisation_id", "ticket", name=op.f("uq_tickets_organisation_id")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_dirty"), ["dirty"], unique=False)

    op.create_table(
        "webhooks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_webhooks_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhooks_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "agreement_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "agreement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("in_force_from", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("uploaded_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_versions_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_versions")),
        sa.UniqueConstraint(
            "agreement_id", "number", name=op.f("uq_agreement_versions_agreement_id")
        ),
    )
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_versions_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "due_item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["due_item_id"], ["due_items.id"], name=op.f("fk_deliveries_due_item_id_due_items")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_deliveries_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "due_item_id", "channel", "target", name=op.f("uq_deliveries_due_item_id")
        ),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_next", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_next")

    op.drop_table("deliveries")
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_versions_agreement_id"))

    op.drop_table("agreement_versions")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhooks_organisation_id"))

    op.drop_table("webhooks")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_dirty"))

    op.drop_table("tickets")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_ticket")

    op.drop_table("ticket_events")
    with op.batch_alter_table("ticket_clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_clocks_state")

    op.drop_table("ticket_clocks")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_lookup")

    op.drop_table("records")
    with op.batch_alter_table("due_items", schema=None) as batch_op:
        batch_op.drop_index("ix_due_items_due")

    op.drop_table("due_items")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_organisation_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_organisation_id"))

    op.drop_table("agreements")
    op.drop_table("organisations")
