"""Where scoring's and evidence's period statuses come from: every status change either applied from ranking's
`period.status` event must be an audited status change in ranking's chain (`period.published`, `period.finalized`,
`period.reopened`), and the 公示 time evidence keeps (`period_state.published_at`, from which appeal windows run)
must be one of ranking's 公示.

Ranking's outbox is mail, not audited: an event written into it behind the service's back is applied by both
services, each leaving a well-formed record of its own. Each applied change is matched to a distinct record of
ranking of the same status made no later than it was applied (plus CLOCK_SKEW, the services' clocks may differ a
little); one with none is named (period, service, status, the service's record). Read from the three databases by
`kaohe audit verify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kaohe.i18n import _
from services.common.audit import digest

CLOCK_SKEW = timedelta(seconds=60)
# ranking's record of a status change → the status each listener applies (scoring's period goes back to `scoring`
# when reopened)
APPLIED = {"evidence": {"period.published": "published", "period.finalized": "finalized",
                        "period.reopened": "reopened"},
           "scoring": {"period.published": "published", "period.finalized": "finalized",
                       "period.reopened": "scoring"}}


@dataclass(frozen=True)
class StatusChange:
    period_id: str
    status: str
    at: datetime
    record_id: int
    published_at: datetime | None = None  # ranking's 公示: when it was published

    def to_json(self) -> dict[str, Any]:
        """As ranking's `GET /v1/audit/status-changes` answers it (`status` is ranking's action)."""
        return {"period_id": self.period_id, "action": self.status, "recorded_at": self.at.isoformat(),
                "record_id": self.record_id,
                "published_at": self.published_at.isoformat() if self.published_at is not None else None}


@dataclass(frozen=True)
class StatusProblem:
    """A status change a listener applied, or evidence's 公示 time, that no audited change of ranking made."""

    service: str
    period_id: str
    kind: str  # unbacked | published_at
    status: str | None = None
    record_id: int | None = None  # the listener's record of the change
    value: str | None = None  # published_at: evidence's time

    def sentence(self) -> str:
        """What is wrong, a marked message (English where it is read as a string)."""
        if self.kind == "published_at":
            return _("period %(period)s: evidence's 公示 time %(published_at)s is no 公示 in ranking's chain (appeal "
                     "windows run from it)", period=self.period_id, published_at=self.value)
        return _("period %(period)s: %(service)s applied the status %(status)s (record %(record)s), which no audited "
                 "change of ranking made (a period.status event written behind the services' back)",
                 period=self.period_id, service=self.service, status=self.status, record=self.record_id)

    def to_json(self) -> dict[str, Any]:
        return {"service": self.service, "period_id": self.period_id, "kind": self.kind, "status": self.status,
                "record_id": self.record_id, "message": self.sentence()}


async def ranking_changes(conn: Any) -> list[StatusChange]:
    """Ranking's audited status changes, in chain order; a 公示's time from its record (`published_at`) or, for a
    record written before it held one, from the publication it names. `conn`: asyncpg, ranking's database."""
    rows = await conn.fetch(
        "SELECT a.id, a.action, a.entity_id, a.recorded_at, coalesce((a.details->>'published_at')::timestamptz, "
        "p.published_at) AS published_at FROM ranking.audit_record a LEFT JOIN ranking.publication p "
        "ON a.action = 'period.published' AND p.period_id = a.entity_id "
        "AND p.sequence::text = a.details->>'publication' WHERE a.entity_type = 'period' "
        "AND a.action IN ('period.published', 'period.finalized', 'period.reopened') ORDER BY a.id")
    return [StatusChange(row["entity_id"], row["action"], row["recorded_at"], row["id"], row["published_at"])
            for row in rows]


async def applied_changes(conn: Any, service: str) -> list[StatusChange]:
    """The status changes a listener applied from ranking's events, in its chain's order: evidence's `period.status`
    records that name an event, scoring's written as ranking (the event's source). `conn`: asyncpg, the service's
    database."""
    statuses = {digest({"status": status}): status for status in APPLIED[service].values()}
    which = "a.details ? 'event'" if service == "evidence" else "a.actor = 'ranking'"
    rows = await conn.fetch(
        f'SELECT a.id, a.entity_id, a.recorded_at, a.after_digest FROM "{service}".audit_record a '  # noqa: S608
        f"WHERE a.entity_type = 'period' AND a.action = 'period.status' AND {which} ORDER BY a.id")
    return [StatusChange(row["entity_id"], statuses.get(row["after_digest"], "?"), row["recorded_at"], row["id"])
            for row in rows]


async def evidence_published(conn: Any) -> dict[str, datetime]:
    """Evidence's 公示 time of each period it has one for."""
    rows = await conn.fetch("SELECT period_id, published_at FROM evidence.period_state WHERE published_at IS NOT NULL")
    return {row["period_id"]: row["published_at"] for row in rows}


def unbacked(service: str, applied: list[StatusChange], ranking: list[StatusChange],
             published: dict[str, datetime] | None = None) -> list[StatusProblem]:
    """Each applied change with no record of ranking to back it, and (evidence) each 公示 time no 公示 of ranking
    has; in the listener's chain order, then by period."""
    statuses = APPLIED[service]
    free: dict[tuple[str, str], list[StatusChange]] = {}
    for change in ranking:
        free.setdefault((change.period_id, statuses[change.status]), []).append(change)
    problems: list[StatusProblem] = []
    for change in sorted(applied, key=lambda c: c.at):
        candidates = free.get((change.period_id, change.status), [])
        match = next((c for c in candidates if c.at <= change.at + CLOCK_SKEW), None)
        if match is None:
            problems.append(StatusProblem(service, change.period_id, "unbacked", change.status, change.record_id))
        else:
            candidates.remove(match)
    problems.sort(key=lambda p: p.record_id or 0)
    times: dict[str, set[datetime]] = {}
    for change in ranking:
        if change.published_at is not None:
            times.setdefault(change.period_id, set()).add(change.published_at)
    for period_id, at in sorted((published or {}).items()):
        if at not in times.get(period_id, set()):
            problems.append(StatusProblem(service, period_id, "published_at", value=at.isoformat()))
    return problems
