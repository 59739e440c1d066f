"""`inputs_sha256` (scheme-format.md §11, engine/canonical.py) from cached per-fact canonical bytes.

The definition is unchanged: SHA-256 of canonical_json({"scheme": …, "facts": facts document with
its lists sorted by id}). A period's fact list in canonical form is "[" + the facts' canonical
texts in id order joined by "," + "]", so a process that keeps each fact's canonical bytes hashes
the period after a change without encoding 150,000 facts again (tests/scoring/test_digest.py
proves the equality).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kaohe.engine.canonical import canonical_json, canonical_json_kept, inputs_sha256

_CHUNK = 512


def encode_each(facts: Sequence[Any]) -> list[bytes]:
    """canonical_json of every fact, encoded a chunk at a time (one C-encoder call per chunk).

    A chunk's canonical text is its items' texts joined by ","; between two mappings that is
    "},{". Splitting there is exact when it yields one piece per item (a "},{" inside a string
    value would only add pieces); otherwise the chunk is encoded item by item.
    """
    out: list[bytes] = []
    for start in range(0, len(facts), _CHUNK):
        chunk = facts[start:start + _CHUNK]
        parts = canonical_json(list(chunk))[1:-1].split(b"},{") if all(type(f) is dict for f in chunk) else []
        if len(parts) != len(chunk) or not chunk:
            out.extend(canonical_json_kept(f) for f in chunk)
            continue
        last = len(parts) - 1
        out.extend((b"" if i == 0 else b"{") + part + (b"" if i == last else b"}") for i, part in enumerate(parts))
    return out


class _Collect:
    """A stand-in for a hash object that keeps what it is fed."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def update(self, data: bytes) -> None:
        self.parts.append(data)


def subjects_bytes(subjects: list[dict[str, Any]]) -> bytes:
    """The canonical text of a facts document's subject list (sorted by id), as the engine hashes it."""
    from kaohe.engine.canonical import hash_list

    sink = _Collect()
    hash_list(sink, subjects, None)
    return b"".join(sink.parts)


def period_digest(scheme_document: Mapping[str, Any], header: Mapping[str, Any], subjects: bytes,
                  facts_in_id_order: Iterable[bytes]) -> str:
    """inputs_sha256 of {header…, "subjects": …, "facts": […]} from pre-encoded parts.

    `header` holds the facts document's other keys (scheme, version, period).
    """
    return digest_of(digest_parts(scheme_document, header, subjects, facts_in_id_order))


def digest_parts(scheme_document: Mapping[str, Any], header: Mapping[str, Any], subjects: bytes,
                 facts_in_id_order: Iterable[bytes]) -> list[bytes]:
    """The bytes period_digest hashes, in order (hashing can go to a thread). The facts are not joined
    into one text (a period's fact bytes would be copied twice, join then brackets, on the event loop
    at every change); "[", the items with "," between them and "]" hash the same."""
    parts = [b'{"facts":{']
    for n, key in enumerate(sorted({*map(str, header), "facts", "subjects"})):
        if n:
            parts.append(b",")
        parts.append(canonical_json(key) + b":")
        if key == "facts":
            parts.append(b"[")
            for n_fact, fact in enumerate(facts_in_id_order):
                if n_fact:
                    parts.append(b",")
                parts.append(fact)
            parts.append(b"]")
        elif key == "subjects":
            parts.append(subjects)
        else:
            parts.append(canonical_json(header[key]))
    parts.append(b'},"scheme":' + canonical_json(scheme_document) + b"}")
    return parts


def digest_of(parts: list[bytes]) -> str:
    """SHA-256 of the parts (hashlib releases the GIL on large buffers: fine in a worker thread)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.hexdigest()


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaohe-digest")
_BEGIN_WAIT_S = 2.0  # a worker that has not begun by then (a starved host) is simply awaited later


def digest_alongside(parts: list[bytes]) -> Future[str]:
    """digest_of(parts) in a worker thread, returned once the worker is hashing.

    Only hashing lets go of the GIL, and the compiled engine that runs meanwhile does not hand it
    back until it returns: a worker that had not started, or hashed the parts one `update` at a time,
    would wait for the GIL the whole time and hash afterwards. So the worker joins the parts (one copy,
    while this thread waits) and hashes them in one call, and this thread goes on once it has begun."""
    begun = threading.Event()

    def work() -> str:
        try:
            data = b"".join(parts)
        finally:
            begun.set()
        return digest_of([data])

    future = _HASHER.submit(work)
    begun.wait(_BEGIN_WAIT_S)  # never blocks the event loop for longer
    return future


__all__ = ["digest_alongside", "digest_of", "digest_parts", "encode_each", "inputs_sha256", "period_digest",
           "subjects_bytes"]
