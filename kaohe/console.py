"""What every `kaohe` command module shares: one clear line and an exit code instead of a traceback, and
the settings or that line (kaohe/cli.py and the command modules it assembles import it; it imports none
of them)."""

from __future__ import annotations

from typing import NoReturn

import typer

from services.common.settings import ConfigError, Settings, load_settings


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear line on stderr and a non-zero exit: never a traceback wall."""
    typer.secho(f"kaohe: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc), 2)
