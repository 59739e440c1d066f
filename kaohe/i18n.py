"""Messages in Chinese (zh-CN) and English (en), from the gettext catalogue under `kaohe/locale/`.

A message is written in English in the code and marked: `_("period %(period)s is finalized (审定)",
period=period.id)` gives a `Text`, a `str` whose value is the English sentence, which also keeps its
catalogue id and parameters, so that it is rendered in the caller's language only where it leaves the
process (an error body, a GraphQL error, an export, a CLI line): `localize(text)`. Parameters are named
(`%(name)s`), so a translation may put them in another order. `N_()` marks a constant that is translated
where it is used.

The language of the moment is `locale_var` (set per request from `Accept-Language` by
`services.common.i18n.LocaleMiddleware`, per run by the CLI); unset, it is `KAOHE_DEFAULT_LOCALE`.
The catalogue is the `.po` files themselves, read with Babel on first use: nothing compiled to keep
in step (docs/decisions.md, issue 22).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import cast

from kaohe.quoting import needs_escaping, visible

LOCALES = ("zh-CN", "en")  # the tags kaohe answers in; en is the language of the source
DEFAULT_LOCALE = "zh-CN"
SOURCE_LOCALE = "en"
CATALOGUE = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
MAX_HEADER_CHARS = 500  # of an Accept-Language header read; a real one is a few dozen

locale_var: ContextVar[str | None] = ContextVar("locale", default=None)
_run_locale: list[str] = []  # the CLI's choice for the whole process (its threads too): use_locale()


class Text(str):
    """A marked message: its value is the English sentence; `msgid` and `params` let `localize` render it
    in another language. `english`, when given, is the English value instead of the msgid's (a library's own
    sentence that kaohe translates by its kind, such as pydantic's reasons)."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, params: dict[str, object], english: str | None = None) -> Text:
        self = super().__new__(cls, _format(msgid, _shown(msgid, params), msgid) if english is None else english)
        self.msgid, self.params = msgid, params
        return self

    def __reduce__(self) -> tuple[type[Text], tuple[str, dict[str, object], str]]:
        """Copied and pickled whole (copy.deepcopy of details that hold one, a multiprocessing queue)."""
        return Text, (self.msgid, self.params, str(self))


class Worded(Text):
    """A value kaohe words itself in each language rather than from the catalogue (a local date and time:
    services/common/localtime.py): `in_locale(locale)`; its `str` is the English."""

    def __new__(cls, english: str) -> Worded:
        return cast(Worded, super().__new__(cls, "", {}, english=english))

    def in_locale(self, locale: str) -> str:
        """The value in `locale`."""
        return str(self)


def _(msgid: str, /, **params: object) -> Text:
    """Mark `msgid` (English, with `%(name)s` placeholders for `params`) for translation."""
    return Text(msgid, params)


def N_(msgid: str) -> str:
    """Mark a constant for the catalogue; translate it where it is used (`translate`)."""
    return msgid


CONTEXT_SEPARATOR = "\x04"  # between a message's context and its id, as gettext keys them


def C_(context: str, msgid: str) -> Text:
    """A word marked with a context (gettext's msgctxt), for a word that reads differently by what it is about:
    `C_("submission status", "returned")`. Its English value is the word; a translation is looked up under both."""
    return Text(f"{context}{CONTEXT_SEPARATOR}{msgid}", {}, english=msgid)


class PluralText(Text):
    """A marked message with a singular and a plural (gettext's ngettext), chosen by `count` in each language by
    its catalogue's Plural-Forms (English: one, other; Chinese: one form)."""

    plural: str
    number: int  # the count that chooses the form (not `count`: str has a method of that name)

    def __new__(cls, msgid: str, plural: str, count: int, params: dict[str, object]) -> PluralText:
        chosen = msgid if count == 1 else plural
        english = _format(chosen, _shown(chosen, params), plural)
        self = cast(PluralText, super().__new__(cls, msgid, params, english=english))
        self.plural, self.number = plural, count
        return self

    def __reduce__(self) -> tuple[type[PluralText], tuple[str, str, int, dict[str, object]]]:  # type: ignore[override]
        return PluralText, (self.msgid, self.plural, self.number, self.params)


def ngettext(msgid: str, plural: str, count: int, /, **params: object) -> PluralText:
    """Mark a message with its plural: `ngettext("%(count)s problem", "%(count)s problems", n, count=n)`."""
    return PluralText(msgid, plural, count, params)


