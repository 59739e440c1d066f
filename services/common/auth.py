"""Identity inside the system: principals, role grants scoped to organisation subtrees, and the
short-lived service token the gateway signs for every call it makes to a service.

A scope is an organisation path such as `city/district-a/unit-3`; a grant on `city/district-a`
covers that unit and everything below it. The empty scope `""` covers the whole organisation.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, Request
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from kaohe.i18n import _
from services.common.errors import Forbidden, InvalidInput, NotAuthenticated
from services.common.names import skeleton
from services.common.patterns import UNIT_SLUG
from services.common.settings import get_settings

Role = Literal["admin", "assessor", "reviewer", "submitter", "rater", "auditor", "subject"]
# A unit's own account: the role `subject` or `submitter` granted exactly on the unit's path speaks for the unit and
# the subjects assessed within it (its objections, its published result), not for the units below it.
UNIT_ACCOUNT_ROLES: tuple[Role, ...] = ("subject", "submitter")
ROLES: tuple[Role, ...] = ("admin", "assessor", "reviewer", "submitter", "rater", "auditor", "subject")
SERVICE_TOKEN_ISSUER = "kaohe-gateway"  # noqa: S105 - a name, not a secret
SERVICE_TOKEN_AUDIENCE = "kaohe-services"  # noqa: S105
SERVICE_TOKEN_HEADER = "Authorization"  # noqa: S105


_SLUG = re.compile(UNIT_SLUG)
MAX_SCOPE_LENGTH = 1000


# Actors kaohe names itself (audit rows, outbox events, principals of its own processes, the causes of a recompute):
# a person's token may not claim one, or its audit rows could not be told from kaohe's own (docs/identity.md,
# "Token subjects"). Every prefix kaohe writes before a colon is reserved, whether or not it names an actor today.
RESERVED_SUBJECTS = ("system", "gateway")
API_KEY_ACTOR_PREFIX = "api-key:"  # an API key's actor: api-key:<id>
RESERVED_SUBJECT_PREFIXES = ("system:", "gateway:", API_KEY_ACTOR_PREFIX, "cli:", "migration:", "event:", "user:",
                             "lookback:", "rollup:")
MAX_SUBJECT_LENGTH = 200


def folded(text: str) -> str:
    """`text` in NFKC (full-width letters and colon as ASCII), case folded: one person's `sub` however a token spells
    it (`Dave`, `DAVE`, full-width `ｄａｖｅ` are `dave`), as separation of duties compares persons
    (services.common.separation) and as `_looks` starts from."""
    return unicodedata.normalize("NFKC", text).casefold()


def _looks(text: str) -> str:
    """How `text` looks, for telling whether a subject poses as one of kaohe's actors: `folded` (NFKC, case folded),
    each character to its confusables prototype (UTS #39: Cyrillic ѕ as s) and without its combining marks (ý
    written y + U+0301 as y)."""
    shown = skeleton(folded(text))
    return "".join(char for char in shown if not unicodedata.combining(char))


def subject_problem(subject: str) -> str | None:
    """Why `subject` may not be a person's token subject (`sub`), None when it may: empty, longer than
    MAX_SUBJECT_LENGTH, starting or ending with a blank, carrying control, formatting (bidirectional overrides,
    zero-width), line-separator or space characters other than the plain space inside, or looking like one of
    kaohe's own actors (RESERVED_SUBJECTS, RESERVED_SUBJECT_PREFIXES) once normalised, case folded and read
    through look-alike letters (`_looks`)."""
    if not subject.strip():
        return _("the token's sub claim is empty")
    if len(subject) > MAX_SUBJECT_LENGTH:
        return _("the token's sub claim is longer than %(limit)d characters", limit=MAX_SUBJECT_LENGTH)
    if subject != subject.strip():
        return _("the token's sub claim starts or ends with a blank")
    for char in subject:
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            return _("the token's sub claim contains the control or formatting character U+%(code)04X",
                     code=ord(char))
        if category == "Zs" and char != " ":
            return _("the token's sub claim contains the space character U+%(code)04X (only the plain space may "
                     "stand between its words)", code=ord(char))
    looks = _looks(subject)
    if looks in {_looks(name) for name in RESERVED_SUBJECTS}:
        return _("the token's sub claim %(sub)r names one of kaohe's own actors", sub=subject)
    for prefix in RESERVED_SUBJECT_PREFIXES:
        if looks.startswith(_looks(prefix)):
            return _("the token's sub claim %(sub)r starts with %(prefix)r, which kaohe reserves for its own actors",
                     sub=subject, prefix=prefix)
    return None


def scope_problem(scope: str) -> str | None:
    """Why `scope` is not a unit path (segments of unit slugs joined by `/`, or "" for everything), else None.
    Nothing is resolved: `..` or `.` could silently widen or move a grant, so they are refused like any
    other segment that no unit can have."""
    if len(scope) > MAX_SCOPE_LENGTH:
        return _("a scope has at most %(most)s characters", most=MAX_SCOPE_LENGTH)
    if scope == "":
        return None
    for number, segment in enumerate(scope.split("/"), start=1):
        if segment == "":
            return _("segment %(number)s is empty", number=number)
        if not _SLUG.fullmatch(segment):
            return _("segment %(segment)r is not a unit slug (lower-case letters, digits, '-' and '_', starting "
                     "with a letter or digit; '.' and '..' are not resolved)", segment=segment[:70])
    return None


def normalise_scope(scope: str) -> str:
    """The scope as stored: surrounding blanks and slashes dropped, then checked (ValueError naming the reason)."""
    normal = scope.strip().strip("/")
    problem = scope_problem(normal)
    if problem is not None:
        raise ValueError(_("scope %(scope)r is not a unit path: %(problem)s", scope=scope[:200], problem=problem))
    return normal


def _scope_field(value: str) -> str:
    try:
        return normalise_scope(value)
    except ValueError as exc:
        raise PydanticCustomError("scope_path", "{text}", {"text": exc.args[0]}) from None


# A unit path given in a payload (a grant's scope, an owner path, a review level's scope), normalised and checked.
ScopePath = Annotated[str, AfterValidator(_scope_field)]


def scope_covers(scope: str, unit_path: str) -> bool:
    """True when `unit_path` is the scope itself or lies below it."""
    if scope == "":
        return True
    return unit_path == scope or unit_path.startswith(scope + "/")


@dataclass(frozen=True, slots=True)
class Grant:
    role: Role
    scope: str

    def to_json(self) -> dict[str, str]:
        return {"role": self.role, "scope": self.scope}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a person, an API key or a service, with their grants."""

    subject: str
    grants: tuple[Grant, ...] = ()
    kind: Literal["user", "api_key", "service"] = "user"
    subject_ids: tuple[str, ...] = field(default=())  # assessed-subject ids this person *is*
    name: str = ""  # an API key's name, as its creator gave it (refusals name the key by it)
    # An API key acts for the person who created it (separation of duties compares persons, docs/identity.md): its
    # creator's `sub`, and the subjects the creator was when creating it (None: not recorded, a key made before)
    creator: str = ""
    creator_subject_ids: tuple[str, ...] | None = None

    def has_role(self, role: Role) -> bool:
        return any(g.role == role for g in self.grants)

    def can(self, role: Role | tuple[Role, ...], unit_path: str) -> bool:
        """True when one of `role` is granted on a scope covering `unit_path`."""
        roles = (role,) if isinstance(role, str) else role
        return any(g.role in roles and scope_covers(g.scope, unit_path) for g in self.grants)

    def sees(self, unit_path: str, subject_id: str | None = None) -> bool:
        """Whether the caller has anything to do with a subject or record at `unit_path`: a grant of a staff role
        covering it, a `subject` grant on it (the unit's own account), or being that subject (services see all).
        Reads answer the others as for what does not exist (404), so that a refusal never confirms that it exists
        (docs/decisions.md, "Probe defects (stop 26)")."""
        return (self.kind == "service" or (subject_id is not None and subject_id in self.subject_ids)
                or any(scope_covers(g.scope, unit_path) if g.role != "subject" else g.scope == unit_path
                       for g in self.grants))

    def is_unit_account(self, unit_path: str) -> bool:
        """Whether the caller is the own account of the unit at `unit_path` (`UNIT_ACCOUNT_ROLES` granted on exactly
        that path): what it may read of the unit's published result and objections (docs/identity.md)."""
        return any(g.role in UNIT_ACCOUNT_ROLES and g.scope == unit_path for g in self.grants)

    def relates_to(self, owner_path: str) -> bool:
        """Whether a period or scheme owned at `owner_path` is on the branch of one of the caller's grants (its scope
        covers the owner, or lies inside it): what the caller's lists of periods show (services.common.listing)."""
        return self.kind == "service" or any(scope_covers(g.scope, owner_path) or scope_covers(owner_path, g.scope)
                                             for g in self.grants)

    def require(self, role: Role | tuple[Role, ...], unit_path: str) -> None:
        """Raise 403 unless the principal holds `role` over `unit_path`."""
        if not self.can(role, unit_path):
            raise Forbidden(_("%(subject)s may not do this for %(scope)s",
                              subject=self.subject, scope=unit_path or _("the organisation")))

    def scopes_for(self, *roles: Role) -> list[str]:
        """The scopes in which the principal holds any of `roles` (for filtering lists)."""
        return sorted({g.scope for g in self.grants if g.role in roles})

    def person(self) -> str:
        """Who acts, for separation of duties (四眼原则): a person or a service is itself, an API key its creator.
        A key whose creator's subjects were not recorded (made before kaohe kept them) may take no such decision:
        403 (docs/identity.md, "Separation of duties")."""
        if self.kind != "api_key":
            return self.subject
        if not self.creator or self.creator_subject_ids is None:
            raise Forbidden(_("%(key)s was created before kaohe recorded on whose behalf an API key acts; it takes "
                              "no decision bound by the four-eyes principle (an administrator creates a new key)",
                              key=self.subject))
        return self.creator

    def acting_for(self) -> dict[str, str]:
        """What an audit record of the caller's act adds to its details: for an API key, on whose behalf it acts
        (its creator; the record's actor stays `api-key:<id>`)."""
        return {"on_behalf_of": self.creator} if self.kind == "api_key" and self.creator else {}

    def is_about(self, subject_id: str) -> bool:
        """Whether `subject_id` is the caller, or, for an API key, the person who created it."""
        return subject_id in self.subject_ids or subject_id in (self.creator_subject_ids or ())

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": self.subject,
            "kind": self.kind,
            "grants": [g.to_json() for g in self.grants],
            "subject_ids": list(self.subject_ids),
        }
        if self.kind == "api_key" and self.creator:
            claims["creator"] = self.creator
            if self.creator_subject_ids is not None:
                claims["creator_subject_ids"] = list(self.creator_subject_ids)
        return claims

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        """The caller a service token names; a malformed claim is a 401, never a 500."""
        kind = claims.get("kind", "user")
        if kind not in PRINCIPAL_KINDS:
            raise NotAuthenticated(_("unknown principal kind %(kind)r in token", kind=kind))
        creator = claims.get("creator", "") if kind == "api_key" else ""
        creator_subjects = claims.get("creator_subject_ids") if creator else None
        return cls(subject=str(claims["sub"]), grants=grants_from_claim(claims.get("grants", [])), kind=kind,
                   subject_ids=subject_ids_from_claim(claims.get("subject_ids", [])), creator=str(creator),
                   creator_subject_ids=None if creator_subjects is None else subject_ids_from_claim(creator_subjects))


