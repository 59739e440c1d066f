"""`Idempotency-Key` for creating POSTs.

A retry with the same key and body gets the first response again; the same key with another
body is 422. The key row is written in the same transaction as the change, so a crash leaves
neither; two concurrent requests with one key serialise on its unique constraint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import _
from services.common.auth import Principal
from services.common.errors import InvalidInput
from services.common.tables import IdempotencyKeyMixin

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class Idempotency:
    """The key of one request, bound to its session and caller."""

    def __init__(self, request: Request, model: type[IdempotencyKeyMixin]) -> None:
        key = request.headers.get(HEADER)
        if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH):
            raise InvalidInput(_("%(header)s must be 1 to %(max_key_length)s characters",
                                 header=HEADER, max_key_length=MAX_KEY_LENGTH), details={"field": HEADER})
        self.key = key
        self.method = request.method
        self.path = request.url.path
        self.model = model

    async def once(
        self,
        session: AsyncSession,
        principal: Principal,
        body: Any,
        create: Callable[[], Awaitable[Any]],
        *,
        status_code: int = 201,
    ) -> JSONResponse:
        """Run `create` unless this key has been used: then replay, or 422 on another body."""
        if self.key is None:
            return JSONResponse(jsonable_encoder(await create()), status_code=status_code)
        request_hash = hashlib.sha256(
            json.dumps(jsonable_encoder(body), sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        claimed = await self._claim(session, principal.subject, request_hash, status_code)
        if not claimed:
            return await self._replay(session, principal.subject, request_hash)
        content = jsonable_encoder(await create())
        await self._store(session, principal.subject, content)
        return JSONResponse(content, status_code=status_code)

    def _where(self, principal: str) -> Any:
        m = self.model
        return (m.principal == principal, m.key == self.key, m.method == self.method, m.path == self.path)

    async def _claim(self, session: AsyncSession, principal: str, request_hash: str, status: int) -> bool:
        stmt = (
            insert(self.model)
            .values(principal=principal, key=self.key, method=self.method, path=self.path,
                    request_sha256=request_hash, status_code=status, response_body=None)
            .on_conflict_do_nothing()
            .returning(self.model.id)
        )
        return (await session.execute(stmt)).first() is not None

    async def _replay(self, session: AsyncSession, principal: str, request_hash: str) -> JSONResponse:
        row = await session.scalar(select(self.model).where(*self._where(principal)))
        assert row is not None
        if row.request_sha256 != request_hash:
            raise InvalidInput(
                _("this %(header)s was used with a different request body", header=HEADER),
                details={"field": HEADER, "reason": "reused with another body"},
            )
        return JSONResponse(row.response_body, status_code=row.status_code, headers={"Idempotent-Replay": "true"})

    async def _store(self, session: AsyncSession, principal: str, content: Any) -> None:
        row = await session.scalar(select(self.model).where(*self._where(principal)))
        assert row is not None
        row.response_body = content
        await session.flush()


def idempotency_dependency(model: type[IdempotencyKeyMixin]) -> Any:
    """An `Annotated` dependency type for a service's idempotency table."""

    def dependency(request: Request) -> Idempotency:
        return Idempotency(request, model)

    return Annotated[Idempotency, Depends(dependency)]
