"""ticket clock rows: the instant their used time is as of

Revision ID: 0012_clock_used_at
Revises: 0011_reader_locale
Create Date: 2026-12-07 11:15:00

A running clock's used time grows with time, so a row that stated it as of its ticket's last
recomputation (``tickets.refreshed_at``) had to be rewritten at every recomputation, though
nothing but time had moved. ``used_at`` is the instant ``used_seconds`` is as of: a worker
that finds a running clock with the same deadline (it ran on throughout, so its used time
then is the stored one advanced on its calendar) keeps the row as it is. Null (rows written
before): as of the ticket's ``refreshed_at``, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.store.schema

revision: str = "0012_clock_used_at"
down_revision: str | None = "0011_reader_locale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_clocks") as table:
        table.add_column(
            sa.Column("used_at", accord.store.schema.Instant(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_clocks") as table:
        table.drop_column("used_at")
