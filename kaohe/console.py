"""What every `kaohe` command module shares: one clear line and an exit code instead of a traceback, and
the settings or that line (kaohe/cli.py and the command modules it assembles import it; it imports none
of them)."""

from __future__ import annotations

import unicodedata
from typing import Any, NoReturn

import typer

from kaohe.i18n import localize
from services.common.settings import ConfigError, Settings, load_settings


def fail(message: str | BaseException, code: int = 1) -> NoReturn:
    """One clear line on stderr, in the language of the run (`--lang`, kaohe.i18n.cli_locale), and a non-zero
    exit: never a traceback wall. An exception raised with a marked message is written in the run's language."""
    typer.secho(f"kaohe: {localize(message)}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def say(message: str | BaseException, *, err: bool = False, **style: Any) -> None:
    """A line for the person at the terminal, in the language of the run."""
    typer.secho(localize(message), err=err, **style)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(exc, 2)


def columns(text: str) -> int:
    """How many terminal columns `text` takes: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` filled with spaces to `width` terminal columns (on the left with `right`), so that Chinese and
    English cells line up alike."""
    fill = " " * max(0, width - columns(text))
    return fill + text if right else text + fill
