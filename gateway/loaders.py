"""Per-request DataLoaders over the services' batch endpoints, and the scope checks built on them.

A page of N subjects with their scores, results and units costs one call per kind of data,
not one per subject: keys are grouped by period and sent as `?ids=` / `?subject_ids=`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from gateway import access
from gateway.clients import GATEWAY
from gateway.context import Context
from kaohe.i18n import _
from services.common.errors import DomainError, NotFound
from services.common.peers import segment
from services.common.separation import api_key_id

BATCH_LIMIT = 100  # ids per backend call; a page never holds more
PeriodKey = tuple[str, str]  # (period_id, id)


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), BATCH_LIMIT):
        yield ids[start:start + BATCH_LIMIT]


def rows_of(body: Any, key: str) -> list[dict[str, Any]]:
    """A batch endpoint's rows, whether it answers a bare list or `{key: [...]}`."""
    if isinstance(body, dict):
        body = body.get(key, body.get("items", []))
    return list(body or [])


def _period_batch(ctx: Context, service: str, path: str, param: str, key: str, id_field: str = "id", *,
                  as_gateway: bool = False,
                  carry: tuple[str, ...] = (),
                  ) -> Callable[[list[PeriodKey]], Awaitable[list[dict[str, Any] | BaseException | None]]]:
    """Batch reads by period; `carry` names fields of the whole answer each row takes along (a scheme's precision)."""
    async def load(keys: list[PeriodKey]) -> list[dict[str, Any] | BaseException | None]:
        wanted: dict[str, list[str]] = defaultdict(list)
        for period_id, item_id in keys:
            if item_id not in wanted[period_id]:
                wanted[period_id].append(item_id)
        found: dict[PeriodKey, dict[str, Any]] = {}
        unnamable: dict[str, NotFound] = {}
        client = ctx.clients.by_name[service]  # type: ignore[index]
        for period_id, ids in wanted.items():
            try:  # the id is one encoded path segment: a client's id never reaches another route (".", "?", "/")
                url = path.format(period_id=segment(period_id))
            except NotFound:
                unnamable[period_id] = _no_period(period_id)  # as an unknown period, for its keys only
                continue
            for chunk in _chunks(ids):
                body = await client.request("GET", url, GATEWAY if as_gateway else ctx.user,
                                            params={param: ",".join(chunk)})
                shared = {name: body[name] for name in carry if isinstance(body, dict) and name in body}
                for row in rows_of(body, key):
                    found[(period_id, str(row.get(id_field)))] = {**row, **shared} if shared else row
        return [unnamable.get(k[0]) or found.get(k) for k in keys]

    return load


def _plain_batch(ctx: Context, path: str, key: str) -> Callable[[list[str]], Awaitable[list[dict[str, Any] | None]]]:
    async def load(keys: list[str]) -> list[dict[str, Any] | None]:
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(dict.fromkeys(keys))):
            body = await ctx.clients.scoring.request("GET", path, ctx.user, params={"ids": ",".join(chunk)})
            found.update({str(row.get("id")): row for row in rows_of(body, key)})
        return [found.get(k) for k in keys]

    return load


def _loader(ctx: Context, name: str, batch: Any) -> DataLoader[Any, dict[str, Any] | None]:
    found: DataLoader[Any, dict[str, Any] | None] = ctx.loader(name, lambda: DataLoader(batch))
    return found


def subjects(ctx: Context) -> DataLoader[PeriodKey, dict[str, Any] | None]:
    """Subjects of a period by (period, subject id): scoring `GET /v1/periods/{id}/subjects?ids=`."""
    return _loader(ctx, "subjects", _period_batch(ctx, "scoring", "/v1/periods/{period_id}/subjects", "ids",
                                                  "subjects"))


def subject_scopes(ctx: Context) -> DataLoader[PeriodKey, dict[str, Any] | None]:
    """Subjects read as the gateway itself, only to learn their unit paths for its own scope
    checks (scoring shows subjects to readers only; a submitter's check needs the path too)."""
    return _loader(ctx, "subject_scopes", _period_batch(ctx, "scoring", "/v1/periods/{period_id}/subjects", "ids",
                                                        "subjects", as_gateway=True))


def scores(ctx: Context) -> DataLoader[PeriodKey, dict[str, Any] | None]:
    """Latest scores by (period, subject id): scoring `GET /v1/periods/{id}/scores?subject_ids=`."""
    return _loader(ctx, "scores", _period_batch(ctx, "scoring", "/v1/periods/{period_id}/scores", "subject_ids",
                                                "subjects", carry=("precision",)))


