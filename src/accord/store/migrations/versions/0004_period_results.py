"""period_results: closed periods' reports kept between views; indexes to find late data

Revision ID: 0004_period_results
Revises: 0003
Create Date: 2026-12-06 07:30:00

A stored result is derived (see docs/stored-reports.md): dropping the table loses nothing but
the time to judge past periods again. The two indexes find what was received (records) or
changed (tickets) since a result was computed, so that checking a result costs the late data
only, not the history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.store.schema

revision: str = "0004_period_results"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "period_results",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("agreement_id", _ID, nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=True),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=200), nullable=False),
        sa.Column("agreement_hash", sa.String(length=64), nullable=False),
        sa.Column("start", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.Column("end", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.Column("window_start", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.Column("observed_from", accord.store.schema.Instant(timezone=True), nullable=True),
        sa.Column("computed_at", accord.store.schema.Instant(timezone=True), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_period_results_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_period_results_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_results")),
        sa.UniqueConstraint(
            "agreement_id",
            "period",
            "timezone",
            "tier",
            name=op.f("uq_period_results_agreement_id"),
        ),
    )
    op.create_index(
        "ix_records_received", "records", ["organisation_id", "received_at"], unique=False
    )
    op.create_index(
        "ix_tickets_changed", "tickets", ["organisation_id", "changed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_changed", table_name="tickets")
    op.drop_index("ix_records_received", table_name="records")
    op.drop_table("period_results")
