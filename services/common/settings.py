"""Configuration from the environment (prefix `KAOHE_`), validated once at start-up."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kaohe.i18n import _, localize, separated

ServiceName = Literal["evidence", "scoring", "ranking"]
SERVICES: tuple[ServiceName, ...] = ("evidence", "scoring", "ranking")
PROCESSES: tuple[str, ...] = ("gateway", *SERVICES)


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class SecretFiles(PydanticBaseSettingsSource):
    """`KAOHE_<NAME>_FILE=/run/secrets/…`: a secret setting read from a file (Docker or Kubernetes secrets
    mounted as files) instead of the variable itself, for the fields a settings class names; the variable,
    when set too, wins. The file's content less surrounding whitespace is the value."""

    def __init__(self, settings_cls: type[BaseSettings], fields: tuple[str, ...]) -> None:
        super().__init__(settings_cls)
        self.fields = fields

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # all the work is in __call__

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.settings_cls.model_config.get("env_prefix", ""))
        values: dict[str, Any] = {}
        for name in self.fields:
            variable = f"{prefix}{name.upper()}_FILE"
            path = os.environ.get(variable)
            if not path:
                continue
            try:
                values[name] = Path(path).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{variable}: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
        return values


class SecretFileSettings(BaseSettings):
    """Settings whose `secret_file_fields` may each come from `<PREFIX><NAME>_FILE` (`SecretFiles`)."""

    secret_file_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, SecretFiles(settings_cls, cls.secret_file_fields), dotenv_settings,
                file_secret_settings)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("kaohe", appauthor=False))


