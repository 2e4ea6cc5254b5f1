"""due items: each row's fingerprint, so that a batch writes only the items that changed

Revision ID: 0016_due_item_row_hash
Revises: 0015_clock_fields_event
Create Date: 2026-12-07 20:00:00

A batch recomputation compared every due item of a ticket whose due items' fingerprint changed
with the stored one in SQL (all of them copied into a temporary table, then a cancel, a move
and an insert statement). ``row_hash`` is each item's fingerprint as the batch last wrote it
(null: written or changed by anyone else, compared in full at the next batch): the batch reads
the stored fingerprints, and writes only the items whose fingerprint differs (moved or
inserted with one statement, cancelled by row number).

Upgrade with every worker and server stopped (as docs/scaling.md asks for each migration): a
process still running the code before this revision changes due items without forgetting
their fingerprint, and a batch would then take such an item for the form it last wrote.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_due_item_row_hash"
down_revision: str | None = "0015_clock_fields_event"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("due_items") as table:
        table.add_column(sa.Column("row_hash", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # the older code compares the items themselves: nothing to carry over
    with op.batch_alter_table("due_items") as table:
        table.drop_column("row_hash")
