"""due items: when a burn-rate episode was last seen firing

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.store.schema

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("due_items") as batch:
        batch.add_column(
            sa.Column("seen_at", accord.store.schema.Instant(timezone=True), nullable=True)
        )
    # burn-rate episodes open before this migration were last seen when last updated
    op.execute("UPDATE due_items SET seen_at = updated_at WHERE subject = '' AND at LIKE 'burn%'")


def downgrade() -> None:
    with op.batch_alter_table("due_items") as batch:
        batch.drop_column("seen_at")
