"""The `kaohe` command: `kaohe healthcheck` is answered by kaohe.probe alone (fast, for container health
checks); everything else by the typer application in kaohe.cli."""

from __future__ import annotations

import sys


def main() -> None:
    from kaohe.probe import fast_path

    code = fast_path(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from kaohe.cli import main as cli

    cli()
