"""what the tolerant parser repaired, and papers with unlisted authors

``papers.more_authors``: the digest's author list ended with ``+`` (more authors than
listed). ``digest_days.warnings`` and ``ingest_runs.warnings``: the parser's warnings
(``file:line: what was done``) for the stored day and for each ingest attempt.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(
            sa.Column("more_authors", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("digest_days") as batch:
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("ingest_runs") as batch:
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("ingest_runs") as batch:
        batch.drop_column("warnings")
    with op.batch_alter_table("digest_days") as batch:
        batch.drop_column("warnings")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("more_authors")
