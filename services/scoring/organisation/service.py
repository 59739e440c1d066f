"""Organisation rules: the unit tree, people, and hashed API keys for portals."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common import audit, listing
from services.common.auth import Principal, require_id_chooser, scope_covers
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.localtime import shown_instant
from services.common.names import NameIndex
from services.scoring.access import READ_ROLES, is_service, require_known
from services.scoring.organisation import repository as repo
from services.scoring.organisation.models import ApiKey, Person, Unit
from services.scoring.organisation.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyCreators,
    ApiKeyIdentity,
    ApiKeyRead,
    NameWarning,
    PersonCreate,
    PersonCreated,
    PersonPage,
    PersonRead,
    UnitCreate,
    UnitCreated,
    UnitPage,
    UnitRead,
)

KEY_PREFIX = "khk_"


def _may_see(principal: Principal, path: str) -> bool:
    return is_service(principal) or principal.can((*READ_ROLES, "submitter", "rater"), path)


def _look_alikes(name: str, others: NameIndex, where: str) -> list[NameWarning]:
    """A warning for each name of the same unit that looks like the new one (issue 21, item 26)."""
    return [NameWarning(message=f"the name looks like {other!r} ({other_id}) {where}", similar_to=other_id)
            for other_id, other in others.alikes(name)]


async def create_unit(session: AsyncSession, principal: Principal, payload: UnitCreate,
                      siblings: NameIndex | None = None, *, id_is_new: bool = False) -> UnitCreated:
    """Add a unit under its parent (or a root); the admin must cover the new unit's path. `siblings`: the names of
    the parent's units when the caller keeps them (a file of many units), else they are read; the new unit's name
    is added to it. `id_is_new`: the caller made sure no unit has the id (see _insert). Only an admin of the whole
    organisation gives `id`, checked first (require_id_chooser)."""
    require_id_chooser(principal, payload.id)
    parent_path = ""
    if payload.parent_id is not None:
        parent = await repo.get_unit(session, payload.parent_id)
        if parent is None or not _may_see(principal, parent.path):  # another branch's unit is not confirmed
            raise InvalidInput(_("parent unit not found"), details={"field": "parent_id"})
        parent_path = parent.path
    path = f"{parent_path}/{payload.slug}" if parent_path else payload.slug
    principal.require("admin", path)
    if await repo.unit_by_path(session, path) is not None:
        raise Conflict(_("a unit with path %(path)s exists", path=path))
    if siblings is None:
        siblings = NameIndex(await repo.names_under(session, payload.parent_id))
    warnings = _look_alikes(payload.name, siblings, "under the same parent")
    unit = Unit(id=payload.id or uuid.uuid4().hex, name=payload.name, slug=payload.slug,
                parent_id=payload.parent_id, path=path)
    await _insert(session, unit, guarded=not id_is_new)
    siblings.add(unit.id, unit.name)
    read = UnitRead.model_validate(unit)
    audit.record(session, actor=principal, action="unit.create", entity_type="unit", entity_id=unit.id,
                 after=read.model_dump())
    return UnitCreated(**read.model_dump(), warnings=warnings)


async def _insert(session: AsyncSession, row: Unit | Person | ApiKey, *, guarded: bool = True) -> None:
    """Insert the row, in a savepoint: a taken id is a 409 and the transaction goes on. Unguarded for a caller that
    made sure the id is new (a file's import reads all its ids at once): a savepoint costs two statements, each with
    a name of its own and so prepared anew, which made most of a 10,000-row file's time."""
    if not guarded:
        await repo.add(session, row)
        return
    try:
        async with session.begin_nested():
            await repo.add(session, row)
    except IntegrityError:
        raise Conflict(_("unit %(id)s exists", id=row.id) if isinstance(row, Unit) else
                       _("person %(id)s exists", id=row.id) if isinstance(row, Person) else
                       _("API key %(id)s exists", id=row.id)) from None


async def list_units(session: AsyncSession, principal: Principal, ids: list[str]) -> list[UnitRead]:
    """Batch read; units outside the caller's scopes are left out."""
    units = await repo.units_by_ids(session, ids)
    return [UnitRead.model_validate(u) for u in units if _may_see(principal, u.path)]


async def units_by_paths(session: AsyncSession, principal: Principal, paths: list[str]) -> list[UnitRead]:
    """Units by path (a unit's ancestors): those within the caller's scopes and those above them (as the tree's
    children list shows them, on the way down to the caller's units); others are left out."""
    units = await repo.units_by_paths(session, paths)
    return [UnitRead.model_validate(u) for u in units
            if _may_see(principal, u.path) or any(scope_covers(u.path, g.scope) for g in principal.grants)]


async def children(session: AsyncSession, principal: Principal, parent_id: str | None, *, after: str | None,
                   limit: int) -> UnitPage:
    """The units directly under a unit (or the roots) that the caller may see: within a scope it reads, or on the
    way to one (so that a district's staff can walk down from the city to their district)."""
    require_known(principal)
    key = listing.decode_cursor(after, 1)
    visible = listing.related_paths(Unit.path, principal)
    rows, total = await repo.children(session, parent_id, visible, after=key[0] if key else None, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return UnitPage(items=[UnitRead.model_validate(u) for u in rows], total_count=total,
                    next=listing.encode_cursor(rows[-1].path) if more else None)


async def people_of_unit(session: AsyncSession, principal: Principal, unit_id: str, *, after: str | None,
                         limit: int) -> PersonPage:
    """The people of a unit the caller may read (404 otherwise, as for a unit that does not exist)."""
    unit = await repo.get_unit(session, unit_id)
    if unit is None or not _may_see(principal, unit.path):
        raise NotFound(_("unit %(unit_id)s not found", unit_id=unit_id))
    key = listing.decode_cursor(after, 1)
    rows, total = await repo.people_of_unit(session, unit.id, after=key[0] if key else None, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return PersonPage(items=[PersonRead(id=p.id, name=p.name, unit_id=unit.id, unit_path=unit.path) for p in rows],
                      total_count=total, next=listing.encode_cursor(rows[-1].id) if more else None)


async def create_person(session: AsyncSession, principal: Principal, payload: PersonCreate,
                        colleagues: NameIndex | None = None, *, id_is_new: bool = False) -> PersonCreated:
    """Add a member of staff to a unit the admin covers. `colleagues`: the names of the unit's people when the
    caller keeps them, else they are read; the new person's name is added to it. `id_is_new`: the caller made sure
    no person has the id (see _insert). Only an admin of the whole organisation gives `id`, checked first
    (require_id_chooser)."""
    require_id_chooser(principal, payload.id)
    unit = await repo.get_unit(session, payload.unit_id)
    if unit is None or not _may_see(principal, unit.path):  # another branch's unit is not confirmed
        raise InvalidInput(_("unit not found"), details={"field": "unit_id"})
    principal.require("admin", unit.path)
    if colleagues is None:
        colleagues = NameIndex(await repo.names_in_unit(session, unit.id))
    warnings = _look_alikes(payload.name, colleagues, "in the same unit")
    person = Person(id=payload.id or uuid.uuid4().hex, name=payload.name, unit_id=unit.id)
    await _insert(session, person, guarded=not id_is_new)
    colleagues.add(person.id, person.name)
    read = PersonRead(id=person.id, name=person.name, unit_id=unit.id, unit_path=unit.path)
    audit.record(session, actor=principal, action="person.create", entity_type="person", entity_id=person.id,
                 after=read.model_dump())
    return PersonCreated(**read.model_dump(), warnings=warnings)


async def list_people(session: AsyncSession, principal: Principal, ids: list[str]) -> list[PersonRead]:
    """Batch read; people outside the caller's scopes are left out (a subject sees itself)."""
    rows = await repo.people_by_ids(session, ids)
    return [
        PersonRead(id=p.id, name=p.name, unit_id=p.unit_id, unit_path=path)
        for p, path in rows
        if _may_see(principal, path) or p.id in principal.subject_ids
    ]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _admin_covers_key(principal: Principal, grants: list[dict[str, Any]]) -> bool:
    return all(principal.can("admin", g.get("scope", "")) for g in grants)


async def create_api_key(session: AsyncSession, principal: Principal, payload: ApiKeyCreate) -> ApiKeyCreated:
    """Issue a key; an admin may only hand out grants within the scopes it administers."""
    grants = [g.model_dump() for g in payload.grants]
    if principal.kind == "api_key":  # a leaked key must not be able to outlive its revocation in keys it made
        raise Forbidden(_("an API key cannot create API keys: a person of the office creates them"))
    if not _admin_covers_key(principal, grants):
        raise Forbidden(_("an API key may only carry grants within the scopes you administer"))
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(id=uuid.uuid4().hex, name=payload.name, key_sha256=_hash(secret), grants=grants,
                 created_by=principal.subject, creator_subject_ids=list(principal.subject_ids), created_at=repo.now())
    await repo.add(session, row)
    audit.record(session, actor=principal, action="api_key.create", entity_type="api_key", entity_id=row.id,
                 after={"name": row.name, "grants": grants})
    return ApiKeyCreated(**ApiKeyRead.model_validate(row).model_dump(), key=secret)


async def list_api_keys(session: AsyncSession, principal: Principal) -> list[ApiKeyRead]:
    """The live keys whose every grant lies within the caller's admin scopes."""
    if not principal.has_role("admin"):
        raise Forbidden(_("only administrators list API keys"))
    rows = await repo.list_api_keys(session)
    return [ApiKeyRead.model_validate(r) for r in rows if _admin_covers_key(principal, r.grants)]


async def revoke_api_key(session: AsyncSession, principal: Principal, key_id: str) -> None:
    """Revoke a key (kept for the audit trail); 404 when unknown or outside the caller's scopes."""
    row = await repo.get_api_key(session, key_id)
    if row is None or not _admin_covers_key(principal, row.grants):
        raise NotFound(_("API key %(key_id)s not found", key_id=key_id))
    if row.revoked_at is not None:
        raise Conflict(_("API key %(key_id)s was revoked at %(revoked_at)s",
                         key_id=key_id, revoked_at=shown_instant(row.revoked_at)))
    row.revoked_at = repo.now()
    await session.flush()
    audit.record(session, actor=principal, action="api_key.revoke", entity_type="api_key", entity_id=row.id,
                 before={"name": row.name, "grants": row.grants})


async def verify_api_key(session: AsyncSession, key: str) -> ApiKeyIdentity:
    """The identity behind a key, for the gateway; records when it was last used."""
    row = await repo.api_key_by_hash(session, _hash(key))
    if row is None:
        raise NotFound(_("unknown or revoked API key"))
    row.last_used_at = repo.now()
    await session.flush()
    return ApiKeyIdentity.model_validate({"id": row.id, "name": row.name, "grants": row.grants,
                                          "created_by": row.created_by, "creator_subject_ids": row.creator_subject_ids})


async def api_key_creators(session: AsyncSession, key_ids: list[str]) -> ApiKeyCreators:
    """Who created each of these keys (revoked ones too): the person an `api-key:<id>` actor stands for."""
    return ApiKeyCreators(creators=await repo.api_key_creators(session, key_ids))


def unit_path_covers(scope: str, path: str) -> bool:
    """Re-exported for the other contexts of scoring."""
    return scope_covers(scope, path)
