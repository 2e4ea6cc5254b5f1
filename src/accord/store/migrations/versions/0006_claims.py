"""claims: customers' claims for service credits, and each claim's history

Revision ID: 0006_claims
Revises: 0005_record_spans
Create Date: 2026-12-07 02:00:00

A claim is one per agreement, objective and period (the unique constraint refuses a second
one, whichever request files it first). Its evidence is the report's figures as they were at
filing, kept as JSON text. ``claim_events`` keeps who did what and when (filed, accepted,
rejected with a reason, paid), with the comment the customer reads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.store.schema

revision: str = "0006_claims"
down_revision: str | None = "0005_record_spans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _instant() -> accord.store.schema.Instant:
    return accord.store.schema.Instant(timezone=True)


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("agreement_id", _ID, nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("objective", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("deadline", _instant(), nullable=True),
        sa.Column("filed_at", _instant(), nullable=False),
        sa.Column("filed_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", _instant(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_claims_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_claims_agreement_id_agreements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint(
            "agreement_id", "objective", "period", name=op.f("uq_claims_agreement_id")
        ),
    )
    op.create_index(
        "ix_claims_organisation", "claims", ["organisation_id", "state", "filed_at"], unique=False
    )
    op.create_table(
        "claim_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("claim_id", _ID, nullable=False),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_claim_events_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_events_claim_id_claims")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_events")),
    )
    op.create_index("ix_claim_events_claim", "claim_events", ["claim_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_claim_events_claim", table_name="claim_events")
    op.drop_table("claim_events")
    op.drop_index("ix_claims_organisation", table_name="claims")
    op.drop_table("claims")
