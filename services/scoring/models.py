"""Every table of the scoring schema, imported so that the metadata is complete (used by Alembic)."""

from services.scoring.db import Base, common

__all__ = ["Base", "common"]
