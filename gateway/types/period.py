"""Periods and their subjects (owned by scoring); a subject links to its score and result."""

from __future__ import annotations

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


@strawberry.type(description="An assessment period of one scheme version.")
class Period:
    id: strawberry.ID
    scheme_id: str | None
    scheme_version: int | None
    label: str | None
    status: str | None = strawberry.field(description="open → collecting → scoring → published → finalized")
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


@strawberry.type(description="A unit or person assessed in a period.")
class Subject:
    id: strawberry.ID
    period_id: str
    name: str
    kind: str | None
    group: str | None
    unit_path: str
    attributes: JSON | None

    @classmethod
    def from_json(cls, row: dict[str, Any], period_id: str) -> Subject:
        return cls(id=strawberry.ID(str(row["id"])), period_id=period_id, name=row.get("name", ""),
                   kind=text(row, "kind"), group=text(row, "group"), unit_path=row.get("unit_path", ""),
                   attributes=row.get("attributes"))

    def _visible(self, ctx: Context, operation: str) -> bool:
        return access.visible(ctx.user, operation, unit_path=self.unit_path, subject_id=str(self.id))

    @strawberry.field(description="The latest scores (null when the caller may not see them).")
    async def score(self, info: Info[Context, None]) -> Score | None:
        if not self._visible(info.context, access.NESTED["Subject.score"]):
            return None
        row = await loaders.scores(info.context).load((self.period_id, str(self.id)))
        return Score.from_json(row) if row else None

    @strawberry.field(description="Rank, grade, labels and rewards (null when not visible or not computed).")
    async def result(self, info: Info[Context, None]) -> Result | None:
        if not self._visible(info.context, access.NESTED["Subject.result"]):
            return None
        row = await loaders.results(info.context).load((self.period_id, str(self.id)))
        return Result.from_json(row, self.period_id) if row else None
