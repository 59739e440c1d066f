"""Who may run which GraphQL operation, and where.

Every root field of the schema has one row. `target` says what its scope is checked against:

- `org`: the whole organisation (a grant on the empty scope), for organisation-wide acts such as
  publishing a scheme, opening a period, running rating tasks, and for the audit log;
- `period`: the period's owner (`owner_path` in scoring): the office that runs the period;
- `unit`: the unit path of the subject (or unit, or person) the operation is about;
- `any`: a grant of one of the roles anywhere; lists are then filtered item by item.

`own` lets a `subject` principal act on the assessed subjects it *is* (`subject_ids`), whatever
its grant's scope ("subject: own results, appeals"). `unit_account` lets a unit's own account (a `submitter` or
`subject` granted exactly on the unit, `Principal.is_unit_account`) read what the 公示 shows of the subjects of that
unit, as ranking decides (`services/ranking/access.py`). The services enforce the same rules again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kaohe.i18n import _
from services.common.auth import UNIT_ACCOUNT_ROLES, Principal, Role
from services.common.errors import Forbidden

Target = Literal["org", "period", "unit", "any"]

ALL: tuple[Role, ...] = ("admin", "assessor", "reviewer", "submitter", "rater", "auditor", "subject")
STAFF: tuple[Role, ...] = ("admin", "assessor", "reviewer", "submitter", "rater", "auditor")
OFFICE: tuple[Role, ...] = ("admin",)
READERS: tuple[Role, ...] = ("admin", "assessor", "auditor")
# who reads a unit's objections and notices: the readers and the unit's reviewers (they review the evidence that
# produced them; docs/decisions.md "Access: one policy in the gateway and the services")
REVIEW_READERS: tuple[Role, ...] = ("admin", "assessor", "reviewer", "auditor")
# scores, explanations and every version of a result are the office's (READERS); a result and the ranking table
# are also asked by a unit's head and the subject itself, to whom ranking shows, from the 公示 on, exactly what
# the 公示 shows and before it nothing (docs/decisions.md "Results visibility and workflow")
AUDIT: tuple[Role, ...] = ("admin", "auditor")


@dataclass(frozen=True, slots=True)
class Rule:
    roles: tuple[Role, ...]
    target: Target
    own: bool = False  # a `subject` principal may act on its own subjects
    unit_account: bool = False  # a unit's own account reads its unit's subjects (as ranking shows them)


OPERATIONS: dict[str, Rule] = {
    # organisation, schemes, periods
    "me": Rule(ALL, "any"),
    "unit": Rule(STAFF, "unit"),
    "people": Rule(STAFF, "any", own=True),  # a person reads their own record
    "schemeVersions": Rule(ALL, "any"),
    "scheme": Rule(ALL, "any"),
    "period": Rule(ALL, "any"),
    "subjects": Rule(ALL, "any", own=True),
    "subject": Rule(ALL, "unit", own=True),
    "createUnit": Rule(OFFICE, "unit"),
    "createPerson": Rule(OFFICE, "unit"),
    "createScheme": Rule(OFFICE, "org"),
    "publishScheme": Rule(OFFICE, "org"),
    "updateScheme": Rule(OFFICE, "org"),  # a draft's edit, like createScheme and publishScheme
    "openPeriod": Rule(OFFICE, "org"),
    "setPeriodStatus": Rule(OFFICE, "period"),
    "computePeriod": Rule(OFFICE, "period"),
    # scheme tools: checking a document is for those who write or audit schemes; a diff is as public as a scheme
    "validateScheme": Rule(READERS, "any"),
    "schemeDiff": Rule(ALL, "any"),
    "importSchemeExcel": Rule(OFFICE, "org"),  # like createScheme
    "importSubjects": Rule(OFFICE, "period"),  # enrolment from a file, like the period's own acts
    "importOrganisation": Rule(OFFICE, "any"),  # units and people from a file: scoring checks each row
    "importFacts": Rule(("admin", "assessor", "submitter"), "any"),  # evidence from a file: evidence checks each row
    # evidence (submitting a kind is further limited by the evidence service's role→kind table)
    "submissions": Rule(("admin", "assessor", "reviewer", "submitter", "auditor"), "unit", own=True),
    "submission": Rule(("admin", "assessor", "reviewer", "submitter", "auditor"), "unit", own=True),
    "submitEvidence": Rule(("admin", "assessor", "submitter"), "unit"),
    "submitJournal": Rule(("admin", "submitter"), "unit", own=True),  # staff write their own 工作日志
    "reviewSubmission": Rule(("admin", "reviewer"), "unit"),
    "uploadAttachment": Rule(("admin", "assessor", "submitter"), "unit"),
    "downloadAttachment": Rule(("admin", "assessor", "reviewer", "submitter", "auditor"), "unit", own=True),
    "correctSubmission": Rule(("admin", "assessor", "submitter"), "unit"),
    # review chains: set by the office for the whole organisation, read by staff who review or submit
    "reviewChains": Rule(("admin", "assessor", "reviewer", "submitter", "auditor"), "any"),
    "setReviewChain": Rule(OFFICE, "org"),
    # rating tasks: a rater sees only their own ballots; the office runs the tasks
    "journals": Rule(("admin", "assessor", "reviewer", "submitter", "auditor"), "unit", own=True),
    "journalRoster": Rule(("admin", "reviewer", "submitter", "auditor"), "any", own=True),
    "setJournalRoster": Rule(OFFICE, "unit"),  # every person's unit
    "excuseJournalWeek": Rule(("admin", "reviewer"), "unit"),  # the supervisor
    "ratingResponses": Rule(AUDIT, "any"),
    "myBallot": Rule(("rater",), "any"),
    "openRatingTask": Rule(OFFICE, "unit"),  # the task's office scope
    "castBallot": Rule(("rater",), "any"),
    "closeRatingTask": Rule(OFFICE, "unit"),  # the task's office scope, read from evidence
    # rectification notices (000 篇3 问题整改单) and appeals (申诉)
    "rectificationNotices": Rule(("admin", "assessor", "reviewer", "submitter", "auditor"), "unit", own=True),
    "issueRectificationNotice": Rule(("admin", "assessor"), "unit"),
    "answerRectificationNotice": Rule(("admin", "submitter"), "unit"),
    "signRectificationNotice": Rule(("admin", "reviewer"), "unit"),  # the unit head signs
    # make-ups (补报) of late evidence: the office approves them; those who submit or review read them
    "makeups": Rule(("admin", "assessor", "reviewer", "submitter", "auditor"), "unit", own=True),
    "grantMakeup": Rule(OFFICE, "period"),
    "appeals": Rule((*READERS, "submitter"), "unit", own=True),  # the unit's account files them
    "fileAppeal": Rule(("admin", "submitter"), "unit", own=True),
    "answerAppeal": Rule(OFFICE, "unit"),
    # scores and the auditor's questions; the facts (evidence keeps those of the units the caller's grants cover)
    "facts": Rule(("admin", "assessor", "reviewer", "submitter", "auditor"), "unit"),
    "scoreHistory": Rule(READERS, "unit"),
    "scoreAsOf": Rule(READERS, "unit"),
    "explain": Rule(READERS, "unit"),
    "verifyPeriod": Rule(AUDIT, "period"),
    "auditTrail": Rule(AUDIT, "org"),
    "verifyAuditChain": Rule(AUDIT, "org"),
    # results, publication (公示), objections, approval (审定)
    "ranking": Rule((*REVIEW_READERS, "subject"), "any", own=True, unit_account=True),
    "result": Rule(REVIEW_READERS, "unit", own=True, unit_account=True),
    "resultHistory": Rule(READERS, "unit"),
    "snapshots": Rule(AUDIT, "period"),
    "verifySnapshot": Rule(AUDIT, "period"),
    "downloadSnapshot": Rule(AUDIT, "period"),  # GET /exports/periods/{id}/snapshots/{n}.json
    "exportInputs": Rule(AUDIT, "period"),  # GET /exports/periods/{id}/{scheme|facts}.json: `kaohe evaluate`'s files
    "publication": Rule(ALL, "any"),
    "objections": Rule(REVIEW_READERS, "unit", own=True, unit_account=True),  # the unit reads the answers to its own
    "publishResults": Rule(OFFICE, "period"),
    "fileObjection": Rule(("admin", "submitter"), "unit", own=True),
    "answerObjection": Rule(OFFICE, "unit"),
    "finalizePeriod": Rule(OFFICE, "period"),
    "reopenPeriod": Rule(OFFICE, "period"),
    "reopenings": Rule(AUDIT, "period"),
    # lists of what the caller's grants relate to (scoring filters by organisation path)
    "periods": Rule(ALL, "any"),
    "schemes": Rule(ALL, "any"),
    # the caller's pending work (each service scopes every part to the caller)
    "inbox": Rule(ALL, "any"),
    # the organisation tree (scoring filters the units by the caller's grants)
    "units": Rule(ALL, "any"),  # the names and paths of units related to the caller's grants
    "unitAncestors": Rule(STAFF, "unit"),
    "unitPeople": Rule(STAFF, "unit"),
    # API keys (scoring checks again that the caller administers every grant of the key)
    # webhooks (issue 18): evidence checks the subscription's scope against the caller's admin/assessor/auditor grants
    "webhookSubscriptions": Rule(READERS, "any"),
    "webhookEventTypes": Rule(READERS, "any"),  # for those who may manage subscriptions; no service asked
    "createWebhookSubscription": Rule(READERS, "any"),
    "updateWebhookSubscription": Rule(READERS, "any"),
    "deleteWebhookSubscription": Rule(READERS, "any"),
    "rotateWebhookSecret": Rule(READERS, "any"),
    "sendTestWebhook": Rule(READERS, "any"),
    "redeliverWebhook": Rule(READERS, "any"),
    "apiKeys": Rule(OFFICE, "any"),  # scoring lists the keys within the caller's admin scopes
    "createApiKey": Rule(OFFICE, "unit"),  # each grant's scope
    "revokeApiKey": Rule(OFFICE, "any"),  # scoring answers 404 for a key outside the caller's admin scopes
    # the holiday calendar (scoring): everyone reads it, an admin of the whole organisation loads a year
    "holidayCalendar": Rule(ALL, "any"),
    "loadHolidayCalendar": Rule(OFFICE, "org"),
    # REST downloads (gateway/exports.py); ranking leaves out the rows the caller may not see
    "exportRanking": Rule(READERS, "any"),  # the office's table; others download the publication list
    "exportPublication": Rule(ALL, "any"),  # the publication list (公示名单) is a public notice
    # a record by its node id (issue 18): any role here, then the check of the record's own query (operations/node.py)
    "node": Rule(ALL, "any"),
}
# root fields that are HTTP routes of the gateway, not GraphQL fields (gateway/uploads.py, gateway/exports.py)
REST_OPERATIONS = frozenset({"uploadAttachment", "downloadAttachment", "importSchemeExcel", "exportRanking",
                             "exportPublication", "importSubjects", "importOrganisation", "importFacts",
                             "downloadSnapshot", "exportInputs"})
# How a FORBIDDEN names a REST operation to its caller: the route it used, not the internal name.
REST_ROUTES = {
    "uploadAttachment": "POST /uploads/submissions/{submission_id}/attachments",
    "downloadAttachment": "GET /attachments/{attachment_id}",
    "importSchemeExcel": "POST /uploads/schemes/import-excel",
    "exportRanking": "GET /exports/periods/{period_id}/ranking.{format}",
    "exportPublication": "GET /exports/periods/{period_id}/publication.{format}",
    "importSubjects": "POST /uploads/periods/{period_id}/subjects",
    "importOrganisation": "POST /uploads/organisation",
    "importFacts": "POST /uploads/periods/{period_id}/facts",
    "downloadSnapshot": "GET /exports/periods/{period_id}/snapshots/{sequence}.json",
    "exportInputs": "GET /exports/periods/{period_id}/{part}.json",
}


def refusal(user: Principal, operation: str) -> Forbidden:
    """The FORBIDDEN of `operation`, naming what the caller used: the GraphQL field, or the REST route."""
    who = _("the API key %(name)r", name=user.name) if user.kind == "api_key" and user.name else user.subject
    route = REST_ROUTES.get(operation)
    if route is not None:
        return Forbidden(_("%(subject)s may not use %(route)s", subject=who, route=route))
    return Forbidden(_("%(subject)s may not run %(operation)s", subject=who, operation=operation))


# The operations that only read (the schema's queries and the file downloads). A read about a subject, a record or a
# period the caller has nothing to do with (no grant on its branch, not the subject itself) answers NOT_FOUND as for
# one that does not exist, never FORBIDDEN, which would confirm that it exists (`require_read`).
READS = frozenset({
    "me", "unit", "people", "schemes", "periods", "schemeVersions", "scheme", "period", "subjects", "subject",
    "submissions", "submission", "journals", "makeups", "ratingResponses", "myBallot", "rectificationNotices",
    "appeals",
    "scoreHistory", "scoreAsOf", "explain", "facts", "verifyPeriod", "ranking", "result", "resultHistory", "snapshots",
    "verifySnapshot", "reopenings", "publication", "objections", "auditTrail", "verifyAuditChain", "reviewChains",
    "journalRoster", "validateScheme", "schemeDiff", "apiKeys", "units", "unitAncestors", "unitPeople", "inbox",
    "webhookSubscriptions", "webhookEventTypes", "holidayCalendar", "node",
    "downloadAttachment", "exportRanking", "exportPublication", "downloadSnapshot", "exportInputs"})

# The acts on one subject that answer a subject outside the caller's grants as one not enrolled (NOT_FOUND), as the
# reads do: submitting evidence, a journal, an appeal, a rectification notice, an excused week or an objection must
# not tell another department's subjects from ids of nothing (probe defects; scope first for the other acts).
HIDING = READS | {"submitEvidence", "submitJournal", "fileAppeal", "issueRectificationNotice", "excuseJournalWeek",
                  "fileObjection"}

# Nested fields that reveal per-subject data follow the rule of the matching root operation.
NESTED = {"Subject.score": "explain", "Subject.result": "result", "Period.problems": "verifyPeriod"}


def rule(operation: str) -> Rule:
    """The row of `operation`; an operation without a row is refused (fail closed)."""
    found = OPERATIONS.get(operation)
    if found is None:
        raise Forbidden(_("%(operation)s has no access rule", operation=operation))
    return found


def allowed(user: Principal, operation: str, *, unit_path: str = "", subject_id: str | None = None) -> bool:
    """True when `user` may run `operation` on the target at `unit_path` (subject `subject_id`)."""
    found = rule(operation)
    roles = tuple(r for r in found.roles if r != "subject")
    if found.own and subject_id is not None and subject_id in user.subject_ids and user.has_role("subject"):
        return True
    if found.unit_account and found.target == "unit" and user.is_unit_account(unit_path):
        return True
    if found.target == "any":
        return any(user.has_role(r) for r in found.roles)
    path = "" if found.target == "org" else unit_path
    return user.can(roles, path)


def require(user: Principal, operation: str, *, unit_path: str = "", subject_id: str | None = None) -> None:
    """Raise FORBIDDEN unless `user` may run `operation` on the target. The message names no unit path: a
    caller outside the target's unit must not learn where a subject or record lies."""
    if not allowed(user, operation, unit_path=unit_path, subject_id=subject_id):
        raise refusal(user, operation)


