"""Storage at the edge: the database (SQLAlchemy 2 + Alembic) and the blob store (files or S3)."""
