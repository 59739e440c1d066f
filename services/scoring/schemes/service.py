"""Scheme rules: drafts validated by the engine, optimistic concurrency, immutable once published."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.engine import parse_scheme
from kaohe.engine.canonical import canonical_json
from kaohe.engine.scheme import SchemeInvalid, load_document
from kaohe.engine.scheme.loader import DocumentError, DocumentLimit
from kaohe.engine.scheme.model import Scheme as EngineScheme
from kaohe.i18n import _, localize, ngettext
from services.common import audit, clock, listing
from services.common.auth import Principal, Role
from services.common.errors import Conflict, DomainError, InvalidInput, NotFound, message_of
from services.common.workbook import excerpt
from services.scoring.access import require_known
from services.scoring.schemes import repository as repo
from services.scoring.schemes.diff import diff_documents
from services.scoring.schemes.models import Scheme, SchemeVersion
from services.scoring.schemes.schemas import (
    SchemeDiff,
    SchemeListItem,
    SchemePage,
    SchemeVersionRead,
    SchemeVersionSummary,
)

DRAFT_READERS: tuple[Role, ...] = ("admin", "auditor")
DEFAULT_PRECISION = 2


class SchemeInvalidError(DomainError):
    """The engine's validation problems, each with its JSON pointer (scheme-format.md §1)."""

    status_code = 422
    code = "scheme_invalid"


MAX_MESSAGE = 300


def read_document(document: dict[str, Any] | None, text: str | None) -> dict[str, Any]:
    """The scheme as plain JSON values (dates and decimals as strings), so JSONB holds it exactly.
    Blocking (a megabyte of YAML takes a while): the routes call it in a worker thread."""
    if text is not None:
        try:
            document = load_document(text, max_bytes=1_000_000)
        except DocumentLimit as exc:  # too deep, a giant number: a place in the scheme, as any bad scheme
            details = [{"pointer": exc.pointer, "message": localize(exc.sentence)}]
            raise SchemeInvalidError(_("the scheme has 1 problem"), details=details) from None
        except DocumentError as exc:
            raise InvalidInput(message_of(exc), details={"field": "text"}) from None
    normalised: dict[str, Any] = json.loads(canonical_json(document))
    return normalised


def validate(document: dict[str, Any]) -> EngineScheme:
    """Parse with the engine; every problem becomes a 422 `scheme_invalid` detail, its sentence in the request's
    language (the engine's problems are marked messages)."""
    try:
        return parse_scheme(document)
    except SchemeInvalid as exc:
        # a message may quote a value of the document: never more than an excerpt of it (issue 21, item 23)
        details = [{"pointer": p.pointer or "", "message": excerpt(localize(p.message), MAX_MESSAGE)}
                   for p in exc.problems]
        raise SchemeInvalidError(ngettext("the scheme has %(details_count)s problem",
                                          "the scheme has %(details_count)s problems", len(details),
                                          details_count=len(details)),
                                 details=details) from None


@lru_cache(maxsize=64)
def _parsed(scheme_id: str, version: int, document_json: str) -> EngineScheme:
    return parse_scheme(json.loads(document_json))


def engine_scheme(row: SchemeVersion) -> EngineScheme:
    """The parsed scheme of a stored version (cached: published versions never change)."""
    return _parsed(row.scheme_id, row.version, json.dumps(row.document, sort_keys=True))


def _readable(principal: Principal, owner_path: str, versions: list[SchemeVersion]) -> list[SchemeVersion]:
    """The versions the caller may read: drafts only for the office over the scheme and auditors (and services)."""
    drafts = principal.kind == "service" or principal.can(DRAFT_READERS, owner_path)
    return [v for v in versions if drafts or v.status == "published"]


def _summary(row: SchemeVersion, owner_path: str, readable: int) -> dict[str, Any]:
    """The fields every read of a version shows (lists and single reads agree)."""
    indicators = row.document.get("indicators") if isinstance(row.document, dict) else None
    return {"scheme_id": row.scheme_id, "owner_path": owner_path, "version": row.version, "status": row.status,
            "title": row.title, "revision": row.revision, "published_at": row.published_at, "versions": readable,
            "indicators": indicators if isinstance(indicators, list) else []}


