"""Separation of duties (四眼原则) compares persons, not credentials: an actor kaohe stored (a submitter, a
reviewer, the filer of an appeal or objection) is either a person's `sub` or an API key `api-key:<id>`, which stands
for the person who created it (docs/identity.md, "Separation of duties"). Two actors are one person when their
`sub`s are equal once NFKC-normalised and case folded (services.common.auth.folded): `Dave` is `dave`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from kaohe.i18n import _
from services.common.auth import API_KEY_ACTOR_PREFIX, Principal, folded
from services.common.errors import Forbidden

# the creators (`sub`) of the API keys with these ids, as scoring keeps them (`GET /v1/api-keys/creators`)
Creators = Callable[[list[str]], Awaitable[dict[str, str]]]


def api_key_id(actor: str | None) -> str | None:
    """The id of the API key a stored actor (`api-key:<id>`) names; None for a person, a service or nothing."""
    if actor is None or not actor.startswith(API_KEY_ACTOR_PREFIX):
        return None
    return actor.removeprefix(API_KEY_ACTOR_PREFIX) or None


async def persons(actors: Iterable[str], creators: Creators) -> dict[str, str]:
    """Each stored actor with the person it stands for: an API key's creator, anyone else itself (a key scoring does
    not know stands for itself)."""
    wanted = {actor: api_key_id(actor) for actor in set(actors)}
    ids = sorted({key for key in wanted.values() if key is not None})
    found = await creators(ids) if ids else {}
    return {actor: actor if key is None else found.get(key, actor) for actor, key in wanted.items()}


def same_person(first: str, second: str) -> bool:
    """Whether two persons (`sub`s, as `persons` gives them) are one: equal once NFKC-normalised and case folded."""
    return first == second or folded(first) == folded(second)


def one_of(person: str, others: Iterable[str]) -> bool:
    """Whether `person` is one of `others` (same_person)."""
    mine = folded(person)
    return any(other == person or folded(other) == mine for other in others)


async def is_one_of(principal: Principal, actors: Iterable[str], creators: Creators) -> bool:
    """Whether the caller (a person, or the person whose API key calls) is one of `actors` or made one of their
    keys; 403 for an API key that does not say whose it is (Principal.person)."""
    person = principal.person()
    return one_of(person, (await persons(actors, creators)).values())


def refuse_about_themselves(principal: Principal, subject_id: str) -> None:
    """The four-eyes principle on evidence: no one reviews evidence about themselves (the subject among the caller's
    `subject_ids`, or those of the person whose API key calls): 403 (reviewSubmission; the bulk facts upload reports
    such rows with `about_themselves`)."""
    if principal.is_about(subject_id):
        raise Forbidden(_("%(subject)s is the subject of this submission; no one reviews evidence about themselves "
                          "(four-eyes principle)", subject=principal.person()))


def about_themselves(principal: Principal, subject_id: str) -> str | None:
    """Why a row of the bulk facts upload about `subject_id` may not be approved on upload by the caller (its
    subject: the check of `refuse_about_themselves`), None when it may."""
    if not principal.is_about(subject_id):
        return None
    return _("%(subject)s is subject %(subject_id)s, so this row would be approved on upload by the person it is "
             "about; no one reviews evidence about themselves (four-eyes principle): another reviewer uploads it",
             subject=principal.person(), subject_id=subject_id)
