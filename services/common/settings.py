"""Configuration from the environment (prefix `KAOHE_`), validated once at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ServiceName = Literal["evidence", "scoring", "ranking"]
SERVICES: tuple[ServiceName, ...] = ("evidence", "scoring", "ranking")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("kaohe", appauthor=False))


class Settings(BaseSettings):
    """Every setting of kaohe; each field is read from `KAOHE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="KAOHE_", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"

    database_url: str | None = None
    evidence_database_url: str | None = None
    scoring_database_url: str | None = None
    ranking_database_url: str | None = None
    db_pool_size: int = Field(default=10, ge=1, le=200)
    embedded_pg_port: int = Field(default=55432, ge=1, le=65535)

    gateway_port: int = Field(default=8000, ge=1, le=65535)
    evidence_port: int = Field(default=8001, ge=1, le=65535)
    scoring_port: int = Field(default=8002, ge=1, le=65535)
    ranking_port: int = Field(default=8003, ge=1, le=65535)
    evidence_url: str | None = None
    scoring_url: str | None = None
    ranking_url: str | None = None

    service_token_secret: SecretStr | None = None
    service_token_ttl_seconds: int = Field(default=120, ge=10, le=3600)
    jwt_secret: SecretStr | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    timezone: str = "Asia/Shanghai"

    @field_validator("database_url", "evidence_database_url", "scoring_database_url", "ranking_database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
            raise ValueError("must be a PostgreSQL URL such as postgresql://user:pass@host:5432/kaohe")
        return normalize_database_url(value)

    def service_database_url(self, service: ServiceName) -> str | None:
        """The URL a service uses: its own setting, else the shared one."""
        own: str | None = getattr(self, f"{service}_database_url")
        return own or self.database_url

    def service_port(self, service: str) -> int:
        port: int = getattr(self, f"{service}_port")
        return port

    def service_base_url(self, service: ServiceName) -> str:
        """Where the gateway (or another service) reaches a service."""
        explicit: str | None = getattr(self, f"{service}_url")
        return explicit or f"http://{self.host}:{self.service_port(service)}"


def normalize_database_url(url: str) -> str:
    """Make any PostgreSQL URL use the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def load_settings() -> Settings:
    """Read the settings, turning a validation failure into one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise ConfigError(f"KAOHE_{field.upper()} is invalid: {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
