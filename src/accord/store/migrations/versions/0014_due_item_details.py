"""due items: what a reminder announces besides its moment

Revision ID: 0014_due_item_details
Revises: 0013_agreement_lifecycle
Create Date: 2026-12-07 14:10:00

Reminders of an agreement's notice deadline and of a termination right near carry what they
announce (the last day to give notice, the end, the misses counted) in ``details``, added to
their notifications' payload. Null for the escalations of clocks and objectives, and for the
review reminders stored before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_due_item_details"
down_revision: str | None = "0013_agreement_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("due_items") as table:
        table.add_column(sa.Column("details", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("due_items") as table:
        table.drop_column("details")