class Settings(SecretFileSettings):
    """Every setting of kaohe; each field is read from `KAOHE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="KAOHE_", extra="ignore", frozen=True)
    # the settings that may hold a secret (a password inside a URL counts): each also reads KAOHE_<NAME>_FILE
    secret_file_fields = ("database_url", "evidence_database_url", "scoring_database_url", "ranking_database_url",
                          "service_token_secret", "jwt_secret", "metrics_token")

    environment: Literal["development", "production"] = Field(default="development", description=(
        "`production` turns GraphiQL, schema introspection and GraphQL's field suggestions off, keeps the API "
        "documentation and /metrics closed unless opened below, and refuses unsafe secrets."))
    data_dir: Path = Field(default_factory=default_data_dir, description=(
        "Embedded database (`postgres/`), generated service secret and local files; default: the user's "
        "data folder (`~/.local/share/kaohe` on Linux)."))
    host: str = Field(default="127.0.0.1", description="Interface the processes listen on (`0.0.0.0` in containers).")

    database_url: str | None = Field(default=None, description=(
        "PostgreSQL URL for all three services; unset: `kaohe up` starts an embedded PostgreSQL."))
    evidence_database_url: str | None = Field(default=None, description="Evidence's database (else KAOHE_DATABASE_URL)")
    scoring_database_url: str | None = Field(default=None, description="Scoring's database (else KAOHE_DATABASE_URL).")
    ranking_database_url: str | None = Field(default=None, description="Ranking's database (else KAOHE_DATABASE_URL).")
    db_pool_size: int = Field(default=10, ge=1, le=200, description="Connections per process (overflow as many again).")
    embedded_pg_port: int = Field(default=55432, ge=1, le=65535, description="Port of the embedded PostgreSQL.")

    gateway_port: int = Field(default=8000, ge=1, le=65535, description="Port of the GraphQL gateway.")
    evidence_port: int = Field(default=8001, ge=1, le=65535, description="Port of the evidence service.")
    scoring_port: int = Field(default=8002, ge=1, le=65535, description="Port of the scoring service.")
    ranking_port: int = Field(default=8003, ge=1, le=65535, description="Port of the ranking service.")
    evidence_url: str | None = Field(default=None, description="Where others reach evidence (else http://HOST:PORT).")
    scoring_url: str | None = Field(default=None, description="Where others reach scoring (else http://HOST:PORT).")
    ranking_url: str | None = Field(default=None, description="Where others reach ranking (else http://HOST:PORT).")
    server_keep_alive_seconds: int = Field(default=75, ge=1, le=3600, description=(
        "How long a process keeps an idle HTTP connection open (uvicorn's keep-alive timeout); longer than "
        "every client's idle reuse (ours: KAOHE_CLIENT_KEEP_ALIVE_SECONDS; proxies: often 60 s)."))
    client_keep_alive_seconds: float = Field(default=2.0, gt=0, le=300, description=(
        "How long our HTTP clients reuse an idle pooled connection to another process; must be shorter than "
        "KAOHE_SERVER_KEEP_ALIVE_SECONDS, so a request never meets a connection the server is closing."))

    service_token_secret: SecretStr | None = Field(default=None, description=(
        "HS256 secret of the tokens between processes, the same everywhere; `kaohe up` generates one."))
    service_token_ttl_seconds: int = Field(default=120, ge=10, le=3600, description="Lifetime of a service token.")
    jwt_secret: SecretStr | None = Field(default=None, description=(
        "HS256 secret of user JWTs at the gateway; in development without a JWKS URL `kaohe up` generates one "
        "into the data folder (`jwt.secret`), which `kaohe token` signs with."))
    jwt_jwks_url: str | None = Field(default=None, description="JWKS URL of the identity provider (RS256 user JWTs).")
    jwt_issuer: str | None = Field(default=None, description="Required `iss` of user JWTs, when set.")
    jwt_audience: str | None = Field(default=None, description="Required `aud` of user JWTs, when set.")
    jwt_max_lifetime_seconds: int = Field(default=86400, ge=60, le=31 * 86400, description=(
        "The longest a user JWT may live: its `exp` (an integer NumericDate) at most this many seconds from now, "
        "else 401. A token is remembered until its `exp` and cannot be revoked before; `kaohe token --ttl` stays "
        "within it."))
    trusted_proxies: str = Field(default="", description=(
        "The reverse proxies whose `X-Forwarded-For`/`X-Forwarded-Proto` headers the processes believe (uvicorn's "
        "forwarded-allow-ips: addresses or networks, comma-separated, `*` for any); empty, the default: none, "
        "the client is the TCP peer (the 公示 pages' rate limit counts it)."))

    gateway_persisted_queries: Literal["off", "apq", "allowlist"] = Field(default="apq", description=(
        "Persisted queries at the gateway: `apq` (Apollo's automatic persisted queries; raw texts run too), "
        "`allowlist` (only the documents of KAOHE_GATEWAY_PERSISTED_QUERIES_FILE run) or `off`."))
    gateway_persisted_queries_file: Path | None = Field(default=None, description=(
        "The allow-list manifest, JSON `{sha256: query text}` (`kaohe schema persist DIR --out FILE` builds it); "
        "required by `allowlist`, checked at start-up."))
    gateway_persisted_queries_max_entries: int = Field(default=1000, ge=1, le=1_000_000, description=(
        "Most documents the gateway's APQ store keeps (least recently used out first)."))
    gateway_persisted_queries_max_bytes: int = Field(default=4_194_304, ge=1024, description=(
        "Most bytes of query text the gateway's APQ store keeps (least recently used out first)."))

    gateway_ws_connections_per_identity: int = Field(default=5, ge=1, le=1000, description=(
        "GraphQL subscription connections (graphql-transport-ws) one identity (a user or an API key) may hold open "
        "per gateway instance; one more is refused at `connection_init`."))
    gateway_ws_idle_seconds: float = Field(default=300.0, ge=1, le=86400, description=(
        "A subscription connection with no subscription running for this long is closed (4408)."))

    public_docs: str | None = Field(default=None, description=(
        "Processes that serve their API documentation (/docs, /redoc, /openapi.json): a comma list of `gateway`, "
        "`evidence`, `scoring`, `ranking`, or `all` or `none`; unset: all in development, none in production."))
    metrics_token: SecretStr | None = Field(default=None, description=(
        "Bearer token /metrics requires (Prometheus: `authorization: {credentials: …}`); unset: /metrics is open "
        "in development and not served in production."))
    audit_signing_key_file: Path | None = Field(default=None, description=(
        "PEM file of the Ed25519 private key that signs audit checkpoints (`kaohe audit checkpoint`); keep it off "
        "the database's machine. Unset: in development one is generated into the data folder "
        "(audit-signing-key.pem, 0600); production refuses to sign without it."))

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log threshold.")
    log_format: Literal["auto", "text", "json"] = Field(default="auto", description=(
        "Log lines: `json` (one object per line, for collectors), `text` (short coloured lines for a person, "
        "without the line per HTTP request unless KAOHE_LOG_LEVEL=DEBUG), or `auto`: text on a terminal, JSON "
        "otherwise. `kaohe up --log-format` sets it for the four processes."))
    default_locale: Literal["zh-CN", "en"] = Field(default="zh-CN", description=(
        "Language of error messages, export headers and other texts when a request's `Accept-Language` names "
        "neither Chinese nor English (or is absent): `zh-CN` or `en`. The CLI follows `--lang`, else this "
        "setting when it is set, else the terminal's LC_ALL/LC_MESSAGES/LANG, else `zh-CN`."))
    objections_open_per_subject: int = Field(default=3, ge=1, le=100, description=(
        "Most open (unanswered) objections (异议) to one subject's result in one period; another is refused "
        "(409, details.limit) until one is answered."))
    publication_min_working_days: int = Field(default=5, ge=1, le=30, description=(
        "Shortest 公示 (publication or re-publication), in working days, of a period whose scheme sets no "
        "`publication.working_days`; a scheme's own minimum wins."))
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Request body limit (413 above it).")
    timezone: str = Field(default="Asia/Shanghai", description=(
        "How periods and deadlines are read, and the local time every message, notice and CLI line shows (to the "
        "minute, with its zone); storage and the APIs' JSON are UTC."))
    clock_file: Path | None = Field(default=None, description=(
        "Not for production (refused there): a file holding seconds added to every service's business clock, "
        "re-read when it changes; tests and rehearsals use it to move past publication windows and deadlines."))

    @field_validator("database_url", "evidence_database_url", "scoring_database_url", "ranking_database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
            raise ValueError(_("must be a PostgreSQL URL such as postgresql://user:pass@host:5432/kaohe"))
        return normalize_database_url(value)

    @field_validator("public_docs")
    @classmethod
    def _known_processes(cls, value: str | None) -> str | None:
        if value is None:
            return None
        chosen = {name.strip() for name in value.split(",") if name.strip()}
        unknown = sorted(chosen - {"all", "none", *PROCESSES})
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a process; give a comma list of {', '.join(PROCESSES)}, "
                             "or all or none")
        return ",".join(sorted(chosen))

    @field_validator("client_keep_alive_seconds")
    @classmethod
    def _shorter_than_the_servers(cls, value: float, info: ValidationInfo) -> float:
        server = info.data.get("server_keep_alive_seconds")
        if server is not None and value >= server:
            raise ValueError(f"must be shorter than KAOHE_SERVER_KEEP_ALIVE_SECONDS ({server} s)")
        return value

    def proxy_options(self) -> dict[str, Any]:
        """uvicorn's handling of X-Forwarded-For/-Proto as KAOHE_TRUSTED_PROXIES says: off unless proxies are listed
        (uvicorn's own default believes them from 127.0.0.1, so anything on the host, or a proxy there that passes
        them on, could set the address the 公示 pages' rate limit counts)."""
        if not self.trusted_proxies.strip():
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": self.trusted_proxies.strip()}

    def proxy_arguments(self) -> list[str]:
        """`proxy_options` as uvicorn's command-line options (`kaohe up` starts each process with them)."""
        options = self.proxy_options()
        if not options["proxy_headers"]:
            return ["--no-proxy-headers"]
        return ["--proxy-headers", "--forwarded-allow-ips", options["forwarded_allow_ips"]]

    def docs_are_public(self, process: str) -> bool:
        """Whether `process` serves /docs, /redoc and /openapi.json (KAOHE_PUBLIC_DOCS)."""
        if self.public_docs is None:
            return self.environment == "development"
        chosen = set(self.public_docs.split(","))
        return "all" in chosen or process in chosen

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


MIN_SECRET_BYTES = 32  # HS256 keys of at least the hash's size (RFC 7518 §3.2)
# Every secret value kaohe's own examples show (docker/.env.example, docker/k8s/secret.example.yaml, the docs):
# anyone can read them, so production refuses them wherever they appear, however long. A test keeps this list
# in step with the examples; words that mark a placeholder catch the ones an installation makes up likewise.
EXAMPLE_SECRETS = frozenset({
    "change-me", "change-me-too", "change-me-postgres", "change-me-minio-at-least-8-chars",
    "REPLACE_ME", "REPLACE_ME_WITH_48_RANDOM_CHARACTERS",
})
PLACEHOLDER_WORDS = ("change", "replace", "placeholder", "example", "dummy")


def example_secret_problem(what: str, value: str) -> str | None:
    """Why a secret's value is one anybody may know (an example's or a placeholder), else None."""
    lowered = value.lower()
    if value in EXAMPLE_SECRETS or any(word in lowered for word in PLACEHOLDER_WORDS):
        return _("%(what)s is a placeholder from an example; generate a secret (python -c \"import secrets; "
                 "print(secrets.token_urlsafe(48))\")", what=what)
    return None


def _secret_problem(variable: str, secret: SecretStr | None) -> str | None:
    if secret is None:
        return None
    value = secret.get_secret_value()
    if len(value.encode()) < MIN_SECRET_BYTES:
        return _("%(variable)s has %(bytes)s bytes; production needs at least %(minimum)s random bytes",
                 variable=variable, bytes=len(value.encode()), minimum=MIN_SECRET_BYTES)
    return example_secret_problem(variable, value)


def production_problems(settings: Settings) -> list[str]:
    """Every unsafe setting production refuses, each naming its variable (none outside production)."""
    if settings.environment != "production":
        return []
    problems = [_secret_problem("KAOHE_SERVICE_TOKEN_SECRET", settings.service_token_secret),
                _secret_problem("KAOHE_JWT_SECRET", settings.jwt_secret),
                _secret_problem("KAOHE_METRICS_TOKEN", settings.metrics_token)]
    user_keys = (("KAOHE_JWT_SECRET", settings.jwt_secret), ("KAOHE_JWT_JWKS_URL", settings.jwt_jwks_url))
    for variable, configured in user_keys:
        if configured is not None and not (settings.jwt_issuer and settings.jwt_audience):
            problems.append(_("%(variable)s needs KAOHE_JWT_ISSUER and KAOHE_JWT_AUDIENCE in production, so that a "
                              "token signed for another system with the same key is not accepted here",
                              variable=variable))
    urls = {"KAOHE_DATABASE_URL": settings.database_url,
            **{f"KAOHE_{s.upper()}_DATABASE_URL": settings.service_database_url(s) for s in SERVICES
               if settings.service_database_url(s) != settings.database_url}}
    for variable, url in urls.items():
        password = urlsplit(url).password if url else None
        if password:
            problems.append(example_secret_problem(_("the password in %(variable)s", variable=variable), password))
    if settings.clock_file is not None:
        problems.append(_("KAOHE_CLOCK_FILE is refused in production: the clock may only be moved in development"))
    return [p for p in problems if p is not None]


def read_settings() -> Settings:
    """Read the settings, turning a validation failure into one line naming the variable (`kaohe doctor` reads
    them so, then reports each of `production_problems` itself)."""
    try:
        settings = Settings()
    except ValidationError as exc:
        from services.common.reasons import pydantic_reason

        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        # pydantic's reason as the API gives it: translated by its type, kaohe's own validators' sentences as such
        raise ConfigError(localize(_("KAOHE_%(field)s is invalid: %(reason)s", field=field.upper(),
                                     reason=pydantic_reason(first)))) from None
    if settings.gateway_persisted_queries == "allowlist" and settings.gateway_persisted_queries_file is None:
        raise ConfigError(localize(_("KAOHE_GATEWAY_PERSISTED_QUERIES=allowlist needs "
                                     "KAOHE_GATEWAY_PERSISTED_QUERIES_FILE (a JSON manifest {sha256: query text}; "
                                     "`kaohe schema persist` builds one)")))
    return settings


def load_settings() -> Settings:
    """The settings every process starts with: production refuses unsafe ones (`production_problems`)."""
    settings = read_settings()
    problems = production_problems(settings)
    if problems:
        raise ConfigError(separated(localize(problem) for problem in problems))
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
