"""Names of units, people and API keys: one form per name, nothing invisible in it, and a key under
which look-alike names meet (issue 21, item 26).

- Stored NFC: the NFC and NFD forms of 张三 or Zoë are one name, not two people.
- Refused: control characters (tab, CR, LF, NUL…), format characters (zero-width joiners and spaces,
  the bidirectional overrides, embeddings and isolates, marks, the BOM), line and paragraph separators,
  surrogates, private-use and unassigned code points: none belongs in a name and each can make two
  names look alike or one name look like another on screen.
- Confusable: `skeleton` maps each character to the prototype Unicode's confusables table (UTS #39,
  as shipped by the confusable-homoglyphs package) gives it, after NFKC (full-width letters); two names
  with one skeleton, as written or casefolded, look alike. A new name that looks like another in the same
  unit is kept, with a warning: two people may well share a name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Annotated

from confusable_homoglyphs import confusables
from pydantic import AfterValidator, Field

from kaohe.i18n import N_, Text, _

# Unicode general categories never allowed in a name
_REFUSED = {"Cc": N_("a control character"), "Cf": N_("an invisible format or bidirectional character"),
            "Zl": N_("a line separator"), "Zp": N_("a paragraph separator"), "Cs": N_("a surrogate"),
            "Co": N_("a private-use character"), "Cn": N_("an unassigned code point")}


def clean_name(value: str) -> str:
    """The name in NFC without surrounding spaces; ValueError naming the first character not allowed."""
    name = unicodedata.normalize("NFC", value).strip(" \u3000")
    for position, char in enumerate(name, start=1):
        what = _REFUSED.get(unicodedata.category(char))
        if what:
            label = unicodedata.name(char, "")
            shown = f"U+{ord(char):04X} {label}".strip()
            raise ValueError(_("contains %(what)s, %(char)s, at position %(position)s; names may not hold control, "
                               "invisible or bidirectional characters", what=Text(what, {}), char=shown,
                               position=position))
    if not name:
        raise ValueError(_("is empty"))
    return name


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(clean_name)]


@cache
def _table() -> dict[str, str]:
    """Each confusable character → its prototype. The package's data lists, for a character that is not a
    prototype, its one prototype; for a prototype, every character that maps to it."""
    data: dict[str, list[dict[str, str]]] = confusables.confusables_data
    table: dict[str, str] = {}
    for char, entries in data.items():
        if len(entries) != 1:
            continue  # a prototype of several characters maps to itself
        target = entries[0]["c"].replace("\u200e", "").replace("\u200f", "")
        back = data.get(target, [])
        if len(back) == 1 and back[0]["c"] == char:
            target = min(char, target)  # two characters that only map to each other: one of them stands for both
        table[char] = target
    return table


def skeleton(name: str) -> str:
    """UTS #39's skeleton after NFKC: two names with one skeleton look alike."""
    table = _table()
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name))
    return unicodedata.normalize("NFD", "".join(table.get(char, char) for char in text))


def look_alike(first: str, second: str) -> bool:
    """Whether two names look alike: one skeleton as written or once casefolded (ALICE and Alice), the
    first catching I and l, which casefolding would part."""
    return (skeleton(first) == skeleton(second)
            or skeleton(first.casefold()) == skeleton(second.casefold()))


class NameIndex:
    """Names (with their ids) keyed by their skeletons, as written and casefolded: a new name finds the names it
    looks like (`look_alike`) in two lookups instead of a comparison with each, so that a file of thousands of
    units under one parent, or people in one unit, is checked in linear time."""

    def __init__(self, named: Iterable[tuple[str, str]] = ()) -> None:
        self._by_key: dict[str, list[tuple[str, str]]] = {}
        for item_id, name in named:
            self.add(item_id, name)

    @staticmethod
    def _keys(name: str) -> tuple[str, str]:
        return "=" + skeleton(name), "~" + skeleton(name.casefold())  # look_alike's two tests, kept apart

    def add(self, item_id: str, name: str) -> None:
        for key in self._keys(name):
            self._by_key.setdefault(key, []).append((item_id, name))

    def alikes(self, name: str) -> list[tuple[str, str]]:
        """(id, name) of every name that looks like `name`, by id: those `look_alike(name, other)` holds for."""
        found = {pair for key in self._keys(name) for pair in self._by_key.get(key, ())}
        return sorted(found)
