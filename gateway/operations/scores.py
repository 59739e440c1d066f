"""Scores and the auditor's questions: history, as-of, explanation, reproducibility (scoring)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from gateway import loaders
from gateway.context import Context
from gateway.operations import bounded, rows
from gateway.pagination import Connection, paginate
from gateway.types.audit import PeriodVerification
from gateway.types.score import Score, ScoreVersion
from kaohe.i18n import _
from services.common.errors import InvalidInput
from services.common.peers import segment

Ctx = Info[Context, None]


def _history_path(period_id: str, subject_id: str) -> str:
    return f"/v1/periods/{segment(period_id)}/subjects/{segment(subject_id)}/history"


@strawberry.type
class ScoreQuery:
    @strawberry.field(description="Every stored version of one indicator's (or `total`'s) value, oldest first.")
    async def score_history(self, info: Ctx, period_id: strawberry.ID, subject_id: strawberry.ID,
                            indicator: str = "total", first: int | None = None,
                            after: str | None = None) -> Connection[ScoreVersion]:
        ctx = info.context
        bounded(period_id=str(period_id), subject_id=str(subject_id), indicator=indicator)
        await loaders.authorize_subject(ctx, "scoreHistory", str(period_id), str(subject_id))
        body = await ctx.clients.scoring.request("GET", _history_path(str(period_id), str(subject_id)), ctx.user,
                                                 params={"indicator": indicator})
        return paginate([ScoreVersion.from_json(r) for r in rows(body, "versions")], first, after)

    @strawberry.field(description="The version in force at an instant (null before the first).")
    async def score_as_of(self, info: Ctx, period_id: strawberry.ID, subject_id: strawberry.ID, at: datetime,
                          indicator: str = "total") -> ScoreVersion | None:
        ctx = info.context
        bounded(period_id=str(period_id), subject_id=str(subject_id), indicator=indicator)
        await loaders.authorize_subject(ctx, "scoreAsOf", str(period_id), str(subject_id))
        if at.tzinfo is None:  # refused here, naming `at`: scoring would name its own parameter, as_of
            raise InvalidInput(_("%(field)s needs a time zone (e.g. 2026-04-01T08:00:00+08:00)", field="at"),
                               details={"field": "at"})
        body = await ctx.clients.scoring.request("GET", _history_path(str(period_id), str(subject_id)), ctx.user,
                                                 params={"indicator": indicator, "as_of": at.isoformat()})
        found = rows(body, "versions") if isinstance(body, list) or "versions" in (body or {}) else [body]
        return ScoreVersion.from_json(found[-1]) if found and found[-1] else None

    @strawberry.field(description="A subject's latest scores with the engine's explanation of every point.")
    async def explain(self, info: Ctx, period_id: strawberry.ID, subject_id: strawberry.ID) -> Score | None:
        ctx = info.context
        bounded(period_id=str(period_id), subject_id=str(subject_id))
        await loaders.authorize_subject(ctx, "explain", str(period_id), str(subject_id))
        row = await loaders.scores(ctx).load((str(period_id), str(subject_id)))
        return Score.from_json(row) if row else None

    @strawberry.field(description="Recompute a period from its stored scheme and facts and compare.")
    async def verify_period(self, info: Ctx, period_id: strawberry.ID) -> PeriodVerification:
        ctx = info.context
        bounded(period_id=str(period_id))
        await loaders.authorize_period(ctx, "verifyPeriod", str(period_id))
        body = await ctx.clients.scoring.request("POST", f"/v1/periods/{segment(period_id)}/verify", ctx.user)
        return PeriodVerification.from_json(body)
