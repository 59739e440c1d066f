"""The descriptions of the GraphQL schema's arguments, in one place (issue 22): English, with the Chinese term
where the office uses one. `describe_arguments` gives every argument its text after the schema is
built: the field's own override (`FIELD_ARGUMENTS`) first, else the argument's meaning wherever it appears
(`ARGUMENTS`). Fields a type's code leaves undescribed take theirs from `TYPE_FIELDS` ("Type.field"), else
from `FIELDS` (a name that means the same on every type). A description written in the code keeps its text;
tests/gateway/test_descriptions.py fails on anything left without, and on a `TYPE_FIELDS` entry no field uses."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

VERSION_READ = ("The `version` you read: a stale one is CONFLICT with `details: {version, current}` (reload at "
                "`current` and apply again).")

ARGUMENTS: dict[str, str] = {
    "periodId": ("The assessment period (考核周期) by its `id` (the one `openPeriod` was given or made, e.g. "
                 "`000-1-community-quarterly-8db685-2026-Q1` in the demo data), not its `label` (`2026-Q1`); "
                 "NOT_FOUND when unknown or outside your scope."),
    "subjectId": "The assessed subject (考核对象): a unit's or a person's id, enrolled in the period.",
    "first": "How many items of the page, 1 to 100 (default 20).",
    "after": "The `endCursor` of the previous page; leave out for the first page.",
    "idempotencyKey": ("Any unique text (a UUID), sent on as `Idempotency-Key`: the same key again answers the "
                       "first result instead of creating twice."),
    "input": "The fields of what is created or changed (see the input type).",
    "schemeId": "The assessment scheme (考核方案) by the id its document gives it.",
    "taskId": "The rating task (评议任务).",
    "ownerPath": "The unit path of the office that owns it, e.g. `city/dept-1`; `\"\"` is the whole organisation.",
    "indicator": "An indicator (指标) code of the scheme; `total` for the subject's total score.",
    "group": "The peer group (组别) whose subjects are ranked together, as the scheme names it.",
    "parentId": "The unit it belongs under; leave out for a top-level unit.",
    "unitId": "The unit (单位).",
    "status": "A status as the type's `status` field writes it, e.g. `collecting`.",
    "reason": "Why, in words kept on record.",
    "document": "A scheme document as JSON (docs/scheme-reference.md).",
    "text": "A scheme document as YAML or JSON text (docs/scheme-reference.md).",
    "ids": "The ids to read; those outside your scope are left out.",
    "at": "The instant (ISO 8601 with a time zone) to read the score as it stood then.",
    "entityId": "The id of a record (a submission, a period…) whose audit trail (审计记录) to read.",
    "service": "Which service's audit chain to check.",
    "fromVersion": "The older scheme version of the comparison.",
    "toVersion": "The newer scheme version of the comparison.",
    "slug": "The unit's short name in unit paths (`city/<slug>`), unique among its siblings.",
    "revision": "The draft revision you read; a newer one is CONFLICT (publish what you reviewed).",
    "name": "The display name (Chinese allowed).",
    "answers": "One answer per rating item of the task (评议票).",
    "feedback": "The subject's written reply to the rectification notice (整改反馈).",
    "factId": "The fact (事实) the appeal disputes: an approved submission's fact.",
    "points": "The points of the appeal (申诉理由), one text each.",
    "upheld": "Whether the appeal is upheld (支持) or dismissed (驳回).",
    "replies": "The office's reply to each point, in the order of the appeal's points.",
    "correction": "The corrected fact content when the appeal is upheld and changes the fact.",
    "workingDays": "Length of the publication window (公示期) in working days; leave out for the scheme's own.",
    "answer": "The office's answer to the objection (异议答复).",
    "levels": "The review levels (审核层级) in order, each with its name and working days.",
    "grants": "The roles and scopes the key may use: within the scopes you administer.",
    "version": "The scheme version (an integer from 1).",
    "id": "The id of the object to read or change.",
}

FIELD_ARGUMENTS: dict[str, str] = {
    "unit.id": "The unit (单位).",
    "verifySnapshot.sequence": "Which 审定 snapshot of the period, 1 for the first; leave out for the latest.",
    "holidayCalendar.year": "The calendar year, e.g. 2027 (a year with nothing loaded counts Monday to Friday).",
    "loadHolidayCalendar.year": "The calendar year the State Council's arrangement is for, e.g. 2027.",
    "loadHolidayCalendar.holidays": "The days off (放假), ISO dates (`2027-01-01`) within the year.",
    "loadHolidayCalendar.workdays": "The weekend days worked instead (调休上班), ISO dates within the year; none if "
                                    "left out.",
    "loadHolidayCalendar.source": "Where the arrangement comes from, e.g. the notice's title and number (国办发明电…).",
    "unitAncestors.id": "The unit whose ancestors to list, nearest first.",
    "scheme.id": "The scheme (考核方案) by the id its document gives it.",
    "period.id": ("The assessment period (考核周期) by its `id` (e.g. `000-1-community-quarterly-8db685-2026-Q1` in "
                  "the demo data), not its `label` (`2026-Q1`)."),
    "subject.id": "The subject (考核对象) within the period.",
    "submission.id": "The evidence submission (佐证材料).",
    "createUnit.id": ("The new unit's id, given by an admin of the whole organisation only; anyone else leaves it "
                      "out and one is made (an id given by them is BAD_USER_INPUT on `id`)."),
    "createPerson.id": ("The new person's id (a staff number), given by an admin of the whole organisation only; "
                        "anyone else leaves it out and one is made (an id given by them is BAD_USER_INPUT on `id`)."),
    "createPerson.name": "The person's name (Chinese allowed).",
    "publishScheme.id": "The scheme draft to publish.",
    "updateScheme.id": "The scheme draft to edit, by the id its document gives it.",
    "updateScheme.document": ("The whole new document as JSON (docs/scheme-reference.md), naming the same scheme id "
                              "and version; it replaces the draft's."),
    "updateScheme.revision": "The draft revision you read; a newer one is CONFLICT (reload and reapply your edit).",
    "reviewSubmission.id": "The submission to review.",
    "correctSubmission.id": "The returned submission to correct and send again.",
    "answerRectificationNotice.id": "The rectification notice (整改通知).",
    "signRectificationNotice.id": "The rectification notice (整改通知) to sign off.",
    "answerAppeal.id": "The appeal (申诉).",
    "answerObjection.id": "The objection (异议) to the published results.",
    "revokeApiKey.id": "The API key to revoke (its id, never the key itself).",
    "createApiKey.name": "A name that tells the key's use, e.g. the portal's.",
    "closeRatingTask.version": VERSION_READ,
    "answerRectificationNotice.version": VERSION_READ,
    "signRectificationNotice.version": VERSION_READ,
    "answerAppeal.version": VERSION_READ,
    "periods.status": "Only periods in this status, as `Period.status` writes it.",
    "setPeriodStatus.status": "The period's next status, e.g. `collecting`.",
    "setReviewChain.indicator": "The indicator (指标) code whose submissions this chain reviews.",
    "subjects.group": "Only the subjects of this peer group (组别).",
    "ranking.group": "Only this peer group's (组别) table.",
}


TYPES: dict[str, str] = {
    "Query": "What a caller may read; every field but `health` needs a signed-in caller and checks role × scope.",
    "Mutation": "What a caller may change; each checks role × scope, and the services check again.",
}
EDGE = "One item of a {item} page (Relay connection), with the cursor to continue after it."

ENUM_VALUES: dict[str, str] = {
    "Service.EVIDENCE": "The evidence service: submissions (佐证材料), reviews, journals, ratings, appeals.",
    "Service.SCORING": "The scoring service: the organisation, schemes (考核方案), periods and scores.",
    "Service.RANKING": "The ranking service: rankings, grades, publication (公示), objections and approval (审定).",
}

INPUT_FIELDS: dict[str, str] = {
    "periodId": ARGUMENTS["periodId"],
    "subjectId": ARGUMENTS["subjectId"],
    "subjectIds": "The subjects (考核对象) concerned, by id.",
    "indicator": "An indicator (指标) code of the period's scheme.",
    "justification": "Why, in the submitter's words (说明), kept with the submission.",
    "reason": "Why, in words kept on record.",
    "group": ARGUMENTS["group"],
    "ownerPath": ARGUMENTS["ownerPath"],
    "schemeId": ARGUMENTS["schemeId"],
    "schemeVersion": "The published scheme version the period assesses by.",
    "label": ("The period's label: a year (`2026`), a month (`2026-03`), a quarter (`2026-Q1`), a half-year "
              "(`2026-H1`) or an ISO week (`2026-W05`)."),
    "subjects": "The subjects enrolled in the period, each with its peer group (组别).",
    "attributes": "The subject's attributes the scheme's rules read (a JSON object of name → value).",
    "text": "The journal's text (工作日志).",
    "grades": "The grades a rater may give (e.g. 好, 较好, 一般, 差).",
    "raters": "Who rates, each with their level and unit.",
    "round": "The round of the rating (1 unless it is repeated).",
    "level": "The rater's level as the scheme weighs it (群众, 领导…).",
    "grade": "The grade given, one of the task's grades; leave out to abstain.",
    "problem": "The problem the inspection found (发现问题).",
    "name": "The level's name (e.g. 科室负责人).",
    "scope": "The unit path the grant or level covers, e.g. `city/dept-1`; `\"\"` is the whole organisation.",
    "workingDays": "Working days the level has to decide (工作日, by the official calendar).",
    "role": "One of the roles: admin, assessor, reviewer, submitter, rater, auditor, subject (docs/identity.md).",
}
INPUT_FIELD_OVERRIDES: dict[str, str] = {
    "PeriodInput.id": "An id of your choosing for the period; leave out and one is made.",
    "EnrolmentInput.id": "The subject's id: a unit or a person of the organisation.",
    "ReviewLevelInput.scope": "The unit path whose reviewers decide at this level; leave out for the subject's unit.",
}


DECIMAL = "an exact decimal string (never a float)"
INSTANT = "(ISO 8601 instant with its time zone)"

# One type's own fields ("Type.field"), where the type's code gives none: what the field holds, its units, and
# what null means. Who may read a field is the root field's rule (its description names it).
TYPE_FIELDS: dict[str, str] = {
    # health
    "ServiceHealth.service": "The service's name: `evidence`, `scoring` or `ranking`.",
    "ServiceHealth.status": ("`ready` (its database answers and its migrations are at head), or `unavailable` "
                             "(see `reason`)."),
    "ServiceHealth.version": "The kaohe version the service runs; empty when it did not answer.",
    "ServiceHealth.reason": "Why the service is unavailable, in a sentence (e.g. migrations behind); null when ready.",
    # the caller
    "Me.subject": "Who you are: the `sub` of your token, or `api-key:<id>` for an API key.",
    "Me.kind": "How you signed in: `user` (a token from the identity provider) or `api_key`.",
    "Me.grants": "Your roles, each on an organisation subtree (docs/identity.md).",
    "Me.subjectIds": ("The assessed subjects (考核对象) you are yourself, as your token's `subject_ids` claim "
                      "names them: the scores and results you may read as a subject."),
    "RoleGrant.role": "The role: admin, assessor, reviewer, submitter, rater, auditor or subject.",
    "RoleGrant.scope": ("The unit path the role covers, with everything under it, e.g. `city/dept-1`; `\"\"` is "
                        "the whole organisation."),
    # organisation (组织)
    "Unit.name": "The unit's display name (单位名称).",
    "Unit.parentId": "The unit it belongs under; null for a top-level unit.",
    "Unit.path": ("Its unit path, the slugs from the top joined by `/` (e.g. `city/dept-1`): grants and scopes "
                  "name it."),
    "Person.name": "The person's name (姓名); two people may share one.",
    "Person.unitId": "The unit (单位) the person belongs to.",
    "Person.unitPath": "The path of the person's unit: the scope that decides who may see them.",
    "PageInfo.hasNextPage": "Whether more items follow this page (ask with `after: endCursor`).",
    "PageInfo.hasPreviousPage": "Whether items come before this page (true when `after` was given).",
    "PageInfo.startCursor": "The cursor of the page's first item; null for an empty page.",
    "PageInfo.endCursor": "The cursor of the page's last item, to pass as `after`; null for an empty page.",
    # schemes (考核方案)
    "Scheme.version": "The version number, 1 for the first; null when the service gave none.",
    "Scheme.name": "The scheme's title (方案名称) as its document writes it.",
    "Scheme.indicators": "The version's indicator tree (指标体系), top-level indicators first.",
    "Indicator.code": "The indicator's code (指标代码), unique in the scheme, e.g. `attendance`.",
    "Indicator.name": "The indicator's name (指标名称), e.g. 考勤.",
    "Indicator.ruleKind": ("How a leaf is scored (docs/scheme-reference.md §4): manual, ratio, completion, deduction, "
                           "accrual, per_occurrence, banded, rating, rank_points, cases, journal or peer_relative; "
                           "null for a node that combines its children."),
    "Indicator.factKind": ("The kind of fact (事实) the leaf reads (§5): score, measure, event, rating, task, case, "
                           "journal or document; null for a node with children."),
    "Indicator.children": "The indicators under this one (empty for a leaf).",
    "Indicator.documents": ("The documents (材料) the task must be proven by, each with the section that supplies it "
                            "(docs/scheme-reference.md §3.4); they arrive as `document` submissions. Empty when the "
                            "leaf requires none."),
    "Indicator.documentsWhenMissing": ("What the task scores when a required document is missing: `zero`, "
                                       "`proportional` (the rule's score × the share supplied) or `missing` (the "
                                       "leaf's missing policy); null without required documents."),
    "Indicator.lookbackPeriods": ("How many periods the leaf reads, this one included (§3.5 `lookback`, e.g. 3 for "
                                  "\"3年内\"): its facts of the same scheme's earlier periods under the same owner "
                                  "count with this period's. Null: this period only."),
    "RequiredDocument.name": "The document's name as the scheme writes it, e.g. 年度学法计划.",
    "RequiredDocument.supplier": ("The section (科室) that must supply it, e.g. 法制科; null when the scheme names "
                                  "none."),
    # periods (考核周期)
    "Period.schemeVersion": "The published scheme version the period assesses by (fixed at creation).",
    "Period.label": ("The period's label, of the scheme's period kind: `2026-03` (a month), `2026-Q1` (a quarter), "
                     "`2026-H1` (a half-year), `2026` (a year) or `2026-W05` (an ISO week); one period per scheme, "
                     "label and owner."),
    "Period.ownerPath": "The unit path of the office that runs the period: its admins and assessors manage it.",
    "Period.subjectCount": "How many subjects (考核对象) are enrolled.",
    "Period.inputsSha256": ("The SHA-256 (hex) of the canonical inputs of the last scoring (scheme, subjects and "
                            "facts): the same inputs always give the same hash and the same scores."),
    "Period.indicators": "The indicator tree of the period's scheme version.",
    "Subject.name": "The subject's name: the unit's or the person's.",
    "Subject.kind": "`unit` or `person`, as the scheme assesses.",
    "Subject.group": "The peer group (组别) the subject is ranked in; null when the scheme ranks all together.",
    "Subject.unitPath": "The unit path of the subject (a person's unit): it decides who may read its scores.",
    "Subject.attributes": ("The attributes the scheme's rules read, a JSON object of name → value (e.g. "
                           "`{\"months_in_post\": 3}`)."),
    # scores (得分)
    "Score.indicators": "Every indicator's value, rounded half-up to the scheme's precision (null: not scored).",
    "Score.explain": ("How each indicator's value came about: a JSON object of indicator code → the engine's "
                      "sentence, in the request's language (stored in English; `Accept-Language: en` gives it as "
                      "stored)."),
    "Score.vetoes": ("The vetoes (一票否决) that hit the subject as the scoring service lists them (event, effect, "
                     "fact); `flags` gives them typed."),
    "IndicatorScore.code": "The indicator's code, or `total`.",
    "IndicatorScore.value": f"The value in points, {DECIMAL}, rounded half-up to the scheme's precision.",
    # results (结果)
    "Result.name": "The subject's name as ranked.",
    "Result.group": "The peer group (组别) it was ranked in; null when ranked with everyone.",
    "Result.total": f"The total in points as ranked, {DECIMAL} at the scheme's precision.",
    "Result.rank": "Its place in its group (名次), 1 for the best; null when not ranked (e.g. a veto excludes it).",
    "Result.bandGrade": "The grade (等次) the total's band gives, before quotas and vetoes.",
    "Result.grade": "The grade (等次) given after quotas (名额) and vetoes; null when the scheme grades nothing.",
    "Result.gradeReason": ("Why `grade` differs from `bandGrade`: `quota` (名额限制), `veto` (一票否决) or "
                           "`condition` (条件限定); null when it does not."),
    "Result.labels": "The labels (称号) given, e.g. 先进单位, in the scheme's order.",
    "Result.rewards": ("The rewards (奖励) as a JSON object of reward name → amount in yuan (元), an exact decimal "
                       "string with 2 places."),
    "Result.distribution": ("For each reward the scheme distributes among the unit's people (二次分配, "
                            "docs/scheme-reference.md §10.1), each person's share; empty for other rewards, and in "
                            "the 公示's view."),
    "RewardDistribution.reward": "The reward's name, as a key of `rewards`.",
    "RewardDistribution.shares": "Every person's share, by person id; together they are the unit's amount exactly.",
    "RewardShare.personId": "The person (the id the unit's people list gives).",
    "RewardShare.amount": "The person's share in yuan (元), an exact decimal string with 2 places.",
    # evidence (佐证材料) and its review (审核)
    "Submission.indicator": "The indicator (指标) code the evidence is for; null for a subject-level event (a veto).",
    "Submission.status": ("pending (under review at `level`), approved (its fact counts), returned (to be "
                          "corrected and sent again), rejected, or revoked (approved, then withdrawn)."),
    "Submission.level": ("The index of the review level (审核层级) it is at, 0 for the first "
                         "(`ReviewDecision.levelIndex` is the same index of a decision; `ReviewDecision.level` is a "
                         "name)."),
    "Submission.levelName": "The name of the level it waits at (e.g. 科室负责人); null unless pending.",
    "Submission.levelDueAt": f"When the current level's working days run out {INSTANT}; null unless pending.",
    "Submission.value": "The submitted content of the fact (事实), as a JSON object of its kind's fields (§5).",
    "Submission.factId": "The fact the approval made, which scoring counts and appeals name; null until approved.",
    "Submission.submittedBy": ("Who submitted it: the user id, or `api-key:<id>` for an API key (`onBehalfOf` then "
                               "names the person the key acts for)."),
    "Attachment.fileName": "The file's name as uploaded.",
    "Attachment.contentType": ("The file's media type as uploaded (e.g. `application/pdf`), one of those allowed: "
                               "PDF, images, Office/WPS, text."),
    "Attachment.size": "The file's size in bytes.",
    "ReviewDecision.level": ("The name of the review level (审核层级) decided at, not its index as `Submission.level`; "
                             "deprecated for `levelName` (the same name) and `levelIndex`."),
    "ReviewDecision.reviewer": ("Who decided: the user id, `api-key:<id>` for an API key (`onBehalfOf` then names the "
                                "person the key acts for), or `system:…` for a level agreed when its deadline passed."),
    "ReviewDecision.decision": "approve, adjust (approve with a changed value), reject, return or revoke.",
    "ReviewDecision.value": "The content the reviewer set with `adjust`; null for the other decisions.",
    "ReviewDecision.reason": "The reviewer's reason (审核意见); empty for a plain approval.",
    "ReviewDecision.decidedAt": f"When it was decided {INSTANT}.",
    # weekly journals (工作日志)
    "Journal.week": "The ISO week it covers, e.g. `2026-W05`.",
    "Journal.text": "What the person wrote; empty for a week missing or excused.",
    "Journal.submittedAt": f"When it was written {INSTANT}; null if never.",
    "Journal.version": "Its version: every change (a make-up, an excuse) adds one.",
    # ratings (评议)
    "RatingResponses.raters": "How many raters the task has.",
    "RatingResponses.responded": "How many of them have answered at least once.",
    "RatingResponses.byLevel": ("The same counts per rater level (e.g. 班子成员): a JSON object of level → "
                                "`{raters, responded}`."),
    "Ballot.taskId": "The rating task (评议任务) the ballot belongs to.",
    "Ballot.level": "Your level as a rater in this task (e.g. 班子成员), by which the scheme weighs your grades.",
    "Ballot.grades": "The grades you may give, best first (e.g. 好, 较好, 一般, 差).",
    "Ballot.closesAt": f"When the task closes {INSTANT}; answers are refused afterwards.",
    "Ballot.lines": "One line per subject you rate, in the task's order.",
    "BallotLine.grade": "The grade you gave; null when not answered or abstained.",
    "BallotLine.answered": "Whether you answered this line (an abstention counts as answered).",
    # rectification (整改)
    "RectificationNotice.checkedAt": f"When the inspection (检查) took place {INSTANT}.",
    "RectificationNotice.inspector": "Who issued the notice (the inspector's user id).",
    "RectificationNotice.problem": "The problem the inspection found (发现问题).",
    "RectificationNotice.deadline": "The last day (ISO date) for the unit's feedback and the sign-off (整改期限).",
    "RectificationNotice.feedback": "The unit's reply on what it rectified (整改反馈); null until answered.",
    "RectificationNotice.feedbackAt": f"When the feedback was given {INSTANT}.",
    "RectificationNotice.signedBy": "Who signed the rectification off (验收), the user id; null until signed.",
    "RectificationNotice.signedAt": f"When it was signed off {INSTANT}.",
    "RectificationNotice.status": ("open (awaiting feedback), answered (awaiting sign-off), signed, or overdue "
                                   "(not signed by the deadline; its follow-up event is then raised)."),
    "RectificationNotice.followUp": ("The deduction event raised when the notice goes overdue, as a JSON object "
                                     "(`type`, `count`, `indicator`); null for none."),
    "RectificationNotice.version": "Its version, to send back with feedback or a sign-off (stale → CONFLICT).",
    # appeals (申诉)
    "Appeal.factId": "The fact (事实) appealed against.",
    "Appeal.points": "The appeal's points (申诉理由), one text each.",
    "Appeal.status": "open (awaiting the office's answer), upheld (支持) or dismissed (驳回).",
    "Appeal.answerDueAt": f"When the office's answer is due {INSTANT}: calendar days after filing, 10 by default.",
    "Appeal.replies": "The office's reply to each point, in the points' order; empty until answered.",
    "Appeal.correction": "The corrected fact content an upheld appeal applied; null otherwise.",
    "Appeal.answeredAt": f"When it was answered {INSTANT}; null while open.",
    "Appeal.version": "Its version, to send back with the answer (stale → CONFLICT).",
    # score history (得分记录) and reproducibility
    "ScoreVersion.indicator": "The indicator (指标) code the value is for, or `total`.",
    "ScoreVersion.factIds": "The ids of the facts (事实) the value was computed from.",
    "ScoreVersion.facts": ("The facts' contents when the service sends them; scoring's history sends ids only, "
                           "so this is null: read the facts by `factIds`."),
    "ScoreVersion.explanation": "How the value came about, the engine's sentence for this version, in the request's "
                                "language.",
    "PeriodVerification.ok": "The recomputation gives the stored inputs hash and every stored latest value.",
    "PeriodVerification.inputsSha256": "The SHA-256 (hex) of the inputs as recomputed now.",
    "PeriodVerification.mismatches": ("What differs, a JSON list: `{field: inputs_sha256, stored, computed}` and "
                                      "`{subject, indicator, stored, computed}` per value (with `stored_explain` and "
                                      "`computed_explain` when the kept explanation no longer holds); empty when "
                                      "`ok`."),
    # publication (公示), approval (审定) and reopening
    "Snapshot.sequence": "The snapshot's number within the period, 1 for the first 审定 (a reopening adds one).",
    "Snapshot.sha256": "The SHA-256 (hex) of the snapshot's canonical JSON bytes, as the export serves them.",
    "Snapshot.finalizedBy": "Who approved the results (审定), the user id.",
    "Snapshot.finalizedAt": f"When the results were approved {INSTANT}.",
    "Reopening.reason": "Why the finalized period was reopened, in words kept on record.",
    "Reopening.snapshotSequence": ("The latest snapshot when it was reopened (it stays stored and verifiable); 0 "
                                   "if none."),
    "Reopening.reopenedBy": "Who reopened it, the user id.",
    "Reopening.reopenedAt": f"When it was reopened {INSTANT}.",
    "Publication.closesAt": (f"When the 公示 window ends {INSTANT}: its working days counted by the holiday "
                             "calendar; objections are refused afterwards."),
    "Publication.finalizedAt": f"When the results were approved (审定) {INSTANT}; null before.",
    "Publication.reopenCount": "How many times the period was reopened after 审定.",
    "Publication.staleSince": f"Since when the results differ from what was published or approved {INSTANT}.",
    "Objection.reason": "The objection's text (异议内容) as filed.",
    "Objection.status": "open (awaiting the office's answer) or answered.",
    "Objection.answer": "The office's answer (异议答复); null while open.",
    "Objection.answeredAt": f"When it was answered {INSTANT}; null while open.",
    # audit trail (审计记录)
    "AuditRecord.service": "The service whose chain holds the record: evidence, scoring or ranking.",
    "AuditRecord.recordedAt": f"When it was recorded {INSTANT}.",
    "AuditRecord.actor": ("Who acted: a user id, `api-key:<id>`, `system` or `system:<job>` for the services' own "
                          "work."),
    "AuditRecord.action": "What was done, as `entity.verb`, e.g. `appeal.answer`, `fact.upsert`.",
    "AuditRecord.entityType": "The kind of record acted on, e.g. `appeal`, `fact`, `period`.",
    "AuditRecord.entityId": "The id of the record acted on.",
    "AuditRecord.beforeDigest": "The SHA-256 of the record's canonical JSON before the action; null when created.",
    "AuditRecord.afterDigest": "The SHA-256 of the record's canonical JSON after the action; null when removed.",
    "AuditRecord.details": "What else the action recorded, as a JSON object (e.g. a reason, a version).",
    "AuditRecord.requestId": "The id of the request that made it (X-Request-ID), to find it in the logs.",
    "AuditRecord.hash": "The SHA-256 (hex) of the record's content chained to the previous record's hash.",
    "ChainVerification.service": "The service whose chain was checked.",
    "ChainVerification.ok": "The whole chain holds and every live audited row matches it.",
    "ChainVerification.report": ("The service's report, a JSON object: `records`, `first_broken_id`, `reason`, the "
                                 "`head` `{id, hash}`, `rows` and `row_problems` checked, `unsealed` writes."),
    # review chains (审核流程)
    "ReviewChain.indicator": "The indicator (指标) code it reviews; `\"\"` is the scheme's default chain.",
    "ReviewChain.levels": "The review levels (审核层级) in order, first to last.",
    "ReviewChain.version": "Its version, to send back when setting the chain again (stale → CONFLICT).",
    "ReviewLevel.name": "The level's name, e.g. 科室负责人.",
    "ReviewLevel.workingDays": "Working days (工作日) the level has to decide, counted by the holiday calendar.",
    # journal roster
    "JournalRosterEntry.unitPath": "The person's unit path.",
    "JournalRosterEntry.indicator": "The journal indicator (指标) the weeks count for.",
    "JournalRosterEntry.firstWeek": "The first ISO week owed, e.g. `2026-W01`.",
    "JournalRosterEntry.lastWeek": "The last ISO week owed, e.g. `2026-W13`.",
    "RosterResult.people": "How many people the registration put on the roster.",
    # scheme tools
    "SchemeValidation.ok": "Whether the document is a valid scheme (no problems).",
    "SchemeValidation.version": "The version the document names, when it names one.",
    "SchemeValidation.problems": "Every problem found, each with its JSON pointer; empty when ok.",
    "SchemeProblem.message": "What is wrong there, in a sentence, in the request's language (Accept-Language).",
    "SchemeDiff.fromVersion": "The earlier version compared.",
    "SchemeDiff.toVersion": "The later version compared.",
    "SchemeDiff.changed": "Indicators in both versions whose fields changed.",
    "IndicatorChange.code": "The indicator's code (指标代码).",
    "IndicatorChange.changes": "Each field that changed, with its values before and after.",
    "FieldChange.field": "The field's name as the scheme document writes it, e.g. `max`, `rule`.",
    "FieldChange.before": "Its value in the earlier version (JSON); null when absent there.",
    "FieldChange.after": "Its value in the later version (JSON); null when absent there.",
    # API keys
    "ApiKey.name": "The name that tells the key's use.",
    "ApiKey.grants": "The roles and scopes the key acts with.",
    "ApiKey.createdBy": "Who created it, the user id.",
    "CreatedApiKey.key": "The key itself (`khk_…`), shown this once: send it in the `X-API-Key` header.",
    "CreatedApiKey.apiKey": "The key's record as `apiKeys` lists it.",
    # the inbox (待办)
    "PendingRating.taskId": "The rating task (评议任务) to answer with `castBallot`.",
    "PendingRating.indicator": "The indicator (指标) the ratings count for.",
    "PendingRating.kind": "democratic (民主测评), leader (领导评议) or mutual (单位互评).",
    "PendingRating.round": "The round of the rating, 1 unless repeated.",
    "PendingRating.level": "Your level as a rater in the task (e.g. 班子成员).",
    "PendingRating.closesAt": f"When the task closes {INSTANT}.",
    "PendingRating.subjects": "How many subjects the ballot has.",
    "PendingRating.answered": "How many of them you have answered.",
    "JournalDue.week": "The ISO week the journal covers, e.g. `2026-W05`.",
    "JournalDue.indicator": "The journal indicator (指标) it counts for.",
    "JournalDue.dueAt": f"When it is due {INSTANT}.",
    # rating tasks (评议任务)
    "RatingTask.indicator": "The indicator (指标) the ratings count for.",
    "RatingTask.scope": "The unit path of the office that runs the task: its admins manage and close it.",
    "RatingTask.grades": "The grades raters may give, best first (e.g. 好, 较好, 一般, 差).",
    "RatingTask.round": "The round of the rating, 1 unless repeated.",
    "RatingTask.closesAt": f"When raters' answers stop being taken {INSTANT}.",
    "RatingTask.status": ("open (taking answers) or closed (its graded answers became `rating` facts; "
                          "abstentions none)."),
    "RatingTask.version": "Its version, to send back when closing it (stale → CONFLICT).",
}


# Fields whose meaning is the same on every type that has them (a page's, a record's keys); a type's own
# description in its code wins.
FIELDS: dict[str, str] = {
    "edges": "The page's items, each with its cursor.",
    "nodes": "The page's items.",
    "pageInfo": "Whether there is a next page, and the cursor to ask for it with `after`.",
    "totalCount": "How many items there are in all, over every page (rows you may not see left out).",
    "cursor": "Pass it as `after` to read the items that follow this one.",
    "node": "The item.",
    "id": "Its id.",
    "periodId": "The assessment period (考核周期) it belongs to.",
    "subjectId": "The assessed subject (考核对象) it concerns.",
    "schemeId": "The assessment scheme (考核方案).",
    "createdAt": "When it was created (ISO 8601 instant).",
    "publishedAt": "When it was published (ISO 8601 instant).",
    "filedAt": "When it was filed (ISO 8601 instant).",
    "filedBy": "Who filed it (the user id, the `sub` of their token).",
    "answeredBy": "Who answered it (the user id).",
}


def describe_schema(schema: Any) -> None:
    """Every description this module holds, where the code gave none: arguments, the root types, page edges,
    fields that mean the same everywhere, enum values and input fields."""
    describe_arguments(schema)
    describe_root_fields(schema)
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        if not kind.description:
            if name in TYPES:
                kind.description = TYPES[name]
            elif name.endswith("Edge"):
                kind.description = EDGE.format(item=name.removesuffix("Edge"))
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                field.description = (field.description or TYPE_FIELDS.get(f"{name}.{field_name}")
                                     or FIELDS.get(field_name))
        if isinstance(kind, GraphQLEnumType):
            for value_name, value in kind.values.items():
                value.description = value.description or ENUM_VALUES.get(f"{name}.{value_name}")
        elif isinstance(kind, GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                field.description = (field.description or INPUT_FIELD_OVERRIDES.get(f"{name}.{field_name}")
                                     or INPUT_FIELDS.get(field_name))


# Where a root field's grant must lie (gateway/access.py's `target`).
WHERE = {
    "org": "on the whole organisation (scope `\"\"`)",
    "period": "over the period's office (its `ownerPath`)",
    "unit": "over the unit concerned (the subject's, the unit's or the person's)",
    "any": "anywhere (what lies outside your scopes is left out)",
}
# Arguments naming one record: a root field that requires one answers NOT_FOUND when it is unknown (or out of scope).
RECORD_ARGUMENTS = frozenset({"id", "periodId", "subjectId", "schemeId", "taskId", "unitId", "entityId"})
# Mutations whose `input` names a record that must exist (a period, a parent unit, a scheme version, a subject):
# NOT_FOUND when it is unknown, as for a record argument.
RECORD_INPUTS = frozenset({"submitEvidence", "createUnit", "openPeriod", "setJournalRoster"})
NO_SERVICE = frozenset({"me"})  # answered from the caller's credentials alone


def access_sentence(operation: str) -> str | None:
    """Who may run a root field, from its rule in gateway/access.py (None: it has none)."""
    from gateway import access

    rule = access.OPERATIONS.get(operation)
    if rule is None:
        return None
    roles = [r for r in rule.roles if r != "subject"]
    every = set(rule.roles) == set(access.ALL)
    names = "any role" if every else ", ".join(roles[:-1]) + " or " + roles[-1] if len(roles) > 1 else roles[0]
    own = "; a subject (考核对象) for its own records" if rule.own else ""
    if every and rule.target == "any":
        return "Who may: any signed-in caller with a role (a list leaves out what lies outside your scopes)."
    return f"Who may: {names} {WHERE[rule.target]}{own}."


def error_codes(kind: str, field_name: str, field: Any) -> list[str]:
    """The GraphQL error codes (`extensions.code`, docs/api.md) a root field can give: no caller, a grant that does
    not cover it, arguments out of bounds, an unknown record it names, a refused change, a service unreachable."""
    codes = ["UNAUTHENTICATED", "FORBIDDEN"]
    if field.args:
        codes.append("BAD_USER_INPUT")
    required = {name for name, argument in field.args.items() if str(argument.type).endswith("!")}
    if required & RECORD_ARGUMENTS or field_name in RECORD_INPUTS:
        codes.append("NOT_FOUND")
    if kind == "Mutation":
        codes.append("CONFLICT")
    if field_name not in NO_SERVICE:
        codes.append("UNAVAILABLE")
    return codes


def describe_root_fields(schema: Any) -> None:
    """Each root field's description ends with who may run it (its access rule) and the error codes it can give."""
    for kind in ("Query", "Mutation"):
        root = schema.type_map.get(kind)
        for field_name, field in (root.fields.items() if root is not None else ()):
            who = access_sentence(field_name)
            if who is None or "Errors:" in (field.description or ""):
                continue
            codes = ", ".join(error_codes(kind, field_name, field))
            field.description = f"{(field.description or '').rstrip()}\n{who} Errors: {codes}."


def describe_arguments(schema: Any) -> None:
    """Give every argument of every field its description from the tables above, unless it has one."""
    for kind in schema.type_map.values():
        if kind.name.startswith("__") or not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, field in kind.fields.items():
            for name, argument in field.args.items():
                if not argument.description:
                    argument.description = FIELD_ARGUMENTS.get(f"{field_name}.{name}") or ARGUMENTS.get(name)
