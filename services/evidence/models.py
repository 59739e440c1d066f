"""Every table of the evidence schema, imported so that the metadata is complete (used by Alembic)."""

from services.evidence.appeals.models import Appeal
from services.evidence.attachments.models import Attachment
from services.evidence.db import Base, common
from services.evidence.facts.models import Fact
from services.evidence.journals.models import JournalRoster, JournalWeek
from services.evidence.makeups.models import Makeup
from services.evidence.periods.models import PeriodState
from services.evidence.ratings.models import RatingBallot, RatingRater, RatingSubject, RatingTask
from services.evidence.rectifications.models import RectificationNotice
from services.evidence.reviews.models import ReviewChain, ReviewDecision
from services.evidence.submissions.models import Submission, SubmissionVersion
from services.evidence.webhooks.models import EventRecord, WebhookDelivery, WebhookSecret, WebhookSubscription

__all__ = [
    "Appeal",
    "Attachment",
    "Base",
    "EventRecord",
    "Fact",
    "JournalRoster",
    "JournalWeek",
    "Makeup",
    "PeriodState",
    "RatingBallot",
    "RatingRater",
    "RatingSubject",
    "RatingTask",
    "RectificationNotice",
    "ReviewChain",
    "ReviewDecision",
    "Submission",
    "SubmissionVersion",
    "WebhookDelivery",
    "WebhookSecret",
    "WebhookSubscription",
    "common",
]
