"""`kaohe demo`'s command line and its options. The demo itself
(kaohe/demo_cli.py) imports the services' code, so it is imported when the command runs, not whenever `kaohe`
starts: `kaohe token` or `kaohe --help` do not pay for it."""

from __future__ import annotations

from typing import Annotated

import typer

from kaohe.i18n import N_
from kaohe.samples import DEFAULT_SCHEMES


def register(app: typer.Typer) -> None:
    """Add `kaohe demo` to the root command."""
    app.command("demo", help=N_(
        "Load sample schemes with a synthetic city into the running stack; compute, publish, print "
        "rankings."))(demo)


def demo(
    scheme: Annotated[list[str] | None, typer.Option(
        "--scheme", "-s", help=N_("Sample scheme file stem in examples/schemes (repeatable), or `all`."))] = None,
    subjects: Annotated[int | None, typer.Option(
        help=N_("At most this many subjects of each group per scheme (with their facts), for a quick run."))] = None,
    publish_days: Annotated[int, typer.Option(help=N_("Working days of the publication (公示)."))] = 5,
    timeout: Annotated[float, typer.Option(help=N_("Seconds to wait for each period's results."))] = 180.0,
    sub_periods: Annotated[int | None, typer.Option(
        help=N_("A roll-up example runs at most this many of its sub-periods (the first), for a quick run."))] = None,
) -> None:
    from kaohe.demo_cli import all_stems, run_demo
    from services.common.settings import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"kaohe: {exc}", err=True)
        raise typer.Exit(2) from None
    stems = list(scheme or DEFAULT_SCHEMES)
    if "all" in stems:
        stems = all_stems()
    run_demo(settings, stems, publish_days=publish_days, wait_seconds=timeout, subjects_per_group=subjects,
             sub_periods=sub_periods)