def require_read(user: Principal, operation: str, missing: Exception, *, unit_path: str,
                 subject_id: str | None = None, owner: bool = False) -> None:
    """`require`, but a read (or an act of `HIDING`) about a target the caller has nothing to do with raises
    `missing`, the NOT_FOUND of a target that does not exist: a subject or record at `unit_path` outside every
    grant (and not the caller itself), or with `owner` a period owned at `unit_path` off the branch of every grant.
    A caller that may see the target but whose role may not run the read still gets FORBIDDEN."""
    if operation in HIDING and not (user.relates_to(unit_path) if owner else user.sees(unit_path, subject_id)):
        raise missing
    require(user, operation, unit_path=unit_path, subject_id=subject_id)


def require_role(user: Principal, operation: str) -> None:
    """Raise FORBIDDEN unless `user` holds one of the operation's roles somewhere (first gate)."""
    found = rule(operation)
    own_ok = found.own and user.has_role("subject") and bool(user.subject_ids)
    unit_ok = found.unit_account and any(user.has_role(r) for r in UNIT_ACCOUNT_ROLES)
    if not (own_ok or unit_ok or any(user.has_role(r) for r in found.roles)):
        raise refusal(user, operation)


def visible(user: Principal, operation: str, *, unit_path: str, subject_id: str | None = None) -> bool:
    """Whether one item of a list (about `subject_id` at `unit_path`) may be shown to `user`."""
    found = rule(operation)
    if found.own and subject_id is not None and subject_id in user.subject_ids and user.has_role("subject"):
        return True
    if found.unit_account and user.is_unit_account(unit_path):
        return True
    return user.can(tuple(r for r in found.roles if r != "subject"), unit_path)
