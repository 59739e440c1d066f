"""The ranking service's ASGI app."""

from __future__ import annotations

from services.common.app import ServiceSpec, create_service_app
from services.common.audit_api import audit_router
from services.ranking.models import common

spec = ServiceSpec(
    name="ranking",
    description="Ranks, grades, labels, rewards, publication (公示), objections and approval (审定).",
    models=common,
    routers=[audit_router(common.audit)],
)
app = create_service_app(spec)
