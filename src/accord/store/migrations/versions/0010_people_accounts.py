"""people's accounts: password resets, and the browser of each portal session

Revision ID: 0010_people_accounts
Revises: 0009_clock_rows_no_fk
Create Date: 2026-12-07 04:30:00

A "forgot password" request is kept (counted to limit them) with, when the address belongs
to someone, the SHA-256 digest of the mailed link's token. A portal session notes the
browser's user agent, so a person can tell their sessions apart.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.store.schema

revision: str = "0010_people_accounts"
down_revision: str | None = "0009_clock_rows_no_fk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _instant() -> accord.store.schema.Instant:
    return accord.store.schema.Instant(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("portal_sessions") as table:
        table.add_column(sa.Column("user_agent", sa.String(length=200), nullable=True))
    op.create_table(
        "password_resets",
        sa.Column("id", _ID, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("person_id", _ID, nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("expires_at", _instant(), nullable=False),
        sa.Column("used_at", _instant(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_password_resets_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("digest", name=op.f("uq_password_resets_digest")),
    )
    op.create_index(
        op.f("ix_password_resets_person_id"), "password_resets", ["person_id"], unique=False
    )
    op.create_index("ix_password_resets_email", "password_resets", ["email", "created_at"])
    op.create_index("ix_password_resets_client", "password_resets", ["client", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_password_resets_client", table_name="password_resets")
    op.drop_index("ix_password_resets_email", table_name="password_resets")
    op.drop_index(op.f("ix_password_resets_person_id"), table_name="password_resets")
    op.drop_table("password_resets")
    with op.batch_alter_table("portal_sessions") as table:
        table.drop_column("user_agent")
