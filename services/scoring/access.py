"""Who may read what in scoring: scope checks shared by the bounded contexts."""

from __future__ import annotations

from kaohe.i18n import _
from services.common.auth import Principal, Role
from services.common.auth import require_service as require_service  # re-exported for the contexts
from services.common.errors import Forbidden

# Roles that read scores and subjects within their scope (architecture: assessors and auditors
# read within their scope; reviewers see the scores of the evidence they review).
READ_ROLES: tuple[Role, ...] = ("admin", "assessor", "auditor", "reviewer")


def is_service(principal: Principal) -> bool:
    """Another kaohe service calling on its own behalf (relay, ranking, gateway)."""
    return principal.kind == "service"


def may_read_subject(principal: Principal, *, subject_id: str, unit_path: str) -> bool:
    """True for services, readers covering the subject's unit, and the subject itself."""
    return (
        is_service(principal)
        or principal.can(READ_ROLES, unit_path)
        or subject_id in principal.subject_ids
    )


# Scores (values, explanations, versions) are the office's, before and after 公示: a unit's head and the
# subject itself see what the 公示 shows, through ranking's results (docs/decisions.md).
SCORE_READERS: tuple[Role, ...] = ("admin", "assessor", "auditor")


def may_read_scores(principal: Principal, *, unit_path: str) -> bool:
    """True for services and the office roles covering the subject's unit."""
    return is_service(principal) or principal.can(SCORE_READERS, unit_path)


def require_known(principal: Principal) -> None:
    """Any principal with a grant, a subject identity, or a service may read shared definitions."""
    if not (is_service(principal) or principal.grants or principal.subject_ids):
        raise Forbidden(_("%(subject)s holds no role", subject=principal.subject))


# Checking a scheme document is for those who write or audit schemes (gateway/access.py `validateScheme`).
SCHEME_CHECKERS: tuple[Role, ...] = ("admin", "assessor", "auditor")


def require_scheme_checker(principal: Principal) -> None:
    """Services, and an admin, assessor or auditor anywhere, may validate a scheme document."""
    if not (is_service(principal) or any(principal.has_role(r) for r in SCHEME_CHECKERS)):
        raise Forbidden(_("%(subject)s may not validate schemes", subject=principal.subject))
