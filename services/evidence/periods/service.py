"""Period knowledge: status from ranking's events, the rest from scoring."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common import audit, clock, notify
from services.common.auth import Principal, require_service
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.outbox import EventIn, apply_once
from services.common.workcalendar import STORE
from services.evidence.appeals import repository as appeal_rows
from services.evidence.db import common
from services.evidence.periods import repository
from services.evidence.scoring_client import PeriodInfo, ScoringClient
from services.evidence.submissions import repository as submission_rows

FROZEN = "finalized"
# Evidence is collected while a period is open or collecting; from `scoring` on (published, reopened included) new
# evidence needs a make-up (补报) approved by the office (services/evidence/makeups, docs/decisions.md)
COLLECTING = frozenset({"open", "collecting"})


async def status_of(session: AsyncSession, period: PeriodInfo) -> str:
    """The period's status as evidence knows it: ranking's last `period.status` event, else scoring's."""
    state = await repository.get(session, period.id)
    return state.status if state is not None else period.status


async def writable_period(session: AsyncSession, scoring: ScoringClient, period_id: str, *,
                          refused: str | None = None, period: PeriodInfo | None = None) -> PeriodInfo:
    """The period as scoring tells it now (never a cached copy: every write is gated on its status, and scoring
    moves a period from collecting to `scoring` without telling evidence), unless it is finalized (then 409,
    `refused` or the default message): ranking's last event wins over scoring's status. `period`: one the caller
    has just read fresh."""
    if period is None:
        period = await scoring.period(period_id, fresh=True)
    await STORE.refresh(scoring.calendar)  # the deadlines a write computes use the current arrangements
    status = await status_of(session, period)
    if status == FROZEN:
        raise Conflict(refused or _("period %(period_id)s is finalized; evidence can no longer change",
                                    period_id=period_id),
                       details={"period_id": period_id, "status": status})
    return period


async def scoped_writable_period(session: AsyncSession, principal: Principal, scoring: ScoringClient,
                                 period_id: str) -> PeriodInfo:
    """`writable_period`, when the caller holds a grant on the branch of the period's owner (over it or within it);
    otherwise the very answer of a period that does not exist (scoring's own 404 names its internal path), checked
    before anything else, so that a write tells nothing of another department's periods (docs/decisions.md, "Facts
    upload answers nothing outside the caller's scope" and "Probe defects: scope first, quoting, webhooks")."""
    def missing() -> NotFound:
        return NotFound(_("period %(period_id)s not found", period_id=period_id))

    try:
        period = await scoring.period(period_id, fresh=True)
    except NotFound:
        raise missing() from None
    if not principal.relates_to(period.owner_path):
        raise missing()
    return await writable_period(session, scoring, period_id, period=period)


async def open_work(session: AsyncSession, principal: Principal, period_id: str) -> dict[str, object]:
    """What of the period still waits for the office: open appeals and submissions pending review. Ranking asks
    before 审定, which would strand them (docs/decisions.md, "审定 waits for open appeals and pending reviews")."""
    require_service(principal)
    return {"period_id": period_id, "open_appeals": await appeal_rows.count_open(session, period_id),
            "pending_submissions": await submission_rows.count_pending(session, period_id)}


async def apply_event(session: AsyncSession, principal: Principal, scoring: ScoringClient, event: EventIn) -> bool:
    """Apply an event from another service once; False when it was a repeat."""
    require_service(principal)
    if event.topic == notify.TOPIC:  # for the event log; a repeat is ignored there (the notice id is unique)
        try:
            notify.accept(session, event.payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(_("malformed notice: %(exc)s", exc=exc), details={"field": "payload"}) from None
        return True
    if event.topic != "period.status":
        return await apply_once(session, common.inbox, event)
    period_id, status = _period_status(event.payload)
    if not await apply_once(session, common.inbox, event):
        return False
    await repository.set_status(session, period_id, status, _published_at(event.payload) if status == "published"
                                else None)
    scoring.forget(period_id)
    audit.record(session, actor=principal, action="period.status", entity_type="period",
                 entity_id=period_id, after={"status": status}, details={"event": str(event.id)})
    return True


def _published_at(payload: dict[str, object]) -> datetime:
    """When ranking published (公示): the event's `published_at`, else (an event of an older ranking) now."""
    raw = payload.get("published_at")
    try:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        moment = None
    return moment if moment is not None and moment.tzinfo is not None else clock.now()


def _period_status(payload: dict[str, object]) -> tuple[str, str]:
    period_id, status = payload.get("period_id"), payload.get("status")
    if not isinstance(period_id, str) or not period_id or not isinstance(status, str) or not status:
        raise InvalidInput(_("period.status needs a period_id and a status"), details={"field": "payload"})
    return period_id, status
