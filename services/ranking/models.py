"""Every table of the ranking schema, imported so that the metadata is complete (used by Alembic)."""

from services.ranking.db import Base, common

__all__ = ["Base", "common"]
