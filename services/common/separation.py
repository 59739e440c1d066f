"""Separation of duties (四眼原则) compares persons, not credentials: an actor kaohe stored (a submitter, a
reviewer, the filer of an appeal or objection) is either a person's `sub` or an API key `api-key:<id>`, which stands
for the person who created it (docs/identity.md, "Separation of duties")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from services.common.auth import API_KEY_ACTOR_PREFIX, Principal

# the creators (`sub`) of the API keys with these ids, as scoring keeps them (`GET /v1/api-keys/creators`)
Creators = Callable[[list[str]], Awaitable[dict[str, str]]]


async def persons(actors: Iterable[str], creators: Creators) -> dict[str, str]:
    """Each stored actor with the person it stands for: an API key's creator, anyone else itself (a key scoring does
    not know stands for itself)."""
    wanted = set(actors)
    ids = sorted(a.removeprefix(API_KEY_ACTOR_PREFIX) for a in wanted if a.startswith(API_KEY_ACTOR_PREFIX))
    found = await creators(ids) if ids else {}
    return {a: found.get(a.removeprefix(API_KEY_ACTOR_PREFIX), a) if a.startswith(API_KEY_ACTOR_PREFIX) else a
            for a in wanted}


async def is_one_of(principal: Principal, actors: Iterable[str], creators: Creators) -> bool:
    """Whether the caller (a person, or the person whose API key calls) is one of `actors` or made one of their
    keys; 403 for an API key that does not say whose it is (Principal.person)."""
    person = principal.person()
    return person in (await persons(actors, creators)).values()