STATUS_WORDS: dict[str, dict[str, Text]] = {
    # the statuses that messages name, in the reader's language (the `code` and `details` keep the value itself)
    "submission": {"pending": C_("submission status", "pending"), "approved": C_("submission status", "approved"),
                   "rejected": C_("submission status", "rejected"), "returned": C_("submission status", "returned"),
                   "revoked": C_("submission status", "revoked")},
    "notice": {"open": C_("notice status", "open"), "answered": C_("notice status", "answered"),
               "signed": C_("notice status", "signed"), "overdue": C_("notice status", "overdue")},
    "appeal": {"open": C_("appeal status", "open"), "upheld": C_("appeal status", "upheld"),
               "dismissed": C_("appeal status", "dismissed")},
    "period": {"open": C_("period status", "open"), "collecting": C_("period status", "collecting"),
               "scoring": C_("period status", "scoring"), "published": C_("period status", "published"),
               "finalized": C_("period status", "finalized"), "computed": C_("period status", "computed"),
               "reopened": C_("period status", "reopened")},
}


def separated(items: Iterable[str], locale: str | None = None) -> str:
    """Items kaohe lists itself in one line (rewards, problems): `a; b` in English, `a；b` in Chinese, whose office
    texts use full-width punctuation."""
    return ("；" if (locale or current_locale()) == "zh-CN" else "; ").join(items)


def listed(items: Sequence[str]) -> str:
    """'a', 'b', 'c' as a Text whose separator is the language's (`a, b, c` in English, `a、b、c` in Chinese)."""
    if not items:
        return ""
    joined: str = items[0]
    for item in items[1:]:
        joined = Text(N_("%(items)s, %(item)s"), {"items": joined, "item": item})
    return joined


def parenthesized(text: str, locale: str | None = None) -> str:
    """A remark after a word: ` (text)` in English, `（text）` in Chinese (full-width, no space before)."""
    return f"（{text}）" if (locale or current_locale()) == "zh-CN" else f" ({text})"


def status_word(kind: str, value: str) -> str:
    """The status `value` of a `kind` of record as a message parameter, rendered in the reader's language
    (`approved` → 已通过); a value not listed stays as it is."""
    return STATUS_WORDS.get(kind, {}).get(value, value)


_REPR = re.compile(r"%\((\w+)\)r")  # a placeholder quoted with repr, which escapes control characters itself


def _shown(template: str, params: dict[str, object]) -> dict[str, object]:
    """The parameters as `template` shows them: text that is not a marked message (user input: a name, a code, an
    id; or an exception's words), where quoted with `%(name)s`, with its control and bidirectional-formatting
    characters escaped (kaohe/quoting.py), so that no input echoed in a message is shown raw."""
    if not params:
        return params
    quoted = set(_REPR.findall(template))
    shown: dict[str, object] = {}
    for name, param in params.items():
        if name in quoted or isinstance(param, Text):
            shown[name] = param
        elif isinstance(param, str):
            shown[name] = visible(param)
        elif isinstance(param, BaseException) and not (len(param.args) == 1 and isinstance(param.args[0], Text)):
            words = str(param)
            shown[name] = visible(words) if needs_escaping(words) else param
        else:
            shown[name] = param
    return shown


def _format(template: str, params: dict[str, object], fallback: str) -> str:
    if not params:
        return template
    for candidate in (template, fallback):  # a translation that lost a placeholder: the English one
        try:
            return candidate % params
        except (KeyError, ValueError, TypeError):
            continue
    return fallback


def locale_tag(value: str | None) -> str | None:
    """The locale kaohe answers in for a language tag (`zh`, `zh-Hans-CN`, `zh_CN.UTF-8`, `en-GB` …), or None."""
    if not value:
        return None
    primary = value.strip().replace("_", "-").split(".")[0].split("-")[0].lower()
    return {"zh": "zh-CN", "en": "en"}.get(primary)


