"""Gateway commands: `kaohe token` (development JWT) and `kaohe schema export` (the SDL)."""

from __future__ import annotations

from pathlib import Path

import typer

from services.common.auth import ROLES, Grant

SDL_PATH = Path(__file__).resolve().parent.parent / "gateway" / "schema.graphql"


def current_sdl() -> str:
    """The gateway schema as SDL, as committed in `gateway/schema.graphql`."""
    from gateway.schema import build_schema

    return build_schema().as_str().rstrip("\n") + "\n"


schema_app = typer.Typer(help="The gateway's GraphQL schema.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `kaohe token` and `kaohe schema export`."""
    app.add_typer(schema_app, name="schema")

    @app.command()
    def token(
        role: list[str] = typer.Option(..., "--role", "-r", help=f"Role(s): {', '.join(ROLES)}."),
        scope: str = typer.Option("", "--scope", help="Organisation path the roles cover ('' = everything)."),
        sub: str = typer.Option("dev-user", "--sub", help="The user id (token subject)."),
        subject_id: list[str] = typer.Option([], "--subject-id", help="Assessed subject(s) the user is."),
        ttl: int = typer.Option(3600, "--ttl", min=60, max=7 * 86400, help="Lifetime in seconds."),
    ) -> None:
        """Print a development JWT (HS256, signed with KAOHE_JWT_SECRET)."""
        from gateway.auth import development_token
        from kaohe.cli import fail, settings_or_exit

        unknown = [r for r in role if r not in ROLES]
        if unknown:
            fail(f"unknown role {unknown[0]!r}; choose from {', '.join(ROLES)}", 2)
        settings = settings_or_exit()
        grants = [Grant(role=r, scope=scope) for r in role]  # type: ignore[arg-type]
        try:
            typer.echo(development_token(settings, subject=sub, grants=grants, ttl_seconds=ttl,
                                         subject_ids=subject_id))
        except ValueError as exc:
            fail(str(exc), 2)

    @schema_app.command("export")
    def export(out: Path = typer.Option(SDL_PATH, "--out", "-o", help="Where to write the SDL.")) -> None:
        """Write the gateway's GraphQL schema (SDL) to gateway/schema.graphql."""
        out.write_text(current_sdl(), encoding="utf-8")
        typer.echo(f"wrote {out}")
