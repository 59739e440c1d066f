"""`?ids=a,b,c` batch reads: one parser, so every batch endpoint bounds its input the same way."""

from __future__ import annotations

from kaohe.i18n import _
from services.common.errors import InvalidInput

MAX_IDS = 100  # ids per batch call, unless the endpoint says otherwise
MAX_ID_LENGTH = 100  # characters per id


def query_length(limit: int = MAX_IDS, max_length: int = MAX_ID_LENGTH) -> int:
    """The longest `ids` text split_ids can accept: `limit` ids of `max_length` characters and their commas
    (the query parameter's own bound, so a huge text is refused before it is split)."""
    return limit * (max_length + 1)


def split_ids(ids: str, *, field: str = "ids", limit: int = MAX_IDS, max_length: int = MAX_ID_LENGTH,
              unique: bool = True) -> list[str]:
    """`a,b,a,c` → `[a, b, c]` (order kept, repeats dropped; kept and counted with `unique=False`);
    422 past `limit` ids or `max_length` characters."""
    stripped = (p for p in (s.strip() for s in ids.split(",")) if p)
    parts = list(dict.fromkeys(stripped)) if unique else list(stripped)
    if len(parts) > limit or any(len(p) > max_length for p in parts):
        raise InvalidInput(_("%(field)s: at most %(limit)s ids of at most %(max_length)s characters",
                             field=field, limit=limit, max_length=max_length),
                           details={"field": field})
    return parts
