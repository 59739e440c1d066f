"""`kaohe healthcheck` without the CLI: a container's HEALTHCHECK runs every 15 s and must answer within its
5 s timeout even on a busy host, where importing the whole command (typer, SQLAlchemy, the services' models)
takes seconds. Standard library only; the ports are the settings' (`KAOHE_<PROCESS>_PORT`)."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

# the defaults of Settings.<process>_port (a test keeps them equal)
DEFAULT_PORTS = {"gateway": 8000, "evidence": 8001, "scoring": 8002, "ranking": 8003}


def port_of(process: str) -> int:
    variable = f"KAOHE_{process.upper()}_PORT"
    raw = os.environ.get(variable)
    if raw is None:
        return DEFAULT_PORTS[process]
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(f"{variable} is invalid: {raw!r} is not a port")
    return int(raw)


def probe(process: str | None, *, live: bool) -> tuple[int, str]:
    """(exit code, the line to print): 0 when every process that answers says 200 on /readyz (/healthz)."""
    if process is not None and process not in DEFAULT_PORTS:
        return 2, f"kaohe: unknown process {process!r}; choose from {', '.join(DEFAULT_PORTS)}"
    path = "/healthz" if live else "/readyz"
    answered: dict[str, int] = {}
    for name in [process] if process else list(DEFAULT_PORTS):
        try:
            port = port_of(name)
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
        return 1, f"kaohe: no kaohe process answers {path} on 127.0.0.1"
    bad = {n: c for n, c in answered.items() if c != 200}
    if bad:
        return 1, "kaohe: " + "; ".join(f"{n} answered {c} on {path}" for n, c in bad.items())
    return 0, ", ".join(f"{n}: ok" for n in answered)


def fast_path(args: list[str]) -> int | None:
    """The exit code of `kaohe healthcheck [PROCESS] [--live]`, or None for anything else (the full CLI:
    other commands, --help, unknown options)."""
    if not args or args[0] != "healthcheck":
        return None
    rest = args[1:]
    live = "--live" in rest
    positional = [a for a in rest if a != "--live"]
    if any(a.startswith("-") for a in positional) or len(positional) > 1:
        return None
    code, line = probe(positional[0] if positional else None, live=live)
    print(line, file=sys.stdout if code == 0 else sys.stderr)
    return code
