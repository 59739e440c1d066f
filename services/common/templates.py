"""Recognising an English sentence as one of a closed set of message templates, in linear time.

A template is a catalogue message whose English has `%(name)s` (or `%(name)r`) where a value goes; a sentence
matches it when the template's literal text is found around the values. Used where kaohe has only the English
sentence, not its message id: the libraries' own messages (`gateway/library_messages.py`), and the sentences the
engine stores with a result (`services/common/explanations.py`: score explanations and problems).

The patterns run in linear time: a value stops at the first occurrence of the text that follows it (possessively,
so a failing match never backtracks into it), the last one runs to the text that ends the template. A value
named as `greedy` runs to the last occurrence instead (a sentence that ends with a suffix kaohe appends, such as
"; missing: zero = 0", whose head may hold an earlier suffix). A value holding the text that follows it (a
client's string) is split early: its characters are all still rendered, if not where a translation would put
them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property

PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]")
MAX_MESSAGE = 20_000  # characters of a sentence recognised; a longer one is left as written


class Templates:
    """A closed set of templates, tried in the order given (most particular first)."""

    def __init__(self, templates: Iterable[str], greedy: Iterable[str] = ()) -> None:
        self.templates = tuple(templates)
        self.greedy = frozenset(greedy)

    @cached_property
    def _compiled(self) -> tuple[tuple[str, str, re.Pattern[str], str], ...]:
        """Each template as (its literal start, its longest literal piece, its anchored pattern, the template)."""
        compiled = []
        for template in self.templates:
            pieces, end, seen = [], 0, set()
            found = list(PLACEHOLDER.finditer(template))
            for index, placeholder in enumerate(found):
                pieces.append(_literal(template[end:placeholder.start()]))
                follows = _text(template[placeholder.end():found[index + 1].start() if index + 1 < len(found)
                                         else None])
                name = placeholder.group(1)
                if name in seen:  # a value written twice: the same text both times
                    pieces.append(f"(?P={name})")
                elif index + 1 == len(found) or name in self.greedy:
                    pieces.append(f"(?P<{name}>.*)")
                else:
                    assert follows, f"two placeholders side by side in {template!r}"
                    pieces.append(f"(?P<{name}>(?:(?!{re.escape(follows)}).)*+)")
                end = placeholder.end()
                seen.add(name)
            pieces.append(_literal(template[end:]))
            start = _text(template[:found[0].start()] if found else template)
            longest = max((_text(piece) for piece in PLACEHOLDER.split(template)[::2]), key=len)
            compiled.append((start, longest, re.compile("".join(pieces), re.DOTALL), template))
        return tuple(compiled)

    @staticmethod
    def literal_text(template: str) -> str:
        """The text of `template` that is not a value: the longer, the more particular the template."""
        return _text(PLACEHOLDER.sub("", template))

    @cached_property
    def _by_first(self) -> tuple[dict[str, tuple[tuple[str, str, re.Pattern[str], str], ...]],
                                 tuple[tuple[str, str, re.Pattern[str], str], ...]]:
        """The templates a sentence may match by its first character (those that start with a value match any),
        each list in the templates' order."""
        compiled = self._compiled
        anywhere = tuple(entry for entry in compiled if not entry[0])
        firsts = {entry[0][0] for entry in compiled if entry[0]}
        return {first: tuple(entry for entry in compiled if not entry[0] or entry[0][0] == first)
                for first in firsts}, anywhere

    def match(self, sentence: str) -> tuple[str, dict[str, str]] | None:
        """The first template `sentence` is an instance of, with its values; None when none (or too long)."""
        if len(sentence) > MAX_MESSAGE:
            return None
        by_first, anywhere = self._by_first
        for start, longest, pattern, template in by_first.get(sentence[:1], anywhere):
            # two cheap tests before the pattern: its start, and its longest literal somewhere
            if sentence.startswith(start) and longest in sentence:
                matched = pattern.fullmatch(sentence)
                if matched is not None:
                    return template, matched.groupdict()
        return None


def _text(piece: str) -> str:
    """A template's literal piece as it reads in the sentence (`%%` is one `%`)."""
    return piece.replace("%%", "%")


def _literal(piece: str) -> str:
    return re.escape(_text(piece))


class Verbatim(str):
    """A value read back from a sentence as it was written there: `%(name)r` shows it unchanged (it is already
    the repr the sentence holds), not quoted a second time."""

    def __repr__(self) -> str:
        return str(self)
