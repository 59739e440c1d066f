"""`kaohe healthcheck` without the CLI: a container's HEALTHCHECK runs every 15 s and must answer within its
5 s timeout even on a busy host, where importing the whole command (typer, SQLAlchemy, the services' models)
takes seconds. Standard library only; the ports are the settings' (`KAOHE_<PROCESS>_PORT`).

Its lines are in the CLI's language (`--lang` before the command, else kaohe.i18n.cli_locale: KAOHE_DEFAULT_LOCALE,
else the terminal's), read by
the standard library's gettext from `probe.mo`, the compiled catalogue of these few messages that
`python -m kaohe.catalogue update` writes beside the Chinese .po (Babel, which reads the .po, is not imported)."""

from __future__ import annotations

import gettext
import os
import sys
import urllib.error
import urllib.request
from functools import cache

from kaohe.i18n import CATALOGUE, N_, cli_locale, locale_tag

# the defaults of Settings.<process>_port (a test keeps them equal)
DEFAULT_PORTS = {"gateway": 8000, "evidence": 8001, "scoring": 8002, "ranking": 8003}
DOMAIN = "probe"  # kaohe/locale/<locale>/LC_MESSAGES/probe.mo: this module's messages only
UNKNOWN = N_("unknown process %(process)r; choose from %(names)s")  # the same words as `kaohe serve`
NOT_A_PORT = N_("%(variable)s is invalid: %(raw)r is not a port")
NOBODY = N_("no kaohe process answers %(path)s on 127.0.0.1")
ANSWERED = N_("%(name)s answered %(code)s on %(path)s")
OK = N_("%(name)s: ok")


@cache
def _translations(locale: str) -> gettext.NullTranslations:
    if locale == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, CATALOGUE, languages=[locale.replace("-", "_")], fallback=True)


def say(message: str, locale: str | None = None, **params: object) -> str:
    """`message` in `locale` (default: the CLI's language), its `%(name)s` parameters filled in."""
    return _translations(locale or cli_locale()).gettext(message) % params


def port_of(process: str, locale: str | None = None) -> int:
    variable = f"KAOHE_{process.upper()}_PORT"
    raw = os.environ.get(variable)
    if raw is None:
        return DEFAULT_PORTS[process]
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(say(NOT_A_PORT, locale, variable=variable, raw=raw))
    return int(raw)


def probe(process: str | None, *, live: bool, locale: str | None = None) -> tuple[int, str]:
    """(exit code, the line to print in `locale`, default the CLI's language): 0 when every process that answers
    says 200 on /readyz (/healthz)."""
    locale = locale or cli_locale()
    if process is not None and process not in DEFAULT_PORTS:
        names = ("、" if locale == "zh-CN" else ", ").join(DEFAULT_PORTS)  # a Chinese list takes 、
        return 2, "kaohe: " + say(UNKNOWN, locale, process=process, names=names)
    path = "/healthz" if live else "/readyz"
    answered: dict[str, int] = {}
    for name in [process] if process else list(DEFAULT_PORTS):
        try:
            port = port_of(name, locale)
        except ValueError as exc:
            return 2, f"kaohe: {exc}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as answer:
                answered[name] = answer.status
        except urllib.error.HTTPError as exc:
            answered[name] = exc.code
        except (OSError, ValueError):
            continue  # nothing listens there (or not HTTP)
    if not answered:
        return 1, "kaohe: " + say(NOBODY, locale, path=path)
    chinese = locale == "zh-CN"
    bad = {n: c for n, c in answered.items() if c != 200}
    if bad:
        return 1, "kaohe: " + ("；" if chinese else "; ").join(say(ANSWERED, locale, name=n, code=c, path=path)
                                                            for n, c in bad.items())
    return 0, ("，" if chinese else ", ").join(say(OK, locale, name=n) for n in answered)


def fast_path(args: list[str]) -> int | None:
    """The exit code of `kaohe [--lang zh-CN|en] healthcheck [PROCESS] [--live]`, or None for anything else (the
    full CLI: other commands, --help, unknown options, a language it must refuse)."""
    locale = None
    if args and (args[0] == "--lang" or args[0].startswith("--lang=")):
        value, args = (args[1], args[2:]) if args[0] == "--lang" and len(args) > 1 else (args[0][7:], args[1:])
        locale = locale_tag(value)
        if locale is None:
            return None
    if not args or args[0] != "healthcheck":
        return None
    rest = args[1:]
    live = "--live" in rest
    positional = [a for a in rest if a != "--live"]
    if any(a.startswith("-") for a in positional) or len(positional) > 1:
        return None
    code, line = probe(positional[0] if positional else None, live=live, locale=locale)
    print(line, file=sys.stdout if code == 0 else sys.stderr)
    return code
