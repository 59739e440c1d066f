"""The evidence service's ASGI app."""

from __future__ import annotations

from services.common.app import ServiceSpec, create_service_app
from services.common.audit_api import audit_router
from services.evidence.models import common

spec = ServiceSpec(
    name="evidence",
    description=(
        "Submissions, attachments, review chains, journals, rating tasks, rectification notices and appeals; "
        "publishes reviewed facts."
    ),
    models=common,
    routers=[audit_router(common.audit)],
)
app = create_service_app(spec)
