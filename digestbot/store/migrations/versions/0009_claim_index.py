"""A claim reads what it claims, not the whole outbox; renders are found by use

``ix_deliveries_state_due`` (state, due_at) becomes ``ix_deliveries_claim`` (state,
due_at, id): the order a claim takes due deliveries in (oldest first, then by id), so
PostgreSQL and SQLite walk the index from its start and stop after the batch instead of
reading and sorting every pending row (20 ms a claim at 20,000 rows; 1,000,000 queued
pushes made that a second).

``ix_deliveries_body_id``: pruning the outbox (``delivery.retention``) deletes a stored
render only when no delivery points at it, which without an index is a scan of every
delivery for each render.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_state_due")
        batch.create_index("ix_deliveries_claim", ["state", "due_at", "id"])
        batch.create_index("ix_deliveries_body_id", ["body_id"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_body_id")
        batch.drop_index("ix_deliveries_claim")
        batch.create_index("ix_deliveries_state_due", ["state", "due_at"])
