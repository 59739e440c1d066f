"""Every table of the evidence schema, imported so that the metadata is complete (used by Alembic)."""

from services.evidence.db import Base, common

__all__ = ["Base", "common"]
