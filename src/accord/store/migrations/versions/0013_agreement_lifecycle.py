"""agreement lifecycle: versions' states, signatures, and a hash-chained history

Revision ID: 0013_agreement_lifecycle
Revises: 0012_clock_used_at
Create Date: 2026-12-07 14:00:00

A version is draft, proposed, agreed, rejected or withdrawn; only agreed versions are in
force. Every version stored before is ``agreed`` (the server default): an upload was, and by
default still is, the provider's record of an agreed version. A proposal keeps the hash of
its resolved document and the sides that must sign it; ``agreement_signatures`` keeps each
side's acceptance (who, when, which hash). ``agreement_history`` is each agreement's
append-only log of its life, every entry carrying the hash of the one before.
``agreements.terminated_at``: when the provider ended it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.store.schema

revision: str = "0013_agreement_lifecycle"
down_revision: str | None = "0012_clock_used_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _instant() -> accord.store.schema.Instant:
    return accord.store.schema.Instant(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agreements") as table:
        table.add_column(sa.Column("terminated_at", _instant(), nullable=True))
    with op.batch_alter_table("agreement_versions") as table:
        table.add_column(
            sa.Column("state", sa.String(length=16), server_default="agreed", nullable=False)
        )
        table.add_column(sa.Column("proposed_hash", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("required", sa.JSON(), nullable=True))
    op.create_table(
        "agreement_signatures",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("version_id", _ID, nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=True),
        sa.Column("signatory", sa.String(length=320), nullable=False),
        sa.Column("person_id", _ID, nullable=True),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_agreement_signatures_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agreement_versions.id"],
            name=op.f("fk_agreement_signatures_version_id_agreement_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_agreement_signatures_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_signatures")),
        sa.UniqueConstraint("version_id", "side", name=op.f("uq_agreement_signatures_version_id")),
    )
    op.create_table(
        "agreement_history",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("agreement_id", _ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("previous", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_agreement_history_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_history_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_history")),
        sa.UniqueConstraint("agreement_id", "seq", name=op.f("uq_agreement_history_agreement_id")),
    )


def downgrade() -> None:
    op.drop_table("agreement_history")
    op.drop_table("agreement_signatures")
    with op.batch_alter_table("agreement_versions") as table:
        table.drop_column("required")
        table.drop_column("proposed_hash")
        table.drop_column("state")
    with op.batch_alter_table("agreements") as table:
        table.drop_column("terminated_at")
