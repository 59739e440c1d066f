"""Every table of the evidence schema, imported so that the metadata is complete (used by Alembic)."""

from services.evidence.attachments.models import Attachment
from services.evidence.db import Base, common
from services.evidence.facts.models import Fact
from services.evidence.periods.models import PeriodState
from services.evidence.reviews.models import ReviewChain, ReviewDecision
from services.evidence.submissions.models import Submission, SubmissionVersion

__all__ = [
    "Attachment", "Base", "Fact", "PeriodState", "ReviewChain", "ReviewDecision", "Submission",
    "SubmissionVersion", "common",
]
