"""Periods and their subjects (owned by scoring); a subject links to its score and result."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway import access, loaders
from gateway.context import Context
from gateway.types import text
from gateway.types.result import Result
from gateway.types.scheme import Indicator
from gateway.types.score import Score
from services.common.peers import segment


@strawberry.type(description=(
    "Something the engine could not use as given in the period's last computation (a fact it left out or could not "
    "read: an unknown event type or level, a fact that fits no leaf, an event without indicator that is no veto; a "
    "subject it could not score), so that an office sees what did not count."))
class PeriodProblem:
    fact_id: str | None = strawberry.field(description="The fact's id (`facts(ids:)` shows it); null for a problem "
                                                        "that is not about one fact.")
    subject_id: str | None = strawberry.field(description="The subject it is about, where the problem or the fact "
                                                          "names one.")
    indicator: str | None = strawberry.field(description="The indicator the fact names, if any.")
    pointer: str | None = strawberry.field(description="A JSON pointer into the scheme, for a problem of the scheme.")
    message: str = strawberry.field(description="What is wrong, in the request's language (Accept-Language).")

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> PeriodProblem:
        return cls(fact_id=text(row, "fact"), subject_id=text(row, "subject"), indicator=text(row, "indicator"),
                   pointer=text(row, "pointer"), message=str(row.get("message", "")))


@strawberry.type(description="An assessment period of one scheme version.")
class Period:
    id: strawberry.ID
    scheme_id: str | None
    scheme_version: int | None
    label: str | None
    status: str | None = strawberry.field(description=(
        "The period's lifecycle (scoring's): open → collecting → scoring → published → finalized; `reopenPeriod` "
        "takes a finalized period back to `scoring`. Not `Publication.status`, ranking's state of the results."))
    owner_path: str | None
    subject_count: int | None
    inputs_sha256: str | None
    indicators: list[Indicator]

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Period:
        version = row.get("scheme_version")
        return cls(id=strawberry.ID(str(row["id"])), scheme_id=text(row, "scheme_id"),
                   scheme_version=int(version) if isinstance(version, int) else None, label=text(row, "label"),
                   status=text(row, "status"), owner_path=text(row, "owner_path"),
                   subject_count=row.get("subject_count") if isinstance(row.get("subject_count"), int) else None,
                   inputs_sha256=text(row, "inputs_sha256"),
                   indicators=[Indicator.from_json(i) for i in row.get("indicators") or []])

    @strawberry.field(description=(
        "The problems of the period's last computation (scheme-reference §5): each fact the engine left out or could "
        "not read, with the subject it is about; with `subjectId`, that subject's only. Null unless the caller is an "
        "admin or auditor over the period's owner (who may run `verifyPeriod`)."))
    async def problems(self, info: Info[Context, None], subject_id: strawberry.ID | None = None
                       ) -> list[PeriodProblem] | None:
        ctx = info.context
        if not access.visible(ctx.user, access.NESTED["Period.problems"], unit_path=self.owner_path or ""):
            return None
        params = {"subject_id": str(subject_id)} if subject_id is not None else None
        body = await ctx.clients.scoring.request("GET", f"/v1/periods/{segment(str(self.id))}/problems", ctx.user,
                                                 params=params)
        return [PeriodProblem.from_json(p) for p in body.get("problems") or [] if isinstance(p, dict)]


@strawberry.type(description="A unit or person assessed in a period.")
class Subject:
    id: strawberry.ID
    period_id: str
    name: str
    kind: str | None
    group: str | None
    unit_path: str
    attributes: JSON | None
    # rows read ahead for a whole page (`prefetch`): nested fields then resolve without awaiting
    prefetched: strawberry.Private[dict[str, dict[str, Any] | None]] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_json(cls, row: dict[str, Any], period_id: str) -> Subject:
        return cls(id=strawberry.ID(str(row["id"])), period_id=period_id, name=row.get("name", ""),
                   kind=text(row, "kind"), group=text(row, "group"), unit_path=row.get("unit_path", ""),
                   attributes=row.get("attributes"))

    def _visible(self, ctx: Context, operation: str) -> bool:
        return access.visible(ctx.user, operation, unit_path=self.unit_path, subject_id=str(self.id))

    # Sync resolvers: a prefetched row is returned at once (no awaitable per node, which is most of a
    # page's cost in graphql-core); otherwise they hand graphql-core the loader's awaitable.
    @strawberry.field(description="The latest scores (null when the caller may not see them).")
    def score(self, info: Info[Context, None]) -> Score | None:
        if not self._visible(info.context, access.NESTED["Subject.score"]):
            return None
        if "score" in self.prefetched:
            return _score(self.prefetched["score"])
        return _later(loaders.scores(info.context).load((self.period_id, str(self.id))), _score)  # type: ignore[return-value]

    @strawberry.field(description="Rank, grade, labels and rewards (null when not visible or not computed).")
    def result(self, info: Info[Context, None]) -> Result | None:
        if not self._visible(info.context, access.NESTED["Subject.result"]):
            return None
        if "result" in self.prefetched:
            return self._result(self.prefetched["result"])
        return _later(loaders.results(info.context).load((self.period_id, str(self.id))),  # type: ignore[return-value]
                      self._result)

    def _result(self, row: dict[str, Any] | None) -> Result | None:
        return Result.from_json(row, self.period_id) if row else None


def _score(row: dict[str, Any] | None) -> Score | None:
    return Score.from_json(row) if row else None


async def _later(row: Awaitable[dict[str, Any] | None], build: Any) -> Any:
    return build(await row)


NESTED_LOADERS = {"score": ("Subject.score", loaders.scores), "result": ("Subject.result", loaders.results)}


async def prefetch(ctx: Context, subjects: list[Subject], wanted: set[str]) -> None:
    """Read the nested `score`/`result` rows of a page's subjects in one batch each (the same calls
    the loaders would make), so the nested fields resolve synchronously."""
    async def one(name: str) -> None:
        nested, loader = NESTED_LOADERS[name]
        shown = [s for s in subjects if s._visible(ctx, access.NESTED[nested])]
        found = await loader(ctx).load_many([(s.period_id, str(s.id)) for s in shown])
        for subject, row in zip(shown, found, strict=True):
            subject.prefetched[name] = row

    await asyncio.gather(*(one(name) for name in NESTED_LOADERS if name in wanted))
