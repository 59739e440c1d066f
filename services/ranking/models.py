"""Every table of the ranking schema, imported so that the metadata is complete (used by Alembic)."""

from services.ranking.db import Base, common
from services.ranking.objections.models import Objection
from services.ranking.periods.models import (
    PeriodReopening,
    PeriodSnapshot,
    Publication,
    PublicationEntry,
    RankedPeriod,
)
from services.ranking.results.models import SubjectResult

__all__ = ["Base", "Objection", "PeriodReopening", "PeriodSnapshot", "Publication", "PublicationEntry", "RankedPeriod",
           "SubjectResult", "common"]
