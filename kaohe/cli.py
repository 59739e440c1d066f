"""The `kaohe` command."""

from __future__ import annotations

import typer

from kaohe import engine_cli

app = typer.Typer(
    name="kaohe",
    help="kaohe (考核): performance-assessment backend. Run `kaohe up` to start the stack.",
    no_args_is_help=True,
    add_completion=False,
)

engine_cli.register(app)
