"""`Lru`: at most `limit` entries, the least recently used forgotten first."""

from __future__ import annotations

import pytest

from services.common.bounded import Lru


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" used: "b" is now the oldest
    cache.put("c", 3)
    assert ("a" in cache, "b" in cache, "c" in cache, len(cache)) == (True, False, True, 2)
    cache.put("a", 4)  # replacing counts as a use
    cache.put("d", 5)
    assert (cache.get("a"), cache.get("c"), cache.get("d")) == (4, None, 5)
    assert cache.pop("a") == 4 and cache.pop("a") is None
    cache.clear()
    assert len(cache) == 0


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Lru(0)
