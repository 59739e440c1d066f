"""Scheme tools (scoring): validate a document, diff two versions. Importing a draft from an Excel
indicator table is a multipart upload: `POST /uploads/schemes/import-excel` (gateway/uploads.py)."""

from __future__ import annotations

import json
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway import access
from gateway.context import Context
from gateway.operations import bounded
from gateway.types.scheme import FieldChange, IndicatorChange, SchemeDiff, SchemeProblem, SchemeValidation
from kaohe.i18n import _
from services.common.errors import DomainError, InvalidInput
from services.common.peers import segment

Ctx = Info[Context, None]
MAX_SCHEME_CHARS = 1_000_000  # scoring's limit on a scheme text; the gateway's body limit applies first


def _source(document: Any, text: str | None) -> dict[str, Any]:
    if (document is None) == (text is None):
        raise InvalidInput(_("give exactly one of document or text"),
                           details=[{"field": "document", "reason": "one of"}])
    size = len(text) if text is not None else len(json.dumps(document, ensure_ascii=False))
    if size > MAX_SCHEME_CHARS:
        raise InvalidInput(_("a scheme may be at most %(max_scheme_chars)s characters",
                             max_scheme_chars=MAX_SCHEME_CHARS),
                           details=[{"field": "document" if text is None else "text", "reason": "too long"}])
    return {"document": document} if text is None else {"text": text}


def _changes(rows: Any) -> list[FieldChange]:
    return [FieldChange(field=str(c.get("field", "")), before=c.get("before"), after=c.get("after"))
            for c in rows or [] if isinstance(c, dict)]


@strawberry.type
class SchemeToolsQuery:
    @strawberry.field(description="Validate a scheme document (or its YAML/JSON text) without storing it: the "
                                  "engine's problems, each with its JSON pointer, come back as data.")
    async def validate_scheme(self, info: Ctx, document: JSON | None = None,
                              text: str | None = None) -> SchemeValidation:
        ctx = info.context
        access.require_role(ctx.user, "validateScheme")
        payload = _source(document, text)
        try:
            body = await ctx.clients.scoring.request("POST", "/v1/schemes/validate", ctx.user, json=payload)
        except DomainError as exc:
            if exc.code != "scheme_invalid":
                raise
            problems = [SchemeProblem(pointer=str(p.get("pointer", "")), message=str(p.get("message", "")))
                        for p in exc.details or [] if isinstance(p, dict)]
            return SchemeValidation(ok=False, scheme_id=None, version=None, indicator_count=None, problems=problems)
        warnings = [SchemeProblem(pointer=str(w.get("pointer", "")), message=str(w.get("message", "")))
                    for w in body.get("warnings") or [] if isinstance(w, dict)]
        return SchemeValidation(ok=True, scheme_id=body.get("id"), version=body.get("version"),
                                indicator_count=body.get("indicators"), problems=[], warnings=warnings)

    @strawberry.field(description="What changed from version `fromVersion` to `toVersion`, indicator by indicator.")
    async def scheme_diff(self, info: Ctx, scheme_id: strawberry.ID, from_version: int,
                          to_version: int) -> SchemeDiff:
        ctx = info.context
        bounded(scheme_id=str(scheme_id))
        access.require_role(ctx.user, "schemeDiff")
        body = await ctx.clients.scoring.request("GET", f"/v1/schemes/{segment(scheme_id)}/diff", ctx.user,
                                                 params={"a": from_version, "b": to_version})
        return SchemeDiff(
            scheme_id=str(body.get("scheme_id", scheme_id)), from_version=int(body.get("from_version", from_version)),
            to_version=int(body.get("to_version", to_version)), added=[str(c) for c in body.get("added") or []],
            removed=[str(c) for c in body.get("removed") or []],
            changed=[IndicatorChange(code=str(c.get("code", "")), changes=_changes(c.get("changes")))
                     for c in body.get("changed") or [] if isinstance(c, dict)],
            sections=_changes(body.get("sections")))
