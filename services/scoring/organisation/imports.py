"""Units and people from one CSV or xlsx file (issue 17), all or nothing.

Columns: `type` (`unit` or `person`), `id`, `name`; a unit's `slug` and `parent` (the parent unit's id, empty for
a root); a person's `unit` (the unit's id). A row may name a unit made by an earlier row. Each row goes through
the same checks and audit as `POST /v1/units` or `POST /v1/people`, in the file's order; every bad row is reported
as `{row, column, reason}` (services/common/tabular.py BadRows) and then nothing is written."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common.auth import Principal
from services.common.errors import DomainError, InvalidInput
from services.common.tabular import BadRows, table
from services.scoring.organisation import service
from services.scoring.organisation.schemas import PersonCreate, UnitCreate

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
    missing = [c for c in ("type", "id", "name") if c not in names]
    if missing:
        raise InvalidInput(_("the file needs the columns type, id and name (missing: %(names)s)",
                             names=', '.join(missing)),
                           details={"field": "file", "line": header[0]})
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("at most %(max_rows)s rows", max_rows=MAX_ROWS))
    problems: list[dict[str, Any]] = []
    made = {"units": 0, "people": 0}
    for line, cells in rows:
        values = {name: _cell(cell) for name, cell in zip(names, cells, strict=False) if name in COLUMNS}
        if not any(values.values()):
            continue
        problem = await _row(session, principal, values, made)
        if problem is not None:
            problems.append({"row": line, "column": problem[0], "reason": problem[1]})
    if problems:
        raise BadRows(problems, what="created")
    return made


async def _row(session: AsyncSession, principal: Principal, values: dict[str, str | None],
               made: dict[str, int]) -> tuple[str | None, str] | None:
    """Create one row in a savepoint; the (column, reason) of its problem, or None."""
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
        return column, _("%(field)s: %(reason)s", field=column, reason=problem["msg"])
    try:
        async with session.begin_nested():
            if isinstance(payload, UnitCreate):
                await service.create_unit(session, principal, payload)
                made["units"] += 1
            else:
                await service.create_person(session, principal, payload)
                made["people"] += 1
    except DomainError as exc:
        field = (exc.details or {}).get("field") if isinstance(exc.details, dict) else None
        return {"parent_id": "parent", "unit_id": "unit"}.get(field or "", field), exc.message
    return None
