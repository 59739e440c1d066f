"""The scoring service's ASGI app."""

from __future__ import annotations

from services.common.app import ServiceSpec, create_service_app
from services.common.audit_api import audit_router
from services.scoring.models import common

spec = ServiceSpec(
    name="scoring",
    description="Schemes, periods, subjects, facts and score versions; runs the assessment engine.",
    models=common,
    routers=[audit_router(common.audit)],
)
app = create_service_app(spec)
