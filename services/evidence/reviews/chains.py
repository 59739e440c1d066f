"""Which review levels a submission passes, and when each level's time is up."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal, Role
from services.common.settings import get_settings
from services.evidence.config import evidence_settings
from services.evidence.reviews import repository
from services.evidence.workdays import deadline_after, deadline_with_note


def default_levels() -> list[dict[str, Any]]:
    """Without a configured chain: one level, a reviewer of the subject's unit."""
    return [{"name": "审核", "scope": None, "working_days": evidence_settings().review_deadline_working_days}]


async def levels_for(session: AsyncSession, scheme_id: str, indicator: str | None) -> list[dict[str, Any]]:
    """The indicator's chain, else the scheme's default chain, else the built-in one."""
    chain = await repository.most_specific_chain(session, scheme_id, indicator or "")
    return list(chain.levels) if chain is not None else default_levels()


def due_at(level: dict[str, Any], started_at: datetime) -> datetime:
    """End of the level's last working day (Asia/Shanghai by default), in UTC."""
    return deadline_after(started_at, int(level["working_days"]), get_settings().timezone).astimezone(UTC)


def start_level(submission: Any, level: int, moment: datetime) -> None:
    """Put a submission at a level of its chain from `moment`: its deadline, and the note that says when that
    deadline was counted Monday to Friday (a year without a holiday arrangement)."""
    due, note = deadline_with_note(moment, int(submission.chain[level]["working_days"]), get_settings().timezone)
    submission.level, submission.level_started_at = level, moment
    submission.level_due_at, submission.level_due_note = due.astimezone(UTC), note


def same_reviewer_allowed(level: dict[str, Any]) -> bool:
    """Whether a person who decided at an earlier level of a submission may decide at this one too."""
    return level.get("same_reviewer_allowed") is True


def may_review(principal: Principal, level: dict[str, Any], unit_path: str) -> bool:
    """A reviewer (or admin) over the subject's unit and over the level's scope, if it has one."""
    roles: tuple[Role, ...] = ("reviewer", "admin")
    scope = level.get("scope")
    return principal.can(roles, unit_path) and (scope is None or principal.can(roles, scope))


def reviews_every_level(principal: Principal, levels: list[dict[str, Any]], unit_path: str) -> bool:
    """Whether the caller may approve a submission over `unit_path` at every level of its chain alone: a reviewer
    of each level, and each level after the first lets a person who decided before decide again
    (`same_reviewer_allowed`), as the reviewers' own checks require one by one."""
    return all(may_review(principal, level, unit_path) and (index == 0 or same_reviewer_allowed(level))
               for index, level in enumerate(levels))
