"""The evidence schema: its declarative base and the common tables (audit, outbox, inbox, idempotency)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from services.common.db import service_metadata
from services.common.idempotency import idempotency_dependency
from services.common.tables import common_models


class Base(DeclarativeBase):
    metadata = service_metadata("evidence")


common = common_models(Base)
IdempotencyDep = idempotency_dependency(common.idempotency)
