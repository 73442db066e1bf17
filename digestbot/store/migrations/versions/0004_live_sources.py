"""Hugging Face metadata, generated summaries, model usage, source health

``papers``: the abstract and Hugging Face's metadata (English AI summary, keywords,
GitHub repository and stars, project page) and the state of the paper's generated
summary (attempts, last error, a claim so that only one instance asks the model).
``sections.origin``: where a section's text came from: ``archive`` or ``model:<name>``.
``digest_days.votes_at``: when the day's votes were last read from Hugging Face.
``llm_usage``: one row per summary request (tokens, outcome). ``source_status``: each
source's last success, newest day and last error, for /stats and the silence alert.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("abstract", sa.Text(), nullable=True))
        batch.add_column(sa.Column("ai_summary", sa.Text(), nullable=True))
        batch.add_column(sa.Column("keywords", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("github_repo", sa.Text(), nullable=True))
        batch.add_column(sa.Column("github_stars", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("project_page", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("summary_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("summary_error", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("summary_claimed_until", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("sections") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(length=80), nullable=False, server_default="archive")
        )
    with op.batch_alter_table("digest_days") as batch:
        batch.add_column(sa.Column("votes_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "llm_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("llm_usage") as batch:
        batch.create_index("ix_llm_usage_created_at", ["created_at"], unique=False)
    op.create_table(
        "source_status",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("newest_day", sa.Date(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerted_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("source_status")
    with op.batch_alter_table("llm_usage") as batch:
        batch.drop_index("ix_llm_usage_created_at")
    op.drop_table("llm_usage")
    with op.batch_alter_table("digest_days") as batch:
        batch.drop_column("votes_at")
    with op.batch_alter_table("sections") as batch:
        batch.drop_column("origin")
    with op.batch_alter_table("papers") as batch:
        for column in (
            "summary_claimed_until",
            "summary_error",
            "summary_attempts",
            "project_page",
            "github_stars",
            "github_repo",
            "keywords",
            "ai_summary",
            "abstract",
        ):
            batch.drop_column(column)
