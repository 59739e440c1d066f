"""Schemes (versioned indicator trees, owned by scoring)."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway import loaders
from gateway.context import Context
from gateway.types import text


@strawberry.type(description="A document (材料) a task must be proven by, and the section (科室) that supplies it "
                             "(001 篇5 落实与分工).")
class RequiredDocument:
    name: str
    supplier: str | None


@strawberry.type(description="One node of a scheme's indicator tree.")
class Indicator:
    code: str
    name: str
    max: str | None = strawberry.field(description="Full marks, an exact decimal string.")
    rule_kind: str | None
    fact_kind: str | None
    children: list[Indicator]
    documents: list[RequiredDocument] = strawberry.field(default_factory=list)
    documents_when_missing: str | None = None
    lookback_periods: int | None = None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Indicator:
        """From a scheme document's node (`documents: {required, when_missing}`, `lookback: {periods}`) or from
        scoring's indicator list (`required_documents`, `documents_when_missing`, `lookback_periods`)."""
        rule: dict[str, Any] = row["rule"] if isinstance(row.get("rule"), dict) else {}
        written = row["documents"] if isinstance(row.get("documents"), dict) else {}
        required = row.get("required_documents") or written.get("required") or []
        lookback = row["lookback"].get("periods") if isinstance(row.get("lookback"), dict) else \
            row.get("lookback_periods")
        return cls(code=str(row.get("code", row.get("id", ""))), name=row.get("name", ""), max=text(row, "max"),
                   rule_kind=text(row, "rule_kind") or text(rule, "kind"), fact_kind=text(row, "fact_kind"),
                   children=[cls.from_json(c) for c in row.get("children") or []],
                   documents=[RequiredDocument(name=str(d.get("name", "")), supplier=text(d, "supplier"))
                              for d in required if isinstance(d, dict)],
                   documents_when_missing=text(row, "documents_when_missing") or text(written, "when_missing"),
                   lookback_periods=lookback if isinstance(lookback, int) else None)


@strawberry.type(description="A scheme version: a draft, or published and immutable.")
class Scheme:
    id: strawberry.ID
    version: int | None
    name: str
    status: str | None = strawberry.field(description="draft | published")
    revision: int | None = strawberry.field(description="Draft revision (optimistic concurrency when publishing).")
    published_at: str | None
    indicators: list[Indicator]
    owner_path: str | None = strawberry.field(default=None, description="The office that owns the scheme.")
    version_count: int | None = strawberry.field(
        default=None, description="How many versions the caller may read (drafts only for the office).")
    # the document when the read carried it (single reads); lists leave it to the resolver below
    stored_document: strawberry.Private[dict[str, Any] | None] = dataclasses.field(default=None)

    @strawberry.field(description="The scheme document (docs/scheme-reference.md); lists read it when asked.")
    async def document(self, info: Info[Context, None]) -> JSON | None:
        if self.stored_document is not None or self.version is None:
            return cast(JSON, self.stored_document)
        row = await loaders.scheme_versions(info.context).load((str(self.id), self.version))
        document = row.get("document") if row is not None else None
        return cast(JSON, document) if isinstance(document, dict) else None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Scheme:
        document = row.get("document") if isinstance(row.get("document"), dict) else None
        tree = row.get("indicators") or (document or {}).get("indicators") or []
        version = row.get("version")
        revision = row.get("revision")
        return cls(id=strawberry.ID(str(row.get("scheme_id", row.get("id", "")))),
                   version=int(version) if isinstance(version, int | str) and str(version).isdigit() else None,
                   name=row.get("title") or row.get("name") or (document or {}).get("name", ""),
                   status=text(row, "status"), revision=revision if isinstance(revision, int) else None,
                   published_at=text(row, "published_at"),
                   indicators=[Indicator.from_json(i) for i in tree if isinstance(i, dict)], stored_document=document,
                   owner_path=text(row, "owner_path"),
                   version_count=row["versions"] if isinstance(row.get("versions"), int) else None)


@strawberry.type(description="One problem the engine found in a scheme document.")
class SchemeProblem:
    pointer: str = strawberry.field(description="JSON pointer into the document, e.g. /indicators/0/max.")
    message: str


@strawberry.type(description="The result of validating a scheme: ok, or its problems.")
class SchemeValidation:
    ok: bool
    scheme_id: str | None
    version: int | None
    indicator_count: int | None = strawberry.field(description="Nodes of the indicator tree (when ok).")
    problems: list[SchemeProblem]
    warnings: list[SchemeProblem] = strawberry.field(
        default_factory=list, description="What is valid but very likely a slip (a band paying more than its "
                                          "leaf's max, which the score is held to); the scheme is still accepted.")


@strawberry.type(description="One field of an indicator (or a top-level section) that changed.")
class FieldChange:
    field: str
    before: JSON | None
    after: JSON | None


@strawberry.type(description="An indicator present in both versions whose fields changed.")
class IndicatorChange:
    code: str
    changes: list[FieldChange]


@strawberry.type(description="Two versions of a scheme compared indicator by indicator.")
class SchemeDiff:
    scheme_id: str
    from_version: int
    to_version: int
    added: list[str] = strawberry.field(description="Indicator codes only in the later version.")
    removed: list[str] = strawberry.field(description="Indicator codes only in the earlier version.")
    changed: list[IndicatorChange]
    sections: list[FieldChange] = strawberry.field(description="Top-level sections (grading, ranking…) that changed.")