def negotiate(header: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The locale of an `Accept-Language` header: its most wanted language kaohe speaks (q-values honoured,
    order breaks ties; any Chinese is zh-CN, any English en), else `default` (also for `*`)."""
    if not header:
        return default
    wanted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_HEADER_CHARS].split(",")):
        tag, _sep, rest = part.strip().partition(";")
        quality = 1.0
        for parameter in rest.split(";"):
            name, _eq, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and tag.strip():
            wanted.append((-quality, index, tag.strip()))
    for _q, _i, tag in sorted(wanted):
        if tag == "*":
            return default
        found = locale_tag(tag)
        if found:
            return found
    return default


def default_locale() -> str:
    """`KAOHE_DEFAULT_LOCALE` (zh-CN unless set; the setting itself is validated in services.common.settings)."""
    return locale_tag(os.environ.get("KAOHE_DEFAULT_LOCALE")) or DEFAULT_LOCALE


def current_locale() -> str:
    """The locale of the request under way, else the run's (the CLI's), else the default."""
    return locale_var.get() or (_run_locale[-1] if _run_locale else None) or default_locale()


def use_locale(locale: str | None) -> None:
    """The language of this whole process (a CLI run, threads included) outside requests; None: the default."""
    _run_locale[:] = [locale] if locale else []


def cli_locale(environ: Mapping[str, str] | None = None) -> str:
    """The CLI's language without `--lang`: KAOHE_DEFAULT_LOCALE when set, else the terminal's locale (the first
    of LC_ALL, LC_MESSAGES, LANG that is set, as POSIX reads them: Chinese or English, else zh-CN), else zh-CN."""
    env = os.environ if environ is None else environ
    configured = locale_tag(env.get("KAOHE_DEFAULT_LOCALE"))
    if configured:
        return configured
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return locale_tag(env[name]) or DEFAULT_LOCALE
    return DEFAULT_LOCALE


@cache
def _read(locale: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]], str]:
    """One locale's .po file: msgid (with its context: `context\x04msgid`) → translation, singular msgid →
    plural forms, and its Plural-Forms expression (fuzzy and empty entries left out)."""
    from babel.messages.pofile import read_po

    path = CATALOGUE / locale.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}, {}, "0"
    with path.open("rb") as handle:
        entries = read_po(handle, locale=locale.replace("-", "_"))
    singles: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in entries:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, str) and isinstance(message.string, str):
            key = f"{message.context}{CONTEXT_SEPARATOR}{message.id}" if message.context else message.id
            singles[key] = message.string
        elif isinstance(message.id, tuple | list) and all(message.string):
            plurals[str(message.id[0])] = tuple(str(form) for form in message.string)
    return singles, plurals, entries.plural_expr


def catalogue(locale: str) -> dict[str, str]:
    """msgid → translation of one locale, read from its .po file (fuzzy and empty entries left out); a message
    with a context under `context\x04msgid`."""
    return _read(locale)[0]


def _plural(value: PluralText, locale: str) -> str | None:
    """The translation of a plural message for its count, by the locale's Plural-Forms; None when untranslated."""
    import gettext

    _singles, plurals, expression = _read(locale)
    forms = plurals.get(value.msgid)
    if forms is None:
        return None
    index = gettext.c2py(expression)(value.number)
    return forms[min(index, len(forms) - 1)]


def translate(msgid: str, locale: str | None = None) -> str:
    """The translation of a catalogue id (a constant marked with `N_`), else the id itself."""
    return catalogue(locale or current_locale()).get(msgid, msgid)


def _localized_param(param: object, locale: str) -> object:
    """A parameter that is a marked message, or an exception raised with one, in `locale`; others unchanged."""
    if isinstance(param, Text):
        return localize(param, locale)
    if isinstance(param, BaseException) and len(param.args) == 1 and isinstance(param.args[0], Text):
        return localize(param.args[0], locale)
    return param


def localize(value: object, locale: str | None = None) -> str:
    """`value` in `locale` (default: the current one): a marked message translated, its parameters too when
    they are marked messages; an exception raised with one marked message, that message; anything else as it is."""
    if isinstance(value, BaseException) and len(value.args) == 1 and isinstance(value.args[0], Text):
        value = value.args[0]
    if not isinstance(value, Text):
        return str(value)
    chosen = locale or current_locale()
    if isinstance(value, Worded):
        return value.in_locale(chosen)
    template = _plural(value, chosen) if isinstance(value, PluralText) else catalogue(chosen).get(value.msgid)
    if template is None:  # English (the source), or a message not translated: the English value
        return str(value)
    params = {name: _localized_param(param, chosen) for name, param in _shown(template, value.params).items()}
    return _format(template, params, value.msgid)
