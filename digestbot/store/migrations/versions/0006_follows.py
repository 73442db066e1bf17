"""Follows and the weekly digest

``follows``: the searches a chat (or forum topic) follows, one row per normalised query
(``query``, unique per target; ``text`` is what the user typed). ``subscriptions.cadence``:
``daily`` (the default), ``weekly`` or ``both``; ``subscriptions.follows_only``: the push
holds only the day's papers matching the chat's follows.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], ondelete="CASCADE", onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "thread_id", "query", name="uq_follows_target_query"),
    )
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(
            sa.Column("cadence", sa.String(length=8), nullable=False, server_default="daily")
        )
        batch.add_column(
            sa.Column("follows_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("follows_only")
        batch.drop_column("cadence")
    op.drop_table("follows")
