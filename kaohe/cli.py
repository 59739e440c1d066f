"""The `kaohe` command."""

from __future__ import annotations

import functools
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import typer

from kaohe import audit_cli, calendar_cli, demo_command, engine_cli, gateway_cli, helptext, ops_cli
from kaohe.console import fail, pad, say, settings_or_exit
from kaohe.i18n import N_, _, cli_locale, listed, locale_tag, localize, separated, use_locale
from services.common.settings import SERVICES, ServiceName, Settings

app = typer.Typer(
    name="kaohe",
    cls=helptext.KaoheGroup,
    help=N_("kaohe (考核): performance-assessment backend. Run `kaohe up` to start the stack."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(audit_cli.audit_app, name="audit")


@app.callback(help=N_("kaohe (考核): performance-assessment backend. Run `kaohe up` to start the stack."))
def choose_language(lang: str = typer.Option(None, "--lang", metavar="zh-CN|en", help=N_(
        "Language of kaohe's messages (zh-CN or en); default: KAOHE_DEFAULT_LOCALE when set, else the terminal's "
        "locale (LC_ALL, LC_MESSAGES, LANG), else zh-CN."))) -> None:
    """The language of the run (kaohe.helptext chose it already, for the help; here an unknown one is refused)."""
    chosen = locale_tag(lang) if lang else None
    if lang and chosen is None:
        fail(_("--lang %(lang)r: choose zh-CN or en", lang=lang), 2)
    use_locale(chosen or cli_locale())


def clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our own errors into one line and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from alembic.util.exc import CommandError

        from kaohe.stack import StackError

        try:
            return command(*args, **kwargs)
        except (StackError, CommandError) as exc:
            fail(exc)

    return wrapper


@app.command(help=N_(
    "Start the three services and the gateway; Ctrl-C stops everything."))
@clean_errors
def up(
    migrate: bool = typer.Option(None, "--migrate/--no-migrate",
                                 help=N_("Apply migrations first (default: yes with the embedded database).")),
    demo: bool = typer.Option(False, "--demo", help=N_("Once ready, load the demo data (as `kaohe demo`).")),
    log_format: str = typer.Option(None, "--log-format", metavar="auto|text|json",
                                   help=N_("The processes' logs: short coloured lines for a person (text), one JSON "
                                        "object per line (json), or auto: text on a terminal, else JSON "
                                        "(default: KAOHE_LOG_FORMAT, else auto).")),
) -> None:
    from kaohe import stack
    from services.common.observability import log_format as resolved_format

    if log_format is not None and log_format not in ("auto", "text", "json"):
        fail(_("--log-format %(log_format)r: choose auto, text or json", log_format=log_format), 2)
    settings = settings_or_exit()
    settings = settings.model_copy(update={"log_format": resolved_format(log_format or settings.log_format)})
    problem = gateway_cli.gateway_config_problem(settings)
    if problem:
        fail(problem, 2)
    stack.check_ports(settings)
    secret = stack.service_token_secret(settings)
    with stack.databases(settings) as dbs:
        stack.check_databases(dbs.urls)
        if migrate or (migrate is None and dbs.embedded is not None):
            stack.migrate(dbs.urls)
        lag = stack.migration_lag(dbs.urls)
        if lag:
            fail(_("migrations behind — %(lag)s", lag=separated(localize(service) for service in lag)))
        supervisor = stack.Supervisor(settings, dbs.urls, secret)
        _run_supervised(supervisor, dbs, on_ready=_start_demo(settings) if demo else None)


def _start_demo(settings: Settings) -> Callable[[], None]:
    """Run the demo in a thread once the stack is ready; the stack keeps running after it."""

    def run() -> None:
        from kaohe.demo_cli import run_demo
        from kaohe.samples import DEFAULT_SCHEMES

        try:
            run_demo(settings, DEFAULT_SCHEMES)
        except typer.Exit:
            return  # run_demo printed why
        say(_("demo loaded; the stack keeps running. Press Ctrl-C to stop."))

    return lambda: threading.Thread(target=run, name="kaohe-demo", daemon=True).start()


def _run_supervised(supervisor: Any, dbs: Any, on_ready: Callable[[], None] | None = None) -> None:
    from kaohe.stack import StackError

    stopping = False

    def on_signal(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    supervisor.start()
    try:
        supervisor.wait_ready()
        _print_listening(supervisor, dbs)
        if on_ready is not None:
            on_ready()
        while not stopping:
            exited = supervisor.first_exit()
            if exited:
                say(_("kaohe: %(process)s stopped unexpectedly; shutting down", process=exited), err=True, fg="red",
                    bold=True)
                raise typer.Exit(1)
            time.sleep(0.3)
        say(_("stopping…"))
    except StackError as exc:
        typer.secho(f"kaohe: {localize(exc)}", err=True, fg="red")
        raise typer.Exit(1) from None
    finally:
        supervisor.stop()
    say(_("stopped"))


def _print_listening(supervisor: Any, dbs: Any) -> None:
    """Where each process listens. Coloured on a terminal (click drops the colour elsewhere, so the text is the
    same): the lines a person looks for stand out from the processes' log lines."""
    from kaohe.stack import development_jwt_secret
    from services.common.settings import default_data_dir

    def row(label: str, value: str, note: str = "") -> None:
        typer.echo(f"  {pad(label, 9)} " + typer.style(value, fg="cyan", bold=True) + note)

    say(_("kaohe is up:"), fg="green", bold=True)
    row("gateway", f"{supervisor.url('gateway')}/graphql")
    for name in SERVICES:
        if supervisor.settings.docs_are_public(name):
            row(name, f"{supervisor.url(name)}/docs")
        else:
            row(name, supervisor.url(name), localize(_(" (documentation closed: KAOHE_PUBLIC_DOCS)")))
    where = (_("embedded PostgreSQL in %(folder)s", folder=dbs.embedded.pgdata) if dbs.embedded
             else _("configured PostgreSQL"))
    database, sign_in = localize(_("database")), localize(_("sign in"))
    typer.echo(f"  {pad(database, 9)} {localize(where)}")
    if development_jwt_secret(supervisor.settings) is not None:
        command = "kaohe token --role admin --scope ''"
        if supervisor.settings.jwt_secret is None and supervisor.settings.data_dir != default_data_dir():
            # the key is in this data folder: another terminal without KAOHE_DATA_DIR would sign with another
            command = f"KAOHE_DATA_DIR={shlex.quote(str(supervisor.settings.data_dir))} {command}"
        typer.echo(f"  {pad(sign_in, 9)} " + typer.style(command, bold=True)
                   + localize(_("   (prints an admin token: Authorization: Bearer <token>)")))
    say(_("Press Ctrl-C to stop."), dim=True)
    sys.stdout.flush()


@app.command(help=N_(
    "Apply every service's migrations (running it twice changes nothing)."))
@clean_errors
def migrate(
    wait: int = typer.Option(None, "--wait", min=0, max=86400, metavar=N_("SECONDS"),
                             help=N_("Apply nothing: wait until the schemas are at head (applied by another "
                                  "`kaohe migrate`, e.g. the Kubernetes Job); exit 1 if they are not in time.")),
    service: list[str] = typer.Option(list(SERVICES), "--service", "-s", help=N_("Service(s) to migrate or wait for.")),
) -> None:
    from kaohe import stack

    unknown = [s for s in service if s not in SERVICES]
    if unknown:
        fail(_("unknown service %(unknown)r; choose from %(names)s", unknown=unknown[0], names=listed(SERVICES)), 2)
    chosen = [s for s in SERVICES if s in service]
    settings = settings_or_exit()
    if wait is not None:
        _wait_for_head(settings, chosen, wait)
        return
    with stack.databases(settings) as dbs:
        urls = {s: u for s, u in dbs.urls.items() if s in chosen}
        stack.check_databases(urls)
        stack.migrate(urls)
    say(_("migrations at head: %(services)s", services=listed(chosen)))


def _wait_for_head(settings: Settings, services: list[ServiceName], seconds: int) -> None:
    """An init container's gate: the pods of a release start once its migration Job has run."""
    from kaohe import stack

    urls = {s: settings.service_database_url(s) for s in services}
    missing = [f"KAOHE_{s.upper()}_DATABASE_URL" for s, u in urls.items() if not u]
    if missing:
        fail(_("--wait needs a configured database: set KAOHE_DATABASE_URL or %(names)s", names=', '.join(missing)), 2)
    deadline = time.monotonic() + seconds
    while True:
        lag = stack.migration_lag({s: u for s, u in urls.items() if u})
        if not lag:
            break
        if time.monotonic() >= deadline:
            fail(_("migrations still behind after %(seconds)s s — %(lag)s", seconds=seconds,
                   lag=separated(localize(service) for service in lag)))
        time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
    say(_("migrations at head: %(services)s", services=listed(services)))


engine_cli.register(app)
gateway_cli.register(app)
ops_cli.register(app)
demo_command.register(app)
calendar_cli.register(app)


def main() -> None:
    app()
