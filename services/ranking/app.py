"""The ranking service's ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import ServiceSpec, create_service_app
from services.common.audit_api import audit_router
from services.common.audit_rows import AUDITED
from services.common.workcalendar import STORE
from services.ranking.clients import scoring_client_for
from services.ranking.events.api import router as events_router
from services.ranking.exports.api import router as exports_router
from services.ranking.models import common
from services.ranking.objections.api import router as objections_router
from services.ranking.periods.anchors import verification
from services.ranking.periods.api import router as periods_router
from services.ranking.periods.public import router as public_router
from services.ranking.results import cache
from services.ranking.results.api import router as results_router

spec = ServiceSpec(
    name="ranking",
    description="Ranks, grades, labels, rewards, publication (公示), objections and approval (审定).",
    models=common,
    routers=[audit_router(common.audit, AUDITED["ranking"], keeps_heads=True, provenance=verification),
             events_router, periods_router, results_router, objections_router,
             exports_router, public_router],
    startup=[cache.install],
)
app = create_service_app(spec)


async def _refresh_calendar(app: FastAPI) -> None:
    await STORE.refresh(scoring_client_for(app).calendar)


app.state.before_metrics = _refresh_calendar
