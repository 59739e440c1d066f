"""Every table of the scoring schema, imported so that the metadata is complete (used by Alembic)."""

from services.scoring.calendar.models import HolidayArrangement
from services.scoring.db import Base, common
from services.scoring.organisation.models import ApiKey, Person, Unit
from services.scoring.periods.models import Period, PeriodSubject
from services.scoring.schemes.models import Scheme, SchemeVersion
from services.scoring.scores.models import FactCopy, ScoreVersion

__all__ = [
    "ApiKey", "Base", "FactCopy", "HolidayArrangement", "Period", "PeriodSubject", "Person", "Scheme", "SchemeVersion",
    "ScoreVersion", "Unit", "common",
]
