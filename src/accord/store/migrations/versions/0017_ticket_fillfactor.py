"""tickets: pages filled to 70%, so that a worker's lease on a ticket is a HOT update

Revision ID: 0017_ticket_fillfactor
Revises: 0016_due_item_row_hash
Create Date: 2026-12-08 03:00:00

A worker claims the marked tickets it recomputes with a lease (``lease_until``, a column no
index holds): on a page with room for the row's new version, PostgreSQL writes it there
without an entry in any of the table's four indexes (a heap-only tuple). Filled to the brim
(the default), the pages of ``tickets`` had no room, and every lease added an entry to each
index. With 30% of each page kept free, a lease costs about half as much of PostgreSQL's time
(measured: BENCHMARKS.md, "The worker's PostgreSQL time"). Pages written from now on are
filled so; pages written before keep their rows until rewritten (``VACUUM FULL tickets``, or
as rows move). SQLite has no such setting: nothing to do there.

No data change: the downgrade puts back the default.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_ticket_fillfactor"
down_revision: str | None = "0016_due_item_row_hash"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TICKETS_FILLFACTOR = 70


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE tickets SET (fillfactor = {TICKETS_FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE tickets RESET (fillfactor)")
