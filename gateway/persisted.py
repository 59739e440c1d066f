"""Persisted queries: Apollo's automatic persisted queries (APQ) and a locked-down allow-list.

A request names its document by `extensions.persistedQuery = {"version": 1, "sha256Hash": …}`.

- `apq`: the hash alone is served from a bounded in-process store (LRU by count and by total
  bytes), or answered `PERSISTED_QUERY_NOT_FOUND` so the client resends it with the text; the text
  with its hash is checked (`PERSISTED_QUERY_HASH_MISMATCH`, nothing stored) and stored once it has
  parsed and validated. Raw texts without a hash run as before. Each instance has its own store: a
  miss costs the client one resend. Texts are kept per identity: a hash finds only what the same caller sent.
- `allowlist`: only the documents of a manifest (`{sha256: text}`, checked at start-up) run;
  raw texts and unknown hashes are refused with `PERSISTED_QUERY_NOT_ALLOWED`.
- `off`: a request carrying `persistedQuery` is answered `PERSISTED_QUERY_NOT_SUPPORTED`, which
  Apollo clients take as the cue to send texts only.

The document found goes through the same parsing, operation-type check (no mutation over GET)
and validation (depth, aliases, tokens, cost, page size, introspection) as a raw text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import strawberry
from graphql import GraphQLError, parse, specified_rules, validate
from strawberry.extensions import SchemaExtension

from kaohe.i18n import _
from services.common.settings import ConfigError, Settings

Mode = Literal["off", "apq", "allowlist"]
FILE_SETTING = "KAOHE_GATEWAY_PERSISTED_QUERIES_FILE"
_HASH = re.compile(r"^[0-9a-f]{64}$")

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"


def sha256_of(text: str) -> str:
    """The APQ identifier of a document: the SHA-256 of its UTF-8 text, lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PersistedQueryError(GraphQLError):
    """A refusal of the persisted-query protocol: expected, logged as one line, never a traceback."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message, extensions={"code": code})
        self.status = status


class QueryStore:
    """The APQ store: hash → text, least recently used first out, bounded by count and bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._texts: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._texts)

    def __contains__(self, sha256: str) -> bool:
        return sha256 in self._texts

    def get(self, sha256: str) -> str | None:
        text = self._texts.get(sha256)
        if text is not None:
            self._texts.move_to_end(sha256)
        return text

    def put(self, sha256: str, text: str) -> bool:
        """Keep `text`; a text larger than the whole budget is not kept (it still ran)."""
        size = len(text.encode("utf-8"))
        if size > self.max_bytes:
            return False
        if sha256 in self._texts:
            self._texts.move_to_end(sha256)
            return True
        self._texts[sha256] = text
        self.bytes += size
        while len(self._texts) > self.max_entries or self.bytes > self.max_bytes:
            _, evicted = self._texts.popitem(last=False)
            self.bytes -= len(evicted.encode("utf-8"))
        return True


@dataclass
class Policy:
    """How one gateway treats persisted queries: its mode, its APQ store, its allow-list."""

    mode: Mode = "apq"
    store: QueryStore = field(default_factory=lambda: QueryStore(1000, 4 * 1024 * 1024))
    allowed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(mode=settings.gateway_persisted_queries,
                   store=QueryStore(settings.gateway_persisted_queries_max_entries,
                                    settings.gateway_persisted_queries_max_bytes))


def _requested_hash(persisted: Any) -> str:
    version = persisted.get("version") if isinstance(persisted, dict) else None
    if isinstance(version, bool) or version != 1:  # JSON `true` is not version 1
        raise PersistedQueryError(_('persistedQuery must be {"version": 1, "sha256Hash": …}'), "BAD_REQUEST", 400)
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _HASH.match(sha256.lower()):
        raise PersistedQueryError(_("persistedQuery.sha256Hash must be 64 hexadecimal digits"), "BAD_REQUEST", 400)
    return sha256.lower()


