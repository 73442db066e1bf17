"""bookmarks, and the push with every section in full

``bookmarks``: the papers a Telegram user saved (🔖), one row per user and paper, newest
first by ``created_at``. ``subscriptions.full_sections``: the subscriber asked for every
section in full (the push before the compact one) instead of the one-message push.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookmarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "paper_id", name="uq_bookmarks_user_paper"),
    )
    with op.batch_alter_table("bookmarks") as batch:
        batch.create_index("ix_bookmarks_user_created", ["user_id", "created_at"], unique=False)
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(
            sa.Column("full_sections", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("full_sections")
    with op.batch_alter_table("bookmarks") as batch:
        batch.drop_index("ix_bookmarks_user_created")
    op.drop_table("bookmarks")
