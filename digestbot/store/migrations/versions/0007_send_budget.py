"""the token's shared send budget, and paid broadcasts counted per day

``send_budget``: one row per token and lane (free, paid), keyed by a hash of the token
(never the token): the next free send slot and a global pause, in the database's clock
(seconds since the epoch). Every instance on one PostgreSQL reserves its send slots here.
``paid_sends``: per UTC day, the paid-broadcast messages reserved under the daily cap
and those Telegram accepted (for /stats and the cap).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_budget",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("next_slot", sa.Float(), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "paid_sends",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sent", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("paid_sends")
    op.drop_table("send_budget")
