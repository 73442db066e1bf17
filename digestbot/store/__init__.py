"""Storage: SQLAlchemy models, repository functions (they never commit), migrations."""
