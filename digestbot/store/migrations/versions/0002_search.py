"""full-text search index

SQLite: an FTS5 table ``search_fts`` (head = title and authors, body = sections) whose
rowid is the paper's ranking key, over the derived tokens of ``digestbot.search.tokens``.
PostgreSQL: tsvectors of the same tokens with GIN indexes. Both keep ``search_docs``:
one row per indexed paper with its ranking key and the appearance that key was built from.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TABLE search_docs ("
            " paper_id INTEGER NOT NULL PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,"
            " sort_key BIGINT NOT NULL, day DATE, votes INTEGER)"
        )
        # unicode61 only ever sees ASCII letters/digits and Hangul syllables, space-separated
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(head, body,"
            " tokenize = 'unicode61 remove_diacritics 0', prefix = '1')"
        )
    else:
        op.execute(
            "CREATE TABLE search_docs ("
            " paper_id INTEGER NOT NULL PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,"
            " sort_key BIGINT NOT NULL, day DATE, votes INTEGER,"
            " head TSVECTOR NOT NULL, doc TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_search_docs_doc ON search_docs USING gin (doc)")
        op.execute("CREATE INDEX ix_search_docs_head ON search_docs USING gin (head)")
    op.execute("CREATE UNIQUE INDEX ix_search_docs_sort_key ON search_docs (sort_key)")
    op.execute("CREATE INDEX ix_search_docs_day ON search_docs (day)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.execute("DROP TABLE search_docs")