PRINCIPAL_KINDS = ("user", "api_key", "service")


def grants_from_claim(raw: Any) -> tuple[Grant, ...]:
    """The grants of a token's `grants` claim (a list of `{role, scope}` objects, at most 50 read)."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise NotAuthenticated(_("the token's grants claim must be a list of {role, scope} objects"))
    grants = []
    for item in raw[:50]:
        role, scope = item.get("role"), item.get("scope", "")
        if role not in ROLES:
            raise NotAuthenticated(_("unknown role %(role)r in token", role=role))
        if not isinstance(scope, str):
            raise NotAuthenticated(_("the token's grant scope must be a text"))
        try:
            grants.append(Grant(role=role, scope=normalise_scope(scope)))
        except ValueError as exc:
            raise NotAuthenticated(_("the token's %(exc)s", exc=exc)) from None
    return tuple(grants)


def subject_ids_from_claim(raw: Any) -> tuple[str, ...]:
    """The assessed subjects a token's caller is (`subject_ids`, a list of texts; at most 100 read)."""
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise NotAuthenticated(_("the token's subject_ids claim must be a list of texts"))
    return tuple(raw[:100])


def require_service(principal: Principal) -> None:
    """Endpoints for kaohe's own services only (events, API-key verification): a person's or an API key's
    grants, `admin` over everything included, never pass for a service, even when the gateway signed them."""
    if principal.kind != "service":
        raise Forbidden(_("only kaohe services may call this endpoint"))