def results(ctx: Context) -> DataLoader[PeriodKey, dict[str, Any] | None]:
    """Results by (period, subject id): ranking `GET /v1/periods/{id}/results?subject_ids=`."""
    return _loader(ctx, "results", _period_batch(ctx, "ranking", "/v1/periods/{period_id}/results", "subject_ids",
                                                 "results", "subject_id"))


K = TypeVar("K")


def _each(read: Callable[[K], Awaitable[Any]]) -> Callable[[list[K]], Awaitable[list[Any]]]:
    """A batch of keys read one call per key, each key failing on its own: a refusal (an unknown id's 404) is
    that key's answer as an exception instance, which DataLoader raises for that key alone, not for the others
    of the batch."""
    async def load(keys: list[K]) -> list[Any]:
        answers: list[Any] = []
        for key in keys:
            try:
                answers.append(await read(key))
            except Exception as exc:  # handed to DataLoader as this key's answer
                answers.append(exc)
        return answers

    return load


def scheme_versions(ctx: Context) -> DataLoader[tuple[str, int], dict[str, Any] | None]:
    """Scheme versions with their document by (scheme id, version), as the caller: one call per
    distinct version (scoring has no batch read of versions; a page shares few)."""
    async def read(key: tuple[str, int]) -> Any:
        scheme_id, version = key
        return await ctx.clients.scoring.request(
            "GET", f"/v1/schemes/{segment(scheme_id)}/versions/{segment(str(version))}", ctx.user)

    return _loader(ctx, "scheme_versions", _each(read))


def units(ctx: Context) -> DataLoader[str, dict[str, Any] | None]:
    """Organisation units by id: scoring `GET /v1/units?ids=`."""
    return _loader(ctx, "units", _plain_batch(ctx, "/v1/units", "units"))


def people(ctx: Context) -> DataLoader[str, dict[str, Any] | None]:
    """People by id: scoring `GET /v1/people?ids=`."""
    return _loader(ctx, "people", _plain_batch(ctx, "/v1/people", "people"))


def _by_submission(ctx: Context, path: str) -> Callable[[list[str]], Awaitable[list[list[dict[str, Any]]]]]:
    async def load(keys: list[str]) -> list[list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for chunk in _chunks(list(dict.fromkeys(keys))):
            body = await ctx.clients.evidence.request("GET", path, ctx.user,
                                                      params={"submission_ids": ",".join(chunk)})
            for row in rows_of(body, "items"):
                found[str(row.get("submission_id"))].append(row)
        return [found.get(k, []) for k in keys]

    return load


def attachments(ctx: Context) -> DataLoader[str, list[dict[str, Any]]]:
    """Attachments by submission id: evidence `GET /v1/attachments?submission_ids=` (the service
    leaves out submissions the caller may not read)."""
    found: DataLoader[str, list[dict[str, Any]]] = ctx.loader(
        "attachments", lambda: DataLoader(_by_submission(ctx, "/v1/attachments")))
    return found


def decisions(ctx: Context) -> DataLoader[str, list[dict[str, Any]]]:
    """Review decisions by submission id: evidence `GET /v1/review-decisions?submission_ids=`."""
    found: DataLoader[str, list[dict[str, Any]]] = ctx.loader(
        "decisions", lambda: DataLoader(_by_submission(ctx, "/v1/review-decisions")))
    return found


def key_creators(ctx: Context) -> DataLoader[str, str | None]:
    """The person each API key acts for (its creator's `sub`), by key id: scoring `GET /v1/api-keys/creators?ids=`,
    a services' read asked as the gateway. Only `acting_for` uses it, with the actors of records the services gave
    the caller under its own grants, so it tells nothing about a key the caller meets nowhere."""
    async def load(keys: list[str]) -> list[str | None]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(keys))):
            body = await ctx.clients.scoring.request("GET", "/v1/api-keys/creators", GATEWAY,
                                                     params={"ids": ",".join(chunk)})
            creators = body.get("creators") if isinstance(body, dict) else None
            if isinstance(creators, dict):
                found.update({str(key): str(creator) for key, creator in creators.items()})
        return [found.get(k) for k in keys]

    made: DataLoader[str, str | None] = ctx.loader("key_creators", lambda: DataLoader(load))
    return made


