"""`kaohe calendar load YEAR FILE` and `kaohe calendar show YEAR`: the State Council's holiday arrangement of a
year, loaded into the running stack through scoring's API (audited there), issue 21, item 20."""

from __future__ import annotations

import getpass
import json
import pathlib
from typing import Annotated, Any

import httpx
import typer

from kaohe.i18n import N_, _, current_locale, localize, translate

TRANSPORT: httpx.BaseTransport | None = None  # tests answer in place of scoring
ORIGINS = {"loaded": N_("loaded"), "package": N_("package"), "none": N_("none")}  # where an arrangement comes from
calendar_app = typer.Typer(help=N_("The holiday calendar: each year's arrangement of holidays and 调休 working days."),
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")


def _fail(message: str | BaseException, code: int = 2) -> None:
    typer.echo(f"kaohe: {localize(message)}", err=True)
    raise typer.Exit(code)


def _call(method: str, path: str, body: Any = None) -> Any:
    """One request to scoring as the person at this console, a global admin (the service token proves it)."""
    from kaohe.demo_cli import Services
    from kaohe.stack import service_token_secret
    from services.common.auth import Grant, Principal
    from services.common.settings import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        _fail(exc)
    services = Services({"scoring": settings.service_base_url("scoring")}, service_token_secret(settings))
    principal = Principal(subject=f"cli:{getpass.getuser()}", grants=(Grant("admin", ""),))
    token = services._token(principal)
    try:
        with httpx.Client(timeout=30.0, transport=TRANSPORT) as http:
            response = http.request(method, f"{services.urls['scoring']}{path}", json=body,
                                    headers={"Authorization": f"Bearer {token}", "Accept-Language": current_locale()})
    except httpx.HTTPError as exc:
        _fail(_("scoring is not reachable (%(exc)s); is the stack running (`kaohe up`)?", exc=exc), 1)
    if response.status_code >= 300:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:300]
        _fail(_("scoring refused: %(message)s", message=message))
    return response.json()


@calendar_app.command("load", help=N_(
    "Load (or replace) a year's arrangement; every working-day deadline of evidence and ranking uses "
    "it."))
def load(
    year: Annotated[int, typer.Argument(help=N_("The year the arrangement is for."))],
    file: Annotated[pathlib.Path, typer.Argument(help=N_("YAML or JSON: holidays, workdays (调休), source."))],
) -> None:
    from kaohe.engine.scheme import DocumentError, load_document

    try:
        document = load_document(file)
    except (DocumentError, OSError) as exc:
        _fail(_("cannot read %(file)s: %(exc)s", file=file, exc=exc))
    body = {key: document[key] for key in ("holidays", "workdays", "source") if key in document}
    body = json.loads(json.dumps(body, default=str))  # YAML dates as ISO text
    loaded = _call("PUT", f"/v1/calendar/{year}", body)
    typer.echo(localize(_("loaded %(year)s: %(holidays_count)s holidays, %(workdays_count)s working days "
                          "(%(source)s)",
                          year=year, holidays_count=len(loaded["holidays"]), workdays_count=len(loaded["workdays"]),
                          source=loaded["source"])))


@calendar_app.command("show", help=N_(
    "Where a year's arrangement comes from (loaded, package, none) and its dates."))
def show(year: Annotated[int, typer.Argument(help=N_("The year."))]) -> None:
    found = _call("GET", f"/v1/calendar/{year}")
    origin = ORIGINS.get(found["origin"])
    typer.echo(f"{year}: {translate(origin) if origin else found['origin']} ({found['source']})")
    typer.echo(localize(_("holidays: %(days)s", days=", ".join(found["holidays"]) or "-")))
    typer.echo(localize(_("working days (调休): %(days)s", days=", ".join(found["workdays"]) or "-")))