def may_choose_ids(principal: Principal) -> bool:
    """Whether the caller may give the id of a new unit or person: an admin of the whole organisation."""
    return principal.can("admin", "")


def require_id_chooser(principal: Principal, chosen_id: str | None) -> None:
    """422 `invalid_input` on `id` when a new unit's or person's id is given by anyone but an admin of the whole
    organisation (kaohe's services, the demo and imports hold that grant). Ids are unique across the organisation,
    so any answer to a chosen id that differs between a free id and one taken on another branch would tell a branch
    admin what exists outside its branch: the others leave `id` out and one is made, and the check comes before
    anything is looked up (docs/decisions.md, "Who chooses the ids of new units and people")."""
    if chosen_id is not None and not may_choose_ids(principal):
        raise InvalidInput(_("only an administrator of the whole organisation gives the id of a new unit or "
                             "person: leave id out and one is made"), details={"field": "id"})


SYSTEM = Principal(subject="system", grants=(Grant("admin", ""),), kind="service")


def _secret() -> str:
    secret = get_settings().service_token_secret
    if secret is None or not secret.get_secret_value():
        raise NotAuthenticated(_("service tokens are not configured (KAOHE_SERVICE_TOKEN_SECRET)"))
    return secret.get_secret_value()


def issue_service_token(principal: Principal, *, ttl_seconds: int | None = None) -> str:
    """Sign a short-lived token carrying the caller's identity, for one service call."""
    now = int(time.time())
    ttl = ttl_seconds or get_settings().service_token_ttl_seconds
    claims = {
        **principal.claims(),
        "iss": SERVICE_TOKEN_ISSUER,
        "aud": SERVICE_TOKEN_AUDIENCE,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _secret(), algorithm="HS256")