class PersistedQueries(SchemaExtension):
    """Resolves the request's document from its hash before strawberry parses it, and stores a
    verified text once it has validated. First of the gateway's extensions."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy
        self._store_as: str | None = None

    def on_operation(self) -> Iterator[None]:
        try:
            self._resolve()
        except PersistedQueryError as error:
            response = getattr(self.execution_context.context, "response", None)
            if response is not None:
                response.status_code = error.status
                response.headers["Cache-Control"] = "private, no-cache, must-revalidate"
            raise
        yield

    def _resolve(self) -> None:
        context = self.execution_context
        persisted = (context.operation_extensions or {}).get("persistedQuery")
        mode, query = self.policy.mode, context.query
        if mode == "allowlist":
            if query:
                raise PersistedQueryError(_("this gateway runs only its listed documents; send the persistedQuery "
                                            "hash without the text"), NOT_ALLOWED, 400)
            if persisted is None:
                return  # no document at all: strawberry's own "no query" answer
            listed = self.policy.allowed.get(_requested_hash(persisted))
            if listed is None:
                raise PersistedQueryError(_("this document is not on the gateway's allow-list"), NOT_ALLOWED, 400)
            context.query = listed
            return
        if persisted is None:
            return
        if mode == "off":
            raise PersistedQueryError("PersistedQueryNotSupported", NOT_SUPPORTED, 200)  # Apollo's clients read it
        sha256 = _requested_hash(persisted)
        key = self._key(sha256)
        if not query:
            found = self.policy.store.get(key)
            if found is None:
                raise PersistedQueryError("PersistedQueryNotFound", NOT_FOUND, 200)  # as it is
            context.query = found
            return
        if sha256_of(query) != sha256:
            raise PersistedQueryError(_("provided sha256Hash does not match the query text"), HASH_MISMATCH, 400)
        if key not in self.policy.store:
            self._store_as = key

    def _key(self, sha256: str) -> str:
        """The store's key of a hash for this caller: texts are kept per identity (a user's `sub`, an API key's
        `api-key:<id>`, "" for no credentials), so a hash answers only the caller who sent its text; otherwise
        anyone could learn, hash by hash, which exact texts (literal ids included) others ran."""
        principal = getattr(self.execution_context.context, "principal", None)
        identity = principal.subject if principal is not None else ""
        return f"{identity}\n{sha256}"  # a subject holds no line break (services.common.auth.subject_problem)

    def on_validate(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if self._store_as is not None and context.query and context.pre_execution_errors == [] \
                and context.graphql_document is not None:
            self.policy.store.put(self._store_as, context.query)


# --- the allow-list manifest ---------------------------------------------------------------------


def document_problem(schema: strawberry.Schema, text: str, rules: list[Any], max_tokens: int) -> str | None:
    """Why `text` would be refused before running (parse or validation), or None."""
    try:
        document = parse(text, max_tokens=max_tokens)
    except GraphQLError as error:
        return error.message
    errors = validate(schema._schema, document, [*specified_rules, *rules])
    return errors[0].message if errors else None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def check_manifest(raw: Any, schema: strawberry.Schema, rules: list[Any], max_tokens: int,
                   where: str = FILE_SETTING) -> dict[str, str]:
    """The allow-list of a decoded manifest; a ConfigError of one line naming the bad entry."""
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where}: must be a non-empty JSON object {{sha256: query text}}")
    allowed: dict[str, str] = {}
    for sha256, text in raw.items():
        name = f"{where}: entry {sha256[:80]!r}"
        if not isinstance(text, str):
            raise ConfigError(f"{name}: the query text must be a string")
        if sha256_of(text) != sha256:
            raise ConfigError(f"{name}: the key is not the SHA-256 of its text (that is {sha256_of(text)})")
        problem = document_problem(schema, text, rules, max_tokens)
        if problem is not None:
            raise ConfigError(f"{name}: {_one_line(problem)}")
        allowed[sha256] = text
    return allowed


def load_manifest(path: Path, schema: strawberry.Schema, rules: list[Any], max_tokens: int) -> dict[str, str]:
    """Read and check the manifest file (one-line ConfigError when anything is wrong)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{FILE_SETTING}: cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{FILE_SETTING}: {path} is not JSON: {_one_line(str(exc))}") from None
    return check_manifest(raw, schema, rules, max_tokens)
