"""tickets: a worker's lease and the fingerprints of what was last computed; clock rows as
of their ticket's recomputation

Revision ID: 0007_worker_claims
Revises: 0006_claims
Create Date: 2026-12-07 02:00:00

A worker claimed its tickets by locking their rows for the whole recomputation, so ingest
marking one of them waited for it (seconds). It now claims them for a while (``lease_until``,
in a short transaction of its own) and computes them unlocked. ``clocks_hash`` and
``due_hash`` fingerprint the clock rows and due items last written for a ticket, so that a
recomputation finding the same writes nothing. A clock row kept that way has no instant of
its own: ``ticket_clocks.computed_at`` goes, and a clock is as of its ticket's
``refreshed_at`` (the downgrade puts that instant back on each row).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import accord.store.schema

revision: str = "0007_worker_claims"
down_revision: str | None = "0006_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("lease_until", accord.store.schema.Instant(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("clocks_hash", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("due_hash", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("ticket_clocks") as batch:
        batch.drop_column("computed_at")


def downgrade() -> None:
    with op.batch_alter_table("ticket_clocks") as batch:
        batch.add_column(
            sa.Column("computed_at", accord.store.schema.Instant(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE ticket_clocks SET computed_at = (SELECT COALESCE(t.refreshed_at, t.changed_at) "
        "FROM tickets t WHERE t.organisation_id = ticket_clocks.organisation_id "
        "AND t.ticket = ticket_clocks.ticket)"
    )
    op.execute("UPDATE ticket_clocks SET computed_at = CURRENT_TIMESTAMP WHERE computed_at IS NULL")
    with op.batch_alter_table("ticket_clocks") as batch:
        batch.alter_column(
            "computed_at", existing_type=accord.store.schema.Instant(timezone=True), nullable=False
        )
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("due_hash")
        batch.drop_column("clocks_hash")
        batch.drop_column("lease_until")
