"""`?ids=a,b,c` batch reads: one parser, so every batch endpoint bounds its input the same way."""

from __future__ import annotations

from services.common.errors import InvalidInput


def split_ids(ids: str, *, field: str = "ids", limit: int = 100, max_length: int = 100,
              unique: bool = True) -> list[str]:
    """`a,b,a,c` → `[a, b, c]` (order kept, repeats dropped; kept and counted with `unique=False`);
    422 past `limit` ids or `max_length` characters."""
    stripped = (p for p in (s.strip() for s in ids.split(",")) if p)
    parts = list(dict.fromkeys(stripped)) if unique else list(stripped)
    if len(parts) > limit or any(len(p) > max_length for p in parts):
        raise InvalidInput(f"{field}: at most {limit} ids of at most {max_length} characters",
                           details={"field": field})
    return parts
