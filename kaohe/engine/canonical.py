"""Canonical JSON for hashing inputs (§11 inputs_sha256): same inputs, same bytes.

Floats (YAML reads `0.6` as a float) are written by `repr`, which is the shortest literal that
reads back to the same float, so they are deterministic; Decimals become normalised strings.
The facts document is hashed streaming, one chunk of facts at a time, so 3 million facts never
sit in memory as one string.

The definition is `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` with
the `_default` below (`canonical_text`, the reference encoder). orjson writes the same bytes, faster,
for the values it shares with it: dicts with text keys, lists, tuples, text, 64-bit ints, bools,
None and Decimals (through `default`). `_plain` checks that a value holds nothing else (no floats,
which orjson formats differently, no enums, dates, subclasses…) before orjson is used; anything
orjson rejects (non-text keys, bigger ints, lone surrogates, deep nesting) also falls back to the
reference.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Mapping
from decimal import Decimal
from itertools import chain
from typing import Any

import orjson

_SEPARATORS = (",", ":")
_CHUNK = 512  # facts per encoder call (the output stays in cache)
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
_SCALARS = frozenset({str, int, bool, type(None), Decimal})
_SHARED = _SCALARS | {dict, list, tuple}  # the types orjson writes exactly as the reference does


def _decimal_text(obj: Decimal) -> str:
    if not obj.is_finite():
        return str(obj)
    text = format(obj.normalize(), "f")
    return "0" if text == "-0" else text


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return _decimal_text(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=str)
    return str(obj)


def _stringify_keys(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _stringify_keys(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_stringify_keys(v) for v in obj]
    return obj


def canonical_text(obj: Any) -> str:
    """The canonical text of `obj` by the reference encoder, which defines it (canonical_json writes its bytes)."""
    try:
        return json.dumps(obj, sort_keys=True, separators=_SEPARATORS, ensure_ascii=False, default=_default)
    except TypeError:  # keys of mixed types (YAML allows `1:` next to `a:`)
        return json.dumps(
            _stringify_keys(obj), sort_keys=True, separators=_SEPARATORS, ensure_ascii=False, default=_default
        )


def _orjson_default(obj: Any) -> str:
    if type(obj) is Decimal:
        return _decimal_text(obj)
    raise TypeError  # not reached after _plain; orjson turns it into JSONEncodeError


def _plain(obj: Any) -> bool:
    """True when obj holds only the types of _SHARED (checked level by level, in C-speed maps)."""
    level = [obj]
    while level:
        kinds = set(map(type, level))
        if kinds <= _SCALARS:
            return True
        if not kinds <= _SHARED:
            return False
        dicts = [v for v in level if type(v) is dict]
        seqs = [v for v in level if type(v) is list or type(v) is tuple]
        level = [*chain.from_iterable(map(dict.values, dicts)), *chain.from_iterable(seqs)]
    return True


def _flat_records(obj: Any) -> bool:
    """True for a list of dicts whose values are all of _SCALARS: the shape of facts.

    A dict subclass answers False, and the other checks then decide."""
    if type(obj) is not list:
        return False
    records: list[Any] = obj
    for record in records:
        if type(record) is not dict:
            return False
        fields: dict[Any, Any] = record
        for value in list(fields.values()):
            kind = type(value)
            if kind is not str and kind is not int and kind is not bool and value is not None and kind is not Decimal:
                return False
    return True


def _dumps_bytes(obj: Any) -> bytes:
    """The canonical text as UTF-8: orjson when it writes the same bytes, else the reference."""
    if _flat_records(obj) or _plain(obj):
        try:
            return orjson.dumps(obj, default=_orjson_default, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError:  # non-text keys, ints beyond 64 bits, lone surrogates, depth
            pass
    return canonical_text(obj).encode()


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no whitespace, ensure_ascii=False, UTF-8; Decimals as normalised strings."""
    return _dumps_bytes(obj)


def canonical_json_kept(obj: Any) -> bytes:
    """`canonical_json` for bytes that are kept (a cache): a right-sized copy. orjson allocates its
    output in large steps and does not shrink it (a short fact occupies a whole step), which is
    harmless for text that is hashed or sent and dropped, but not for text held per fact."""
    return memoryview(_dumps_bytes(obj)).tobytes()


def _id_key(item: Any) -> str:
    return str(item.get("id")) if isinstance(item, Mapping) else ""


def sorted_by_id(items: Iterable[Any]) -> list[Any]:
    """Items sorted by id; equal ids (a fact problem anyway) ordered by their canonical text."""
    items = list(items)
    try:  # fast path: dicts with distinct string ids, the normal case
        out = sorted(items, key=operator.itemgetter("id"))
        if _distinct_text_ids(out):
            return out
    except (KeyError, TypeError):
        pass
    return sorted(items, key=lambda item: (_id_key(item), canonical_text(item)))


def _distinct_text_ids(ordered: list[Any]) -> bool:
    """Whether the ids of items sorted by id are all exactly text and no two are equal."""
    previous: object = None
    for item in ordered:
        key: object = item["id"]
        if type(key) is not str or key == previous:
            return False
        previous = key
    return True


def hash_list(h: Any, items: Any, ordered: list[Any] | None) -> None:
    if not isinstance(items, list | tuple):
        h.update(canonical_json(items))
        return
    if ordered is None:
        ordered = sorted_by_id(items)
    h.update(b"[")
    # encode in chunks: one C-encoder call per _CHUNK items, stripped of its brackets and joined by ","
    for start in range(0, len(ordered), _CHUNK):
        if start:
            h.update(b",")
        h.update(_dumps_bytes(ordered[start : start + _CHUNK])[1:-1])
    h.update(b"]")


def inputs_sha256(
    scheme_document: Mapping[str, Any], facts: Mapping[str, Any], *, sorted_facts: list[Any] | None = None
) -> str:
    """SHA-256 of canonical_json({"scheme": scheme, "facts": facts with lists sorted by id}).

    `sorted_facts` is `sorted_by_id(facts["facts"])` when the caller already has it.
    """
    h = hashlib.sha256()
    h.update(b'{"facts":{')
    for n, key in enumerate(sorted(str(k) for k in facts)):
        if n:
            h.update(b",")
        h.update(canonical_text(key).encode() + b":")
        if key in ("facts", "subjects"):
            hash_list(h, facts[key], sorted_facts if key == "facts" else None)
        else:
            h.update(canonical_json(facts[key]))
    h.update(b'},"scheme":' + canonical_json(scheme_document) + b"}")
    return h.hexdigest()
