"""Maintain the message catalogue (`kaohe/locale/`) with Babel: extract the marked messages of the code into
`messages.pot`, carry them into each language's `.po`, and check that every message is translated.

    python -m kaohe.catalogue update   # after marking, changing or removing a message; then translate
    python -m kaohe.catalogue check    # what tests/common/test_i18n.py checks: fresh template, no gap
    python -m kaohe.catalogue take zh-CN OTHER.po   # translations of OTHER.po for messages still untranslated

The files are written deterministically (no dates, file names without line numbers), so that the template
changes only when a message does and a test can compare it byte for byte.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from kaohe.i18n import CATALOGUE, DOMAIN, LOCALES, SOURCE_LOCALE

ROOT = CATALOGUE.parents[1]
SOURCES = ("kaohe", "services", "gateway")
KEYWORDS = {"_": None, "N_": None, "C_": ((1, "c"), 2), "ngettext": (1, 2)}  # kaohe.i18n: C_ with a context
FIXED_DATE = datetime(2026, 12, 7, tzinfo=UTC)  # in every header, so that writing twice gives the same bytes
TEMPLATE = CATALOGUE / f"{DOMAIN}.pot"
PROBE_SOURCE = "kaohe/probe.py"  # `kaohe healthcheck`: its messages are also compiled for the standard library


def po_path(locale: str) -> Path:
    return CATALOGUE / locale.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"


def _new_catalog(locale: str | None = None) -> Catalog:
    return Catalog(locale=locale, domain=DOMAIN, project="kaohe", version="0.1", header_comment=(
        "# Messages of kaohe (errors, exports, CLI). Source language: English.\n"
        "# Regenerate with `python -m kaohe.catalogue update`; translate the msgstr lines.\n#"),
        copyright_holder="kaohe", creation_date=FIXED_DATE, revision_date=FIXED_DATE, fuzzy=False,
        last_translator="kaohe", language_team="kaohe")


def _skip(path: str) -> bool:
    return "__pycache__" not in path and ".venv" not in path


def extract() -> Catalog:
    """The catalogue the code marks today (`_()` and `N_()` in kaohe, services and gateway)."""
    template = _new_catalog()
    for source in SOURCES:
        found: Iterator[tuple[str, int, str | tuple[str | None, ...], list[str], str | None]] = extract_from_dir(
            ROOT / source, keywords=KEYWORDS, directory_filter=_skip)
        for filename, lineno, message, comments, context in found:
            if not isinstance(message, str) and (len(message) != 2 or not all(message)):
                raise ValueError(f"{source}/{filename}:{lineno}: mark a message, or a singular and its plural")
            template.add(cast(str | tuple[str, str], message), None, [(f"{source}/{filename}", lineno)],
                         auto_comments=comments, context=context)
    return template


def render(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=116, sort_by_file=True, include_lineno=False, ignore_obsolete=True)
    # the header names Babel's version: left out, so that another Babel writes the same file
    return re.sub(rb'"Generated-By: [^"]*"\n', b"", out.getvalue())


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def updated(locale: str, template: Catalog) -> Catalog:
    """`locale`'s catalogue carried onto `template`: kept translations, new messages empty, changed ones fuzzy."""
    path = po_path(locale)
    catalog = read(path, locale.replace("-", "_")) if path.is_file() else _new_catalog(locale.replace("-", "_"))
    catalog.update(template, update_creation_date=False)
    catalog.revision_date = FIXED_DATE
    return catalog


def probe_mo_path(locale: str) -> Path:
    return TEMPLATE.parent / locale.replace("-", "_") / "LC_MESSAGES" / "probe.mo"  # beside the template, as CATALOGUE


