"""The language of each request (`Accept-Language`, else `KAOHE_DEFAULT_LOCALE`) for the services and the
gateway, and its passing on to the other processes a request calls; the catalogue itself is `kaohe.i18n`."""

from __future__ import annotations

import httpx
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kaohe.i18n import N_, Text, current_locale, locale_var, localize, negotiate, translate
from kaohe.parser_reasons import json_problem
from services.common.reasons import localized_details, name_list, or_list, pydantic_reason
from services.common.settings import get_settings

__all__ = ["N_", "LocaleMiddleware", "Text", "current_locale", "json_problem", "localize", "localized_details",
           "name_list", "or_list", "pass_language_on", "pydantic_reason", "request_locale", "translate"]

ACCEPT_LANGUAGE = "accept-language"


def _header(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"accept-language":
            return str(value.decode("latin-1"))
    return None


class LocaleMiddleware:
    """Sets `locale_var` for the request (HTTP or WebSocket) from its `Accept-Language`, negotiated between
    zh-CN and en, else `KAOHE_DEFAULT_LOCALE`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        chosen = negotiate(_header(scope), get_settings().default_locale)
        token = locale_var.set(chosen)
        try:
            await self.app(scope, receive, send if scope["type"] == "websocket" else _labelled(send, chosen))
        finally:
            locale_var.reset(token)


def _labelled(send: Send, chosen: str) -> Send:
    """`send` that says which language an HTTP answer is in (`Content-Language`) and that it depends on
    `Accept-Language` (`Vary`), so that a cache does not serve one reader's language to another. An answer that
    names its language itself (the public 公示, Chinese only) is left as it is."""

    async def labelled(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if "content-language" not in headers:
                headers["Content-Language"] = chosen
                headers.add_vary_header("Accept-Language")
        await send(message)

    return labelled


def request_locale(connection: HTTPConnection) -> str:
    """The locale of a request: the middleware's, else (an error rendered outside it) its own header's."""
    return locale_var.get() or negotiate(connection.headers.get(ACCEPT_LANGUAGE), get_settings().default_locale)


async def pass_language_on(request: httpx.Request) -> None:
    """httpx request hook of the clients to other kaohe processes: the caller's language goes along, so the
    service that refuses answers in it."""
    chosen = locale_var.get()
    if chosen and ACCEPT_LANGUAGE not in request.headers:
        request.headers[ACCEPT_LANGUAGE] = chosen