async def _read(session: AsyncSession, principal: Principal, row: SchemeVersion) -> SchemeVersionRead:
    scheme = await repo.get_scheme(session, row.scheme_id)
    owner = scheme.owner_path if scheme is not None else ""
    readable = _readable(principal, owner, await repo.list_versions(session, row.scheme_id))
    return SchemeVersionRead(**_summary(row, owner, len(readable)), created_by=row.created_by,
                             created_at=row.created_at, updated_at=row.updated_at, document=row.document)


async def _version_row(session: AsyncSession, scheme_id: str, version: int, *, lock: bool = False) -> SchemeVersion:
    row = await repo.get_version(session, scheme_id, version, lock=lock)
    if row is None:
        raise NotFound(_("scheme %(scheme_id)s version %(version)s not found", scheme_id=scheme_id, version=version))
    return row


async def create_draft(
    session: AsyncSession, principal: Principal, *, document: dict[str, Any], owner_path: str
) -> SchemeVersionRead:
    """Store a validated draft; the version is the document's or the next free one."""
    scheme = validate(document)
    existing = await repo.get_scheme(session, scheme.id)
    owner = existing.owner_path if existing else owner_path
    principal.require("admin", owner)
    if existing is None:
        await repo.add(session, Scheme(id=scheme.id, owner_path=owner_path))
    if await repo.get_version(session, scheme.id, scheme.version) is not None:
        raise Conflict(_("scheme %(scheme_id)s version %(version)s exists; edit the draft or use another version",
                         scheme_id=scheme.id, version=scheme.version))
    now = clock.now()
    row = SchemeVersion(scheme_id=scheme.id, version=scheme.version, status="draft", title=scheme.title,
                        document=document, revision=1, created_by=principal.subject, created_at=now, updated_at=now)
    await repo.add(session, row)
    audit.record(session, actor=principal, action="scheme.draft", entity_type="scheme_version",
                 entity_id=f"{row.scheme_id}@{row.version}", after=document)
    return await _read(session, principal, row)


async def _writable_draft(
    session: AsyncSession, principal: Principal, scheme_id: str, version: int, revision: int
) -> SchemeVersion:
    scheme = await repo.get_scheme(session, scheme_id)
    if scheme is None:
        raise NotFound(_("scheme %(scheme_id)s not found", scheme_id=scheme_id))
    principal.require("admin", scheme.owner_path)
    row = await _version_row(session, scheme_id, version, lock=True)
    if row.status != "draft":
        raise Conflict(_("scheme %(scheme_id)s version %(version)s is published and immutable",
                         scheme_id=scheme_id, version=version))
    if row.revision != revision:
        raise Conflict(_("the draft is at revision %(revision)s, not %(revision2)s; reload and reapply your edit",
                         revision=row.revision, revision2=revision),
                       details={"current_revision": row.revision})
    return row


async def update_draft(
    session: AsyncSession, principal: Principal, *, scheme_id: str, version: int, document: dict[str, Any],
    revision: int,
) -> SchemeVersionRead:
    """Replace a draft's document (same id and version), bumping its revision."""
    row = await _writable_draft(session, principal, scheme_id, version, revision)
    parsed = validate(document)
    if (parsed.id, parsed.version) != (scheme_id, version):
        raise InvalidInput(_("the document is %(parsed_id)s version %(version)s, not %(scheme_id)s version "
                             "%(version2)s",
                             parsed_id=parsed.id, version=parsed.version, scheme_id=scheme_id, version2=version),
                           details={"field": "document"})
    before = row.document
    row.document, row.title, row.revision = document, parsed.title, row.revision + 1
    row.updated_at = clock.now()
    await session.flush()
    audit.record(session, actor=principal, action="scheme.update", entity_type="scheme_version",
                 entity_id=f"{scheme_id}@{version}", before=before, after=document)
    return await _read(session, principal, row)


