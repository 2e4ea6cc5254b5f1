"""clock rows: the ticket's fields by reference, not copied into each row

Revision ID: 0015_clock_fields_event
Revises: 0014_due_item_details
Create Date: 2026-12-07 17:05:00

A clock row carried its ticket's fields (as of the event that stopped it, or of the ticket's
last event) as a JSON copy: written again whenever any field of the ticket changed, and the
largest part of a row. Rows written from now on leave ``fields`` null; a stopped clock names
the event its fields are as of (``fields_event``, the event's row number), a clock still
open takes its ticket's fields as of the ticket's last recomputation. Readers derive the
fields from the ticket's events (``tracking.clock_fields``). Rows written before keep their
copy, which readers use as it is; each ticket is rewritten at its next recomputation.

``row_hash``: each row's fingerprint, so that a batch recomputation of a ticket that changed
writes only the rows that changed (update, insert and delete by key) instead of all of them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_clock_fields_event"
down_revision: str | None = "0014_due_item_details"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_clocks") as table:
        table.add_column(sa.Column("fields_event", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("row_hash", sa.BigInteger(), nullable=True))
        table.alter_column("fields", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    # the older code needs a copy in every row: the tickets with rows without one are marked
    # for recomputation (their fingerprints forgotten), which writes their rows again with
    # it; until then they show no fields
    op.execute(
        """
        UPDATE tickets SET dirty = true, clocks_hash = NULL
        WHERE EXISTS (
            SELECT 1 FROM ticket_clocks c WHERE c.organisation_id = tickets.organisation_id
                AND c.ticket = tickets.ticket AND c.fields IS NULL
        )
        """
    )
    op.execute("UPDATE ticket_clocks SET fields = '{}' WHERE fields IS NULL")
    with op.batch_alter_table("ticket_clocks") as table:
        table.alter_column("fields", existing_type=sa.JSON(), nullable=False)
        table.drop_column("row_hash")
        table.drop_column("fields_event")