def compiled_probe(locale: str) -> bytes:
    """The compiled catalogue (.mo) of `kaohe healthcheck`'s messages (kaohe/probe.py) in `locale`, for the standard
    library's gettext: the probe answers a container's health check without importing Babel."""
    from babel.messages.mofile import write_mo

    source = read(po_path(locale), locale.replace("-", "_"))
    compiled = _new_catalog(locale.replace("-", "_"))
    for message in source:
        if message.id and any(where == PROBE_SOURCE for where, _line in message.locations):
            compiled.add(message.id, message.string, context=message.context)
    out = io.BytesIO()
    write_mo(out, compiled)
    return out.getvalue()


def update() -> None:
    template = extract()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(render(template))
    for locale in LOCALES:
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(updated(locale, template)))
        if locale != SOURCE_LOCALE:
            mo = probe_mo_path(locale)
            mo.parent.mkdir(parents=True, exist_ok=True)
            mo.write_bytes(compiled_probe(locale))


def problems() -> list[str]:
    """Everything that keeps the catalogue from being complete, one line each."""
    found: list[str] = []
    template = extract()
    if not TEMPLATE.is_file() or TEMPLATE.read_bytes() != render(template):
        found.append(f"{TEMPLATE.relative_to(ROOT)} is stale: run `python -m kaohe.catalogue update`")
    for locale in LOCALES:
        path = po_path(locale)
        if not path.is_file():
            found.append(f"{path.relative_to(ROOT)} is missing")
            continue
        catalog = read(path, locale.replace("-", "_"))
        ids = {_key(message) for message in catalog if message.id}
        for message in template:
            if message.id and _key(message) not in ids:
                found.append(f"{locale}: not in {path.name} (run the update): {message.id!r}")
        if locale == SOURCE_LOCALE:
            continue  # the source language: an empty msgstr is the msgid itself
        mo = probe_mo_path(locale)
        if not mo.is_file() or mo.read_bytes() != compiled_probe(locale):
            found.append(f"{mo.relative_to(ROOT)} is stale: run `python -m kaohe.catalogue update`")
        for message in catalog:
            if not message.id:
                continue
            if not _translated(message.string) or message.fuzzy:
                found.append(f"{locale}: not translated{' (fuzzy)' if message.fuzzy else ''}: {message.id!r}")
            found.extend(f"{locale}: {error} in {message.id!r}" for error in message.check(catalog))
    return found


def _key(message: Any) -> tuple[str | None, str | tuple[str, ...]]:
    """A message's identity: its context and its id (a plural's: singular and plural)."""
    return message.context, message.id if isinstance(message.id, str) else tuple(message.id)


def _translated(string: object) -> bool:
    """A msgstr that is filled: a text, or every plural form of one."""
    return bool(string) and (isinstance(string, str) or all(string))  # type: ignore[arg-type]


def counts() -> dict[str, int]:
    """Messages in the template, and translated messages per locale."""
    out = {"messages": sum(1 for message in read(TEMPLATE) if message.id)}
    for locale in LOCALES:
        if locale != SOURCE_LOCALE:
            out[locale] = sum(1 for message in read(po_path(locale)) if message.id and _translated(message.string)
                              and not message.fuzzy)
    return out


def take(locale: str, other: Path) -> int:
    """Copy into `locale`'s catalogue the translations of `other` (another copy of a .po file, say a branch's
    before a rebase) for its messages that are untranslated or fuzzy; how many were taken."""
    path = po_path(locale)
    catalog = read(path, locale.replace("-", "_"))
    found = {_key(message): message.string for message in read(other, locale.replace("-", "_"))
             if message.id and _translated(message.string) and not message.fuzzy}
    taken = 0
    for message in catalog:
        key = _key(message)
        if message.id and (not _translated(message.string) or message.fuzzy) and key in found:
            message.string, message.flags = found[key], message.flags - {"fuzzy"}
            taken += 1
    path.write_bytes(render(catalog))
    update()  # written again from the template, in its order
    return taken


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
        print(counts())
        return 0
    if command == "take" and len(argv) == 3 and argv[1] in LOCALES:
        print(f"{take(argv[1], Path(argv[2]))} translations taken")
        return 0
    if command == "check":
        found = problems()
        print("\n".join(found) if found else f"catalogue complete: {counts()}")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