async def publish(
    session: AsyncSession, principal: Principal, *, scheme_id: str, version: int, revision: int
) -> SchemeVersionRead:
    """Freeze a draft: from now on every write to it is 409."""
    row = await _writable_draft(session, principal, scheme_id, version, revision)
    validate(row.document)
    row.status, row.published_at = "published", clock.now()
    row.revision += 1
    await session.flush()
    audit.record(session, actor=principal, action="scheme.publish", entity_type="scheme_version",
                 entity_id=f"{scheme_id}@{version}", before={"status": "draft"}, after={"status": "published"})
    return await _read(session, principal, row)


async def get_version(session: AsyncSession, principal: Principal, scheme_id: str, version: int) -> SchemeVersionRead:
    """A scheme version (draft or published); scheme rules are published to everyone assessed by them."""
    require_known(principal)
    return await _read(session, principal, await _version_row(session, scheme_id, version))


async def list_schemes(session: AsyncSession, principal: Principal, *, limit: int, after: str | None,
                       owner_path: str | None = None) -> SchemePage:
    """The schemes the caller's grants relate to, each with the latest version it may read: a
    published one, or a draft for the office over the scheme (admin) and auditors."""
    require_known(principal)
    key = listing.decode_cursor(after, 1)
    draft_scopes = principal.scopes_for(*DRAFT_READERS) if principal.kind != "service" else [""]
    visible = and_(listing.related_paths(Scheme.owner_path, principal),
                   or_(repo.published_exists(), listing.scopes_covering(Scheme.owner_path, draft_scopes)),
                   *([Scheme.owner_path == owner_path.strip("/")] if owner_path is not None else []))
    rows, total = await repo.page(session, visible, limit=limit + 1, after=key[0] if key else None)
    more, rows = len(rows) > limit, rows[:limit]
    versions: dict[str, list[SchemeVersion]] = {}
    for version in await repo.versions_of(session, [r.id for r in rows]):
        versions.setdefault(version.scheme_id, []).append(version)
    items = []
    for row in rows:
        readable = _readable(principal, row.owner_path, versions.get(row.id, []))
        items.append(SchemeListItem(**_summary(readable[-1], row.owner_path, len(readable))))
    return SchemePage(items=items, total_count=total, next=listing.encode_cursor(rows[-1].id) if more else None)


async def list_versions(session: AsyncSession, principal: Principal, scheme_id: str) -> list[SchemeVersionSummary]:
    require_known(principal)
    rows = await repo.list_versions(session, scheme_id)
    scheme = await repo.get_scheme(session, scheme_id)
    if not rows or scheme is None:
        raise NotFound(_("scheme %(scheme_id)s not found", scheme_id=scheme_id))
    readable = len(_readable(principal, scheme.owner_path, rows))
    return [SchemeVersionSummary(**_summary(r, scheme.owner_path, readable)) for r in rows]


async def diff(session: AsyncSession, principal: Principal, scheme_id: str, a: int, b: int) -> SchemeDiff:
    """What changed from version `a` to version `b`, indicator by indicator."""
    require_known(principal)
    before = await _version_row(session, scheme_id, a)
    after = await _version_row(session, scheme_id, b)
    added, removed, changed, sections = diff_documents(before.document, after.document)
    return SchemeDiff(scheme_id=scheme_id, from_version=a, to_version=b, added=added, removed=removed,
                      changed=changed, sections=sections)


async def precision(session: AsyncSession, scheme_id: str, version: int) -> int:
    """A version's points precision (scheme-format §1: default 2), read without its whole document."""
    found = await repo.precision(session, scheme_id, version)
    return found if found is not None else DEFAULT_PRECISION


async def published_version(session: AsyncSession, scheme_id: str, version: int) -> SchemeVersion:
    """For periods: the version must exist and be published."""
    row = await _version_row(session, scheme_id, version)
    if row.status != "published":
        raise Conflict(_("scheme %(scheme_id)s version %(version)s is a draft; publish it first",
                         scheme_id=scheme_id, version=version))
    return row
