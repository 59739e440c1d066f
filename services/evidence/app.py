"""The evidence service's ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import ServiceSpec, create_service_app
from services.common.audit_api import audit_router
from services.common.audit_rows import AUDITED
from services.common.settings import get_settings
from services.common.workcalendar import STORE
from services.evidence.appeals.api import router as appeals_router
from services.evidence.attachments.api import is_upload_path
from services.evidence.attachments.api import router as attachments_router
from services.evidence.config import refuse_unsafe
from services.evidence.facts.api import router as facts_router
from services.evidence.facts.service import TOPIC as FACT_TOPIC
from services.evidence.facts.service import outbox_provenance
from services.evidence.inbox.api import router as inbox_router
from services.evidence.journals.api import router as journals_router
from services.evidence.makeups.api import router as makeups_router
from services.evidence.models import common
from services.evidence.periods.api import router as events_router
from services.evidence.ratings.api import router as ratings_router
from services.evidence.rectifications.api import router as rectifications_router
from services.evidence.reviews.api import router as reviews_router
from services.evidence.scoring_client import scoring_client_for
from services.evidence.submissions.api import bulk as bulk_submissions_router
from services.evidence.submissions.api import is_import_path
from services.evidence.submissions.api import router as submissions_router
from services.evidence.webhooks.api import router as webhooks_router
from services.evidence.webhooks.service import record_notices
from services.evidence.webhooks.stream import router as event_stream_router

spec = ServiceSpec(
    name="evidence",
    description=(
        "Submissions, attachments, review chains, journals, rating tasks, rectification notices and appeals; "
        "publishes reviewed facts."
    ),
    models=common,
    routers=[audit_router(common.audit, AUDITED["evidence"], provenance=outbox_provenance),
             submissions_router, bulk_submissions_router, reviews_router, attachments_router, facts_router,
             journals_router, appeals_router, ratings_router, rectifications_router, makeups_router, events_router,
             webhooks_router, inbox_router, event_stream_router],
    large_body_paths=lambda path: is_upload_path(path) or is_import_path(path),
    notify_sink=record_notices,
    batched_topics=frozenset({FACT_TOPIC}),  # scoring applies a run of them in one transaction
)
refuse_unsafe(get_settings())
app = create_service_app(spec)


async def _refresh_calendar(app: FastAPI) -> None:
    await STORE.refresh(scoring_client_for(app).calendar)


app.state.before_metrics = _refresh_calendar
