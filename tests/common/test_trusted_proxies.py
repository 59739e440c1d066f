"""Proxy headers are believed only from KAOHE_TRUSTED_PROXIES (attacker probe, branch `keys`): uvicorn's default
believes X-Forwarded-For from 127.0.0.1, so a client on the host (or through a proxy there that passes the header
on) chose the address the public 公示 pages' rate limit counts."""

from __future__ import annotations

import subprocess
from unittest import mock

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from kaohe.stack import PROCESSES, Supervisor
from services.common.settings import Settings
from tests.reliability.fuzzing import served, settings_env


async def _client(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.client.host if request.client else "")


APP = Starlette(routes=[Route("/healthz", _client), Route("/client", _client)])


def test_no_proxy_is_trusted_unless_configured() -> None:
    assert Settings().proxy_options() == {"proxy_headers": False}
    assert Settings().proxy_arguments() == ["--no-proxy-headers"]
    listed = Settings(trusted_proxies=" 10.0.0.5,10.1.0.0/16 ")
    assert listed.proxy_options() == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5,10.1.0.0/16"}
    assert listed.proxy_arguments() == ["--proxy-headers", "--forwarded-allow-ips", "10.0.0.5,10.1.0.0/16"]


def test_kaohe_up_starts_each_process_with_them() -> None:
    stack = Supervisor.__new__(Supervisor)  # only its command lines: no process is started
    assert "--no-proxy-headers" in stack_command(stack, Settings())
    command = stack_command(stack, Settings(trusted_proxies="10.0.0.5"))
    assert command[command.index("--forwarded-allow-ips") + 1] == "10.0.0.5"


def stack_command(stack: Supervisor, settings: Settings) -> list[str]:
    """The uvicorn command `kaohe up` runs for the gateway under `settings`."""
    stack.settings, stack.env, stack.children = settings, {}, {}
    with mock.patch.object(subprocess, "Popen") as popen:
        stack.start()
    commands: list[list[str]] = [call.args[0] for call in popen.call_args_list]
    return next(c for c in commands if PROCESSES["gateway"] in c)


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    forged = {"X-Forwarded-For": "203.0.113.9"}
    with settings_env(), served(APP) as url:
        assert httpx.get(f"{url}/client", headers=forged).text == "127.0.0.1"
    with settings_env(KAOHE_TRUSTED_PROXIES="127.0.0.1"), served(APP) as url:
        assert httpx.get(f"{url}/client", headers=forged).text == "203.0.113.9"
