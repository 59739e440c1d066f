"""Structured JSON logs carrying a request id, and Prometheus metrics."""

from __future__ import annotations

import hmac
import json
import logging
import os
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, date, datetime

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kaohe.i18n import _
from services.common.errors import NotAuthenticated
from services.common.settings import Settings
from services.common.workcalendar import CalendarCollector, local_today

REQUEST_ID_HEADER = "X-Request-ID"
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, service."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


LEVEL_COLOURS = {"DEBUG": "2", "INFO": "36", "WARNING": "33", "ERROR": "31", "CRITICAL": "1;31"}


class TextFormatter(logging.Formatter):
    """One short line for a person: local time, process, level (coloured on a terminal), message."""

    def __init__(self, service: str, colour: bool) -> None:
        super().__init__()
        self.service, self.colour = service, colour

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        level = f"{record.levelname:<7}"
        if self.colour:
            level = f"\x1b[{LEVEL_COLOURS.get(record.levelname, '0')}m{level}\x1b[0m"
            moment = f"\x1b[2m{moment}\x1b[0m"
        line = f"{moment} {self.service:<8} {level} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class QuietRequests(logging.Filter):
    """Leaves out the lines per HTTP request at INFO: the request a service answered (`kaohe.http`) and the calls it
    made to another service (httpx's "HTTP Request: …"). A terminal shows what needs a person."""

    REQUEST_LOGGERS = frozenset({"kaohe.http", "httpx", "httpcore"})

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name in self.REQUEST_LOGGERS and record.levelno <= logging.INFO)


def on_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def log_format(setting: str, stream: object = None) -> str:
    """`text` or `json`: `auto` is text when `stream` (stderr) is a terminal."""
    if setting != "auto":
        return setting
    return "text" if on_terminal(sys.stderr if stream is None else stream) else "json"


def wants_colour(stream: object) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (no-color.org) or the terminal is `dumb`."""
    return on_terminal(stream) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def configure_logging(service: str, level: str = "INFO", fmt: str = "auto") -> None:
    """Send every log record to stderr: as JSON, or as short lines for a person (KAOHE_LOG_FORMAT, `log_format`)."""
    handler = logging.StreamHandler()
    if log_format(fmt, handler.stream) == "text":
        handler.setFormatter(TextFormatter(service, colour=wants_colour(handler.stream)))
        if level != "DEBUG":
            handler.addFilter(QuietRequests())
    else:
        handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic").setLevel(logging.WARNING)


def new_request_id() -> str:
    return uuid.uuid4().hex


class Metrics:
    """The per-app Prometheus registry and its HTTP metrics."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kaohe_http_requests_total", "HTTP requests", ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kaohe_http_request_seconds", "HTTP request latency", ["service", "method", "route"],
            registry=self.registry,
        )
        self.service = service


class RequestContextMiddleware:
    """Take or create the request id, log the request, count it (pure ASGI: the response is
    finished only when the app, its dependencies' clean-up included, has finished)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logging.getLogger("kaohe.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = (Headers(scope=scope).get(REQUEST_ID_HEADER) or new_request_id())[:64]
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        method, path = scope["method"], scope["path"]
        route = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.requests.labels(self.metrics.service, method, route, status).inc()
        self.metrics.latency.labels(self.metrics.service, method, route).observe(elapsed)
        if route not in ("/healthz", "/metrics"):
            self.log.info(
                "%s %s %s", method, path, status,
                extra={"method": method, "path": path, "status": status, "duration_ms": round(elapsed * 1000, 2)},
            )


def _today(app: FastAPI, settings: Settings) -> date:
    """Today where the offices are, by the app's clock (tests set `app.state.clock`)."""
    from services.common import clock

    now = getattr(app.state, "clock", None) or clock.now
    return local_today(now(), settings.timezone)


def install_observability(app: FastAPI, service: str, settings: Settings) -> Metrics:
    """Add the request-id middleware and `/metrics`: behind KAOHE_METRICS_TOKEN when it is set, open in
    development without it, not served in production without it."""
    metrics = Metrics(service)
    if service != "gateway":  # evidence and ranking count deadlines with it, scoring keeps it
        metrics.registry.register(CalendarCollector(lambda: _today(app, settings)))
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    token = settings.metrics_token.get_secret_value().encode() if settings.metrics_token is not None else None
    if token is None and settings.environment == "production":
        return metrics

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> Response:
        if token is not None:
            scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token):
                raise NotAuthenticated(_("/metrics needs Authorization: Bearer <KAOHE_METRICS_TOKEN>"))
        hook = getattr(request.app.state, "before_metrics", None)
        if hook is not None:  # brings this process's copy of the holiday calendar up to date
            await hook(request.app)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
