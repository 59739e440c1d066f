"""Offline engine commands (`kaohe evaluate`, `kaohe scheme validate`); filled in by the engine work."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the engine commands to the root command."""
