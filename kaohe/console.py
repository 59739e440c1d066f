"""What every `kaohe` command module shares: one clear line and an exit code instead of a traceback, and
the settings or that line (kaohe/cli.py and the command modules it assembles import it; it imports none
of them)."""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from kaohe.i18n import localize
from services.common.settings import ConfigError, Settings, load_settings


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear line on stderr, in the language of the run (`--lang`, kaohe.i18n.cli_locale), and a non-zero
    exit: never a traceback wall."""
    typer.secho(f"kaohe: {localize(message)}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def say(message: str, *, err: bool = False, **style: Any) -> None:
    """A line for the person at the terminal, in the language of the run."""
    typer.secho(localize(message), err=err, **style)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc), 2)