async def acting_for(ctx: Context, actor: str | None) -> str | None:
    """On whose behalf the stored `actor` of a record the caller read acted: an API key (`api-key:<id>`) for its
    creator, as audit records' `details.on_behalf_of` say; None for a person or a service acting itself (and for a
    key scoring does not know)."""
    key = api_key_id(actor)
    return None if key is None else await key_creators(ctx).load(key)


def periods(ctx: Context) -> DataLoader[str, dict[str, Any] | None]:
    """Periods by id, read as the gateway only to learn their owner for its own checks (an unknown period fails
    alone: the other periods of the batch are still read)."""
    async def read(period_id: str) -> Any:
        return await ctx.clients.scoring.request("GET", f"/v1/periods/{segment(period_id)}", GATEWAY)

    return _loader(ctx, "periods", _each(read))


def _no_period(period_id: str) -> NotFound:
    return NotFound(_("period %(period_id)s not found", period_id=period_id))


def _not_enrolled(period_id: str, subject_id: str) -> NotFound:
    return NotFound(_("subject %(subject_id)s is not enrolled in period %(period_id)s",
                      subject_id=subject_id, period_id=period_id))


async def authorize_period(ctx: Context, operation: str, period_id: str) -> None:
    """Check an office act on a period against the period's owner (its `owner_path`); a read of a period off the
    branch of the caller's grants is NOT_FOUND, as for a period that does not exist."""
    user = ctx.user
    access.require_role(user, operation)
    try:
        period = await periods(ctx).load(period_id)
    except DomainError as exc:  # a service's refusal arrives as a DomainError with its status
        if exc.status_code != 404:
            raise
        raise _no_period(period_id) from None
    access.require_read(user, operation, _no_period(period_id), unit_path=str((period or {}).get("owner_path", "")),
                        owner=True)


async def authorize_period_list(ctx: Context, operation: str, period_id: str) -> None:
    """Check a period-wide list (`operation` without a subject): a role of the operation somewhere, and a period
    that exists on the branch of the caller's grants (or a person's own token); else NOT_FOUND, as for a period that
    does not exist. The service then lists only the rows within the caller's grants."""
    user = ctx.user
    access.require_role(user, operation)
    try:
        period = await periods(ctx).load(period_id)
    except DomainError as exc:
        if exc.status_code != 404:
            raise
        raise _no_period(period_id) from None
    if period is None or not (user.relates_to(str(period.get("owner_path", ""))) or user.subject_ids):
        raise _no_period(period_id)


async def authorize_subject(ctx: Context, operation: str, period_id: str, subject_id: str) -> dict[str, Any]:
    """Check `operation` on one subject of a period (its unit path from scoring) and return it; a read about a
    subject outside the caller's grants is NOT_FOUND, as for a subject that is not enrolled."""
    user = ctx.user
    access.require_role(user, operation)
    subject = await subject_scopes(ctx).load((period_id, subject_id))
    if subject is None:
        raise _not_enrolled(period_id, subject_id)
    access.require_read(user, operation, _not_enrolled(period_id, subject_id),
                        unit_path=str(subject.get("unit_path", "")), subject_id=subject_id)
    return subject


async def authorize_subjects(ctx: Context, operation: str, period_id: str, subject_ids: list[str]) -> None:
    """Check `operation` on every one of a period's subjects, their unit paths read in one batch."""
    user = ctx.user
    access.require_role(user, operation)
    ids = list(dict.fromkeys(subject_ids))
    for subject_id, subject in zip(ids, await subject_scopes(ctx).load_many([(period_id, i) for i in ids]),
                                   strict=True):
        if subject is None:
            raise NotFound(_("subject %(subject_id)s is not enrolled in period %(period_id)s",
                             subject_id=subject_id, period_id=period_id))
        access.require(user, operation, unit_path=str(subject.get("unit_path", "")), subject_id=subject_id)


async def visible_rows(ctx: Context, operation: str, period_id: str, rows: list[dict[str, Any]],
                       subject_field: str = "subject_id") -> list[dict[str, Any]]:
    """The rows (each about one subject) that `ctx.user` may see under `operation`."""
    ids = [str(r.get(subject_field)) for r in rows]
    found = await subject_scopes(ctx).load_many([(period_id, i) for i in ids])
    return [row for row, subject in zip(rows, found, strict=True)
            if subject is not None and access.visible(ctx.user, operation, unit_path=str(subject.get("unit_path", "")),
                                                      subject_id=str(subject.get("id")))]
