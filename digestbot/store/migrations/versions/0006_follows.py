"""Follows and the weekly digest

``follows``: the searches a chat (or forum topic) follows, one row per normalised query
(``query``, unique per target; ``text`` is what the user typed). ``subscriptions.cadence``:
``daily`` (the default), ``weekly`` or ``both``; ``subscriptions.follows_only``: the push
holds only the day's papers matching the chat's follows. ``delivery_parts``: rendered
messages shared by many deliveries (a push rendered once per distinct cut is stored once,
not once per subscriber); ``deliveries.parts_id`` points there (its own ``parts`` then
empty).

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
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
    op.create_table(
        "delivery_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest", name="uq_delivery_parts_digest"),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("parts_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_deliveries_parts_id", "delivery_parts", ["parts_id"], ["id"])
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
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("fk_deliveries_parts_id", type_="foreignkey")
        batch.drop_column("parts_id")
    op.drop_table("delivery_parts")
    op.drop_table("follows")
