"""Programmatic Alembic: one history per service schema, each with its version table inside it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from services.common.settings import SERVICES, ServiceName

HERE = Path(__file__).resolve().parent


def alembic_config(service: ServiceName, url: str | None = None) -> Config:
    """The Alembic config of one service (script folder `migrations/<service>`)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / service))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(HERE / service / "versions"))
    cfg.attributes["service"] = service
    if url is not None:
        cfg.attributes["url"] = url
    return cfg


@cache
def head_revision(service: ServiceName) -> str | None:
    """The newest revision of a service's history."""
    return ScriptDirectory.from_config(alembic_config(service)).get_current_head()


def upgrade(service: ServiceName, url: str, revision: str = "head") -> None:
    """Apply a service's migrations (a no-op when already at `revision`)."""
    command.upgrade(alembic_config(service, url), revision)


def upgrade_all(urls: dict[ServiceName, str]) -> None:
    """Apply every service's migrations."""
    for service in SERVICES:
        upgrade(service, urls[service])


def check(service: ServiceName, url: str) -> None:
    """Raise when the models and the migrations differ (autogenerate finds operations)."""
    command.check(alembic_config(service, url))