def token_problem(exc: jwt.PyJWTError) -> str:
    """Why PyJWT refused a token, in kaohe's own marked words (PyJWT's English, such as "Invalid header string:
    'utf-8' codec can't decode …", would land inside a Chinese sentence and show the decoder's internals)."""
    if isinstance(exc, jwt.InvalidSignatureError):  # a DecodeError too: first
        return _("the signature does not verify")
    if isinstance(exc, jwt.DecodeError):
        return _("malformed")
    if isinstance(exc, jwt.ExpiredSignatureError):
        return _("expired")
    if isinstance(exc, jwt.InvalidAudienceError):
        return _("meant for another audience")
    if isinstance(exc, jwt.InvalidIssuerError):
        return _("from another issuer")
    if isinstance(exc, jwt.ImmatureSignatureError):
        return _("not valid yet")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return _("the %(claim)s claim is missing", claim=exc.claim)
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return _("signed with an algorithm not accepted here")
    return _("its claims are not valid")


def verify_service_token(token: str) -> Principal:
    """Check signature, issuer, audience and expiry; return the caller."""
    try:
        claims = jwt.decode(
            token, _secret(), algorithms=["HS256"], audience=SERVICE_TOKEN_AUDIENCE,
            issuer=SERVICE_TOKEN_ISSUER, options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated(_("service token expired")) from None
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(_("invalid service token: %(exc)s", exc=token_problem(exc))) from None
    return Principal.from_claims(claims)


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller named by a valid service token, else 401."""
    header = request.headers.get(SERVICE_TOKEN_HEADER, "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated(_("a service token is required (Authorization: Bearer …)"))
    principal = verify_service_token(token.strip())
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
