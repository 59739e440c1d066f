"""Sentences kaohe writes into the database and shows later (why a 公示 went stale, the note of a deadline counted
Monday to Friday, why a webhook delivery failed …), stored without a language and rendered in the reader's.

A column of type `StoredText` is JSONB holding one of

    {"code": "publication.stale", "params": {...}}   a message of `MESSAGES` (its English text may change later)
    {"msgid": "...", "params": {...}}                 another marked message (a parameter of one above)
    {"text": "..."}                                   a plain text: a person's own words, or a row written before
                                                      texts were stored this way (shown as written)

The ORM reads it back as a `Text` (a marked message, English as a `str`) or a plain `str`, so the code compares
and logs it as before; a response renders it with `localize` in the request's language (`Localized` does so for
a pydantic field). A parameter that is itself a marked message is stored the same way, nested; a local time
(services/common/localtime.py) as `{"instant": ISO, "form": …}`, worded in the reader's language and zone when read.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from kaohe.i18n import N_, Text, localize
from services.common.localtime import LocalTime

# code → English message. A code is forever (rows keep it); its English (the catalogue's id) may be reworded,
# since rows keep the code, not the sentence. Add a message here to store it.
MESSAGES: dict[str, str] = {
    "publication.stale": N_("the results changed after the 公示 of %(day)s (publication %(publication)s): "
                            "%(changed)s changed, %(added)s added, %(removed)s removed"),
    "publication.stale_after_finalization": N_("the scores changed after 审定 (finalized); reopen the period to "
                                               "take them"),
    "calendar.counted_monday_to_friday": N_("no holiday arrangement is loaded for %(years)s: its working days were "
                                            "counted Monday to Friday (holidays and 调休 ignored)"),
    "review.default_agree": N_("the deadline passed without action: taken as agreeing"),
    "review.approved_on_upload": N_("approved on upload: the uploader reviews every level"),
    "webhook.refused": N_("refused: %(reason)s"),
    "webhook.not_public": N_("refused: %(host)s does not resolve to a public address"),
    "webhook.request_failed": N_("the request failed: %(error)s"),
    "webhook.http_status": N_("the receiver answered HTTP %(status)s"),
    "webhook.disabled": N_("every delivery failed since %(since)s (%(attempts)s attempts; the last: %(last)s)"),
}
CODES = {msgid: code for code, msgid in MESSAGES.items()}
MAX_DEPTH = 4  # of nested messages: a disabled subscription's reason holds its last delivery's error, which may
# hold the address policy's reason


def message(code: str, /, **params: object) -> Text:
    """The stored message `code` with its parameters (a `Text`, English as a `str`)."""
    return Text(MESSAGES[code], params)


def _param(value: object, depth: int) -> object:
    if isinstance(value, LocalTime):  # kept as the instant: worded when read, in the reader's language
        return {"instant": value.moment.isoformat(), "form": value.form}
    if isinstance(value, Text):
        return to_json(value, depth + 1)
    if isinstance(value, bool | int | float | None):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def to_json(value: str | None, depth: int = 0) -> dict[str, Any] | None:
    """The stored form of a message or plain text (None stays None)."""
    if value is None:
        return None
    if not isinstance(value, Text) or depth > MAX_DEPTH:
        return {"text": str(value)}
    params = {name: _param(param, depth) for name, param in value.params.items()}
    code = CODES.get(value.msgid)
    return {"code": code, "params": params} if code else {"msgid": value.msgid, "params": params}


def _value(param: object) -> object:
    if isinstance(param, dict) and isinstance(param.get("instant"), str):
        try:
            moment = datetime.fromisoformat(param["instant"])
            return LocalTime(moment, "deadline" if param.get("form") == "deadline" else "instant")
        except ValueError:
            return param["instant"]
    return from_json(param) if isinstance(param, dict) else param


def from_json(stored: Any) -> str | None:
    """The message (a `Text`) or plain text a stored form holds; a form not understood reads as its JSON text."""
    if stored is None:
        return None
    if isinstance(stored, str):  # a JSON string (not written by kaohe): shown as it is
        return stored
    if not isinstance(stored, dict):
        return str(stored)
    raw = stored.get("params")
    params = {str(k): _value(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    if isinstance(stored.get("code"), str) and stored["code"] in MESSAGES:
        return Text(MESSAGES[stored["code"]], params)
    if isinstance(stored.get("msgid"), str):
        return Text(stored["msgid"], params)
    if isinstance(stored.get("text"), str):
        return str(stored["text"])
    return str(stored)


class StoredText(TypeDecorator[str]):
    """A column holding a sentence without a language (see the module's docstring)."""

    impl = JSONB
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(none_as_null=True)  # None is SQL NULL (`IS NULL` finds it), not the JSON null

    def process_bind_param(self, value: str | None, dialect: Dialect) -> dict[str, Any] | None:
        return to_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return from_json(value)


def english(value: str | None) -> str | None:
    """A stored message as the English `str` (an audit record's details, a log line)."""
    return None if value is None else str(value)


def localized(value: Any) -> Any:
    """A stored message in the request's language (pydantic's `Localized`); anything else unchanged."""
    return localize(value) if isinstance(value, Text) else value


# a response field whose value may be a stored message: rendered when the response is built, in the request
Localized = Annotated[str, BeforeValidator(localized)]
