"""Gateway commands: `kaohe token` (development JWT), `kaohe schema export` (the SDL) and
`kaohe schema persist` (an allow-list manifest of persisted queries)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from kaohe.i18n import N_, _, listed, localize
from services.common.auth import ROLES, Grant
from services.common.settings import ConfigError, Settings

SDL_PATH = Path(__file__).resolve().parent.parent / "gateway" / "schema.graphql"


def current_sdl() -> str:
    """The gateway schema as SDL, as committed in `gateway/schema.graphql`."""
    from gateway.schema import build_schema

    return build_schema().as_str().rstrip("\n") + "\n"


def gateway_config_problem(settings: Settings) -> str | None:
    """Why the gateway would not start with these settings (its allow-list manifest), or None."""
    if settings.gateway_persisted_queries != "allowlist":
        return None
    from gateway.schema import configured_schema

    try:
        configured_schema(settings)
    except ConfigError as exc:
        return localize(exc)
    return None


def build_manifest(folder: Path, *, production: bool) -> dict[str, str]:
    """`{sha256: text}` of every `*.graphql` file under `folder` (each checked against the schema as
    the gateway checks its manifest); a ConfigError of one line naming the bad file."""
    from gateway.persisted import document_problem, sha256_of
    from gateway.protection import MAX_TOKENS, validation_rules
    from gateway.schema import build_schema

    if not folder.is_dir():
        raise ConfigError(_("%(folder)s is not a folder", folder=folder))
    files = sorted(p for p in folder.rglob("*.graphql") if p.is_file())
    if not files:
        raise ConfigError(_("no .graphql file under %(folder)s", folder=folder))
    schema, rules = build_schema(production=production), validation_rules(production=production)
    manifest: dict[str, str] = {}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(_("%(path)s: cannot read it as UTF-8 text: %(exc)s", path=path, exc=exc)) from None
        problem = document_problem(schema, text, rules, MAX_TOKENS)
        if problem is not None:
            raise ConfigError(f"{path}: {' '.join(problem.split())}")
        manifest[sha256_of(text)] = text
    return manifest


schema_app = typer.Typer(help=N_("The gateway's GraphQL schema."), no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `kaohe token` and `kaohe schema export`."""
    app.add_typer(schema_app, name="schema")

    @app.command(help=N_(
        "Print a development JWT (HS256: KAOHE_JWT_SECRET, or the key `kaohe up` keeps in the data "
        "folder)."))
    def token(
        role: list[str] = typer.Option(..., "--role", "-r", help=N_(
            "Role(s), repeatable: admin, assessor, reviewer, submitter, rater, auditor, subject.")),
        scope: str = typer.Option("", "--scope", help=N_("Organisation path the roles cover ('' = everything).")),
        sub: str = typer.Option("dev-user", "--sub", help=N_("The user id (token subject).")),
        subject_id: list[str] = typer.Option([], "--subject-id", help=N_("Assessed subject(s) the user is.")),
        ttl: int = typer.Option(3600, "--ttl", min=60, help=N_(
            "Lifetime in seconds, at most KAOHE_JWT_MAX_LIFETIME_SECONDS (86400, a day, unless set), the longest "
            "the gateway accepts.")),
    ) -> None:
        from pydantic import SecretStr

        from gateway.auth import development_token
        from kaohe.console import fail, settings_or_exit
        from kaohe.stack import development_jwt_secret
        from services.common.auth import normalise_scope, subject_problem

        problem = subject_problem(sub)  # the gateway would refuse the token (docs/identity.md, "Token subjects")
        if problem is not None:
            fail(problem, 2)
        unknown = [r for r in role if r not in ROLES]
        if unknown:
            fail(_("unknown role %(unknown)r; choose from %(names)s", unknown=unknown[0], names=listed(ROLES)), 2)
        try:  # the services' own grammar of a grant's scope: a token they would refuse is not signed
            given, scope = scope, normalise_scope(scope)
        except ValueError as exc:
            fail(exc, 2)
        if given and not scope:  # ' ' or '/' is a slip (an empty variable, a typo), not a wish for everything
            fail(_("scope %(scope)r names no unit; to cover the whole organisation leave --scope out", scope=given), 2)
        settings = settings_or_exit()
        if ttl > settings.jwt_max_lifetime_seconds:  # the gateway would refuse the token
            fail(_("--ttl %(ttl)d is longer than KAOHE_JWT_MAX_LIFETIME_SECONDS (%(limit)d)", ttl=ttl,
                   limit=settings.jwt_max_lifetime_seconds), 2)
        secret = development_jwt_secret(settings)
        if secret is None:
            fail(_("no development token secret: in production, or with KAOHE_JWT_JWKS_URL, user tokens come from "
                   "the identity provider (docs/identity.md); set KAOHE_JWT_SECRET to sign tokens here"), 2)
        settings = settings.model_copy(update={"jwt_secret": SecretStr(secret)})
        grants = [Grant(role=r, scope=scope) for r in role]  # type: ignore[arg-type]
        try:
            typer.echo(development_token(settings, subject=sub, grants=grants, ttl_seconds=ttl,
                                         subject_ids=subject_id))
        except ValueError as exc:
            fail(exc, 2)

    @schema_app.command("export", help=N_(
        "Write the gateway's GraphQL schema (SDL) to gateway/schema.graphql."))
    def export(out: Path = typer.Option(SDL_PATH, "--out", "-o", help=N_("Where to write the SDL."))) -> None:
        out.write_text(current_sdl(), encoding="utf-8")
        typer.echo(localize(_("wrote %(out)s", out=out)))

    @schema_app.command("persist", help=N_(
        "Build the allow-list manifest of KAOHE_GATEWAY_PERSISTED_QUERIES_FILE from .graphql files."
        "\n\nEach file's exact text is one entry under its SHA-256: clients send that hash (and, only in "
        "`apq` mode, that text)."))
    def persist(
        folder: Path = typer.Argument(..., help=N_(
            "Folder of .graphql files (searched recursively), one document each.")),
        out: Path = typer.Option(..., "--out", "-o", help=N_("Where to write the manifest (JSON {sha256: text}).")),
        production: bool = typer.Option(True, "--production/--development",
                                        help=N_("Check against the production schema (introspection refused).")),
    ) -> None:
        from kaohe.console import fail

        try:
            manifest = build_manifest(folder, production=production)
        except ConfigError as exc:
            fail(exc, 2)
        out.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        typer.echo(localize(_("wrote %(out)s: %(manifest_count)s documents", out=out, manifest_count=len(manifest))))
