"""Units and people from one CSV or xlsx file (issue 17), all or nothing.

Columns: `type` (`unit` or `person`), `name`, `id` (only an admin of the whole organisation gives one; an empty
cell or no column and one is made); a unit's `slug` and `parent` (the parent unit's id, empty for a root); a
person's `unit` (the unit's id). A row may name a unit made by an earlier row by the id it gives. Each row goes
through the same checks and audit as `POST /v1/units` or `POST /v1/people`, in the file's order; every bad row is
reported as `{row, column, reason}` (services/common/tabular.py BadRows) and then nothing is written. The answer counts
what was made and lists the look-alike names (`warnings`: `{row, column, code, message, similar_to}`), kept as
`createUnit` and `createPerson` keep them."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common.auth import Principal, may_choose_ids, require_id_chooser
from services.common.errors import Conflict, DomainError, InvalidInput
from services.common.i18n import pydantic_reason
from services.common.names import NameIndex
from services.common.tabular import BadRows, table
from services.scoring.organisation import repository as repo
from services.scoring.organisation import service
from services.scoring.organisation.models import Person, Unit
from services.scoring.organisation.schemas import NameWarning, PersonCreate, PersonCreated, UnitCreate, UnitCreated

COLUMNS = ("type", "id", "name", "slug", "parent", "unit")
MAX_ROWS = 20_000


def _cell(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


async def import_organisation(session: AsyncSession, principal: Principal, filename: str,
                              data: bytes) -> dict[str, Any]:
    """Create every unit and person of the file; BadRows naming every bad row, nothing written, otherwise."""
    header, rows = table(filename, data)
    names = [str(h or "").strip() for h in header[1]]
    missing = [c for c in ("type", "name") if c not in names]
    if missing:
        raise InvalidInput(_("the file needs the columns type and name (missing: %(names)s)",
                             names=', '.join(missing)),
                           details={"field": "file", "line": header[0]})
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("at most %(max_rows)s rows", max_rows=MAX_ROWS))
    problems: list[dict[str, Any]] = []
    made: dict[str, Any] = {"units": 0, "people": 0, "warnings": []}
    lined = [(line, values) for line, cells in rows
             if any((values := {name: _cell(cell) for name, cell in zip(names, cells, strict=False)
                                if name in COLUMNS}).values())]
    known = await _Known.read(session, [values for _, values in lined] if may_choose_ids(principal) else [])
    try:
        for line, values in lined:
            outcome = await _row(session, principal, values, made, known)
            if isinstance(outcome, tuple):
                problems.append({"row": line, "column": outcome[0], "reason": outcome[1]})
            else:  # created; a name that looks like another of its parent or unit is kept, with a warning
                made["warnings"] += [{"row": line, "column": "name", **w.model_dump()} for w in outcome]
    except IntegrityError:  # an id taken by another writer since the file's ids were read
        raise Conflict(_("a unit or person of this file was created by someone else meanwhile; nothing was "
                         "created: upload the file again")) from None
    if problems:
        raise BadRows(problems, what="created")
    return made


class _Known:
    """What the file's rows need from the database, read once: which of its ids are taken, the names under each
    parent and in each unit it writes to (NameIndex: each row's look-alike check is a lookup), and those units
    themselves (held here, so that the session's identity map answers each row's look-up of its parent or unit).
    Each row that is made is added."""

    def __init__(self, session: AsyncSession, taken: dict[str, set[str]]) -> None:
        self.session, self.taken = session, taken
        self.units: dict[str | None, NameIndex] = {}
        self.people: dict[str, NameIndex] = {}
        self.held: dict[str, Unit | None] = {}

    @classmethod
    async def read(cls, session: AsyncSession, rows: list[dict[str, str | None]]) -> _Known:
        def ids(kind: str) -> list[str]:
            return sorted({i for row in rows if row.get("type") == kind and (i := row.get("id"))})

        return cls(session, {"unit": await repo.taken_ids(session, Unit, ids("unit")),
                             "person": await repo.taken_ids(session, Person, ids("person"))})

    async def hold(self, unit_id: str | None) -> None:
        if unit_id is not None and unit_id not in self.held:
            self.held[unit_id] = await repo.get_unit(self.session, unit_id)

    async def under(self, parent_id: str | None) -> NameIndex:
        await self.hold(parent_id)
        if parent_id not in self.units:
            self.units[parent_id] = NameIndex(await repo.names_under(self.session, parent_id))
        return self.units[parent_id]

    async def in_unit(self, unit_id: str) -> NameIndex:
        await self.hold(unit_id)
        if unit_id not in self.people:
            self.people[unit_id] = NameIndex(await repo.names_in_unit(self.session, unit_id))
        return self.people[unit_id]


async def _row(session: AsyncSession, principal: Principal, values: dict[str, str | None],
               made: dict[str, Any], known: _Known) -> tuple[str | None, str] | list[NameWarning]:
    """Create one row; the (column, reason) of its problem, or the warnings of its name."""
    kind = values.get("type")
    try:
        if kind == "unit":
            payload: UnitCreate | PersonCreate = UnitCreate(id=values.get("id"), name=values.get("name") or "",
                                                            slug=values.get("slug") or "",
                                                            parent_id=values.get("parent"))
        elif kind == "person":
            payload = PersonCreate(id=values.get("id"), name=values.get("name") or "", unit_id=values.get("unit") or "")
        else:
            return "type", _("type must be unit or person, not %(kind)r", kind=kind)
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        field = str(problem["loc"][0]) if problem["loc"] else None
        column = {"parent_id": "parent", "unit_id": "unit"}.get(field or "", field)
        return column, _("%(field)s: %(reason)s", field=column, reason=pydantic_reason(problem))
    # No savepoint: a refused row has written nothing (its checks only read), and its insert cannot fail on its id,
    # which is new (a generated one, or one _Known found free and no earlier row of the file took).
    taken = known.taken[kind]
    try:
        require_id_chooser(principal, payload.id)  # before the taken ids are consulted, as one call checks it
        if payload.id is not None and payload.id in taken:  # as one call's 409 says it
            return "id", _("unit %(id)s exists", id=payload.id) if kind == "unit" else _("person %(id)s exists",
                                                                                        id=payload.id)
        if isinstance(payload, UnitCreate):
            created: UnitCreated | PersonCreated = await service.create_unit(
                session, principal, payload, await known.under(payload.parent_id), id_is_new=True)
            made["units"] += 1
        else:
            created = await service.create_person(session, principal, payload, await known.in_unit(payload.unit_id),
                                                  id_is_new=True)
            made["people"] += 1
    except DomainError as exc:
        field = (exc.details or {}).get("field") if isinstance(exc.details, dict) else None
        return {"parent_id": "parent", "unit_id": "unit"}.get(field or "", field), exc.message
    taken.add(created.id)
    return created.warnings
