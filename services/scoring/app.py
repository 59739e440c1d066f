"""The scoring service's ASGI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import ServiceSpec, create_service_app
from services.common.audit_api import audit_router
from services.common.audit_rows import AUDITED
from services.scoring.calendar.api import install_from
from services.scoring.calendar.api import router as calendar_router
from services.scoring.models import common
from services.scoring.organisation.api import router as organisation_router
from services.scoring.periods.api import router as periods_router
from services.scoring.schemes.api import router as schemes_router
from services.scoring.scores import cache
from services.scoring.scores.api import events_router
from services.scoring.scores.api import router as scores_router
from services.scoring.scores.recomputer import Recomputer
from services.scoring.scores.service import all_provenance


async def start_recomputer(app: FastAPI) -> None:
    """Run the recompute loop (off when the relay is off, as in the unit tests) on the app's cache."""
    recomputer = Recomputer(app.state.db, app.state.scores_cache)
    app.state.recomputer = recomputer
    if getattr(app.state, "run_recomputer", getattr(app.state, "run_relay", True)):
        recomputer.start()


async def stop_recomputer(app: FastAPI) -> None:
    """Stop the loop before the database is disposed."""
    await app.state.recomputer.stop()


def _large_body(path: str) -> bool:
    """Files with limits of their own (10 MiB tables, 5 MiB workbooks), beyond the general body limit."""
    return path.endswith(("/subjects/import", "/import-excel", "/organisation/import"))


spec = ServiceSpec(
    name="scoring",
    description="Schemes, periods, subjects, facts and score versions; runs the assessment engine.",
    models=common,
    routers=[audit_router(common.audit, AUDITED["scoring"], provenance=all_provenance),
             organisation_router, schemes_router, periods_router, scores_router,
             events_router, calendar_router],
    startup=[cache.install, start_recomputer],
    shutdown=[stop_recomputer, cache.uninstall],
    large_body_paths=_large_body,
)
app = create_service_app(spec)


async def _install_calendar(app: FastAPI) -> None:
    async with app.state.db.sessionmaker() as session:  # a read: nothing to commit
        await install_from(session)


app.state.before_metrics = _install_calendar
