"""Facts in bulk (issue 17): one CSV or xlsx file of a period's evidence for one indicator, a row per subject, all
or nothing.

The form names the `indicator` (its fact kind is the scheme's; `fact` may name the kind, and must then agree; only
events may go without an indicator), optionally the `month` (YYYY-MM) the file covers and a `justification`. The
file's first row names its columns: `subject` (the subject's id; `subject_id` is read the same), optionally `name`
(checked against the subject's name, so that a row shifted in the ledger is caught) and `justification`, and the
fields of the fact kind as `content` of `POST /v1/submissions` names them (`points`, `note` for a score; `value`
or `numerator` and `denominator`, and `month`, for a measure…). A measure row without a month takes the form's
month; a row whose month (a measure's `month`, an event's `date`) lies outside it is a bad row.

Scope comes first (stop 26): a caller with no grant on the branch of the period's owner gets the answer of a period
that does not exist (404), and a row whose subject the uploader may not submit the file's facts for gets the reason
of a subject not enrolled: neither its name nor its unit is told, and the name check comes after. Each row passes the
checks of one submission (submissions.service.checked_evidence: the uploader's role over the subject's unit, the
indicator and its fact kind, the fields); every bad row is reported as `{row, column, reason}`
(services/common/tabular.py BadRows) and then nothing is written. Each good row becomes a submission exactly as
`POST /v1/submissions` makes it (version 1, audit record, event); where the uploader reviews every level of the
chain over the subject's unit, it is approved at once, level by level, as that reviewer approving it would
(decision, audit record, the fact announced to scoring): docs/decisions.md, issue 17. A row it would approve about
the uploader themselves (its subject among the uploader's `subject_ids`) is a bad row, as `reviewSubmission` refuses
its subject (four-eyes, services.common.separation). One more audit record names the file (its SHA-256) and what
came of it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, get_args, get_origin

from sqlalchemy.ext.asyncio import AsyncSession

from kaohe.i18n import Text, _
from services.common import audit, separation
from services.common.auth import Principal
from services.common.errors import DomainError, InvalidInput
from services.common.outbox import enqueue_all
from services.common.stored_text import message
from services.common.tabular import BadRows, Line, table
from services.common.workbook import excerpt
from services.evidence.facts import repository as facts_repository
from services.evidence.makeups.service import makeups_of_rows
from services.evidence.periods.service import scoped_writable_period
from services.evidence.reviews import chains
from services.evidence.reviews import repository as reviews_repository
from services.evidence.reviews.service import Gathered, approve_as_reviewer
from services.evidence.scoring_client import PeriodInfo, ScoringClient, SubjectInfo
from services.evidence.submissions import repository as submissions_repository
from services.evidence.submissions.content import MODELS, month_refusal, require_vetoes
from services.evidence.submissions.service import (
    KIND_ROLES,
    check_indicator,
    checked_evidence,
    fact_id,
    new_submission,
    record_created,
    require_kind_role,
)

MAX_ROWS = 10_000  # a month's ledger of one indicator: one row per subject, a county's people at most
MAX_BYTES = 10 * 2**20
MAX_JUSTIFICATION = 5_000  # as SubmissionCreate.justification
SUBJECT_BATCH = 500  # subjects asked of scoring at once (its batch read's limit)
SUBJECT_ID_MAX = 64  # the longest id scoring's batch read takes
SUBJECT_COLUMNS = ("subject", "subject_id")
OWN_COLUMNS = ("name", "justification")
LIST_SEPARATORS = re.compile(r"[,，、;；]")
YES_NO = {"是": True, "否": False}
APPROVED_ON_UPLOAD = "review.approved_on_upload"  # the reason of each level approved on upload (stored_text)


@dataclass(frozen=True)
class Upload:
    """What the form says about the file."""

    period_id: str
    indicator: str | None
    fact: str | None
    month: str | None
    justification: str
    filename: str
    data: bytes

    def key(self) -> dict[str, Any]:
        """The request as an Idempotency-Key binds it: the form and the file's SHA-256."""
        return {"period_id": self.period_id, "indicator": self.indicator, "fact": self.fact, "month": self.month,
                "justification": self.justification, "filename": self.filename,
                "sha256": hashlib.sha256(self.data).hexdigest()}


@dataclass
class Row:
    line: int
    subject_id: str
    name: str | None
    justification: str
    content: dict[str, Any]


@dataclass
class Checked:
    line: int
    subject: SubjectInfo
    content: dict[str, Any]
    justification: str


async def import_file(session: AsyncSession, principal: Principal, scoring: ScoringClient, upload: Upload, *,
                      now: datetime) -> dict[str, Any]:
    """Every row of the file as a submission (approved where the uploader reviews it); BadRows naming every bad
    row, and nothing written, otherwise."""
    period = await scoped_writable_period(session, principal, scoring, upload.period_id)
    kind = _kind(period, upload)
    require_kind_role(principal, kind)
    check_indicator(period.fact_kinds, upload.indicator, kind)  # the file's indicator, as one submission's
    require_vetoes(period, upload.indicator, kind)  # a file of events without indicator, refused once
    header, lines = table(upload.filename, upload.data, MAX_ROWS)
    rows, problems = _rows(header, lines, kind, upload)
    if len(rows) > MAX_ROWS:
        raise InvalidInput(_("at most %(max_rows)s rows", max_rows=MAX_ROWS), details={"field": "file"})
    subjects = await _subjects(scoring, period.id, sorted({row.subject_id for row in rows}))
    checked: list[Checked] = []
    for row in rows:
        found = _checked(principal, period, subjects, kind, upload, row)
        if isinstance(found, Checked):
            checked.append(found)
        else:
            problems.extend(found)
    levels = await chains.levels_for(session, period.scheme_id, upload.indicator)
    problems.extend(_about_themselves(principal, levels, checked))
    if problems:
        raise BadRows(sorted(problems, key=lambda p: p["row"]), what="submitted")
    if not checked:
        raise InvalidInput(_("the file has no rows to submit"), details={"field": "file"})
    makeups, refusal = await makeups_of_rows(session, period, subject_ids=[row.subject.id for row in checked],
                                             indicator=upload.indicator, at=now)
    if refusal is not None:
        raise refusal
    return await _write(session, principal, period, kind, upload, checked, now, makeups, levels)


def _about_themselves(principal: Principal, levels: list[dict[str, Any]], rows: list[Checked]) -> list[dict[str, Any]]:
    """A bad row for each row the upload would approve (the uploader reviews every level of its chain) about the
    uploader themselves: the four-eyes principle as `reviewSubmission` holds it (services.common.separation); such a
    row is the one thing the uploader may not approve on upload (docs/identity.md, "Separation of duties")."""
    problems = []
    for row in rows:
        reason = separation.about_themselves(principal, row.subject.id)
        if reason is not None and chains.reviews_every_level(principal, levels, row.subject.unit_path):
            problems.append({"row": row.line, "column": "subject", "reason": reason})
    return problems


def _kind(period: PeriodInfo, upload: Upload) -> str:
    """The fact kind of the file: the form's, else the indicator's."""
    kind = upload.fact or (period.fact_kinds.get(upload.indicator) if upload.indicator else None)
    if kind is None and upload.indicator is not None:
        raise InvalidInput(_("indicator %(indicator)r is not in the period's scheme, or reads no facts",
                             indicator=upload.indicator),
                           details={"field": "indicator"})
    if kind is None:
        raise InvalidInput(_("name the indicator (or, for events without one, fact=event)"),
                           details={"field": "indicator"})
    if upload.month is not None and kind not in ("measure", "event"):
        raise InvalidInput(_("%(kind)s facts carry no month or date: leave month empty", kind=kind),
                           details={"field": "month"})
    if (refused := month_refusal(upload.month, period.label)) is not None:
        raise InvalidInput(refused, details={"field": "month"})
    return kind


def _header(header: Line, kind: str) -> tuple[list[str], str]:
    """The column names and which one holds the subject; BadRows naming every column the file may not have."""
    line, cells = header
    names = [str(cell or "").strip() for cell in cells]
    while names and names[-1] == "":
        names.pop()
    fields = MODELS[kind].model_fields
    problems = [{"row": line, "column": name, "reason": _(
                    "%(column)r is not a field of %(kind)s facts (columns: subject, name, justification, %(fields)s)",
                    column=excerpt(name), kind=kind, fields=", ".join(fields))}
                for name in dict.fromkeys(names) if name and name not in fields
                and name not in SUBJECT_COLUMNS + OWN_COLUMNS]
    problems += [{"row": line, "column": name, "reason": _("the column %(column)r appears more than once",
                                                                   column=excerpt(name))}
                 for name in sorted({n for n in names if n and names.count(n) > 1})]
    subject = [name for name in names if name in SUBJECT_COLUMNS]
    if not subject:
        problems.append({"row": line, "column": "subject",
                         "reason": _("the file needs a subject column (the subject's id in the period)")})
    elif len(subject) > 1:
        problems.append({"row": line, "column": subject[1],
                         "reason": _("give the subject once (subject or subject_id)")})
    if problems:
        raise BadRows(problems, what="submitted")
    return names, subject[0]


def _rows(header: Line, lines: list[Line], kind: str, upload: Upload) -> tuple[list[Row], list[dict[str, Any]]]:
    """The file's non-empty rows, and `{row, column, reason}` of each row that cannot even be read as one."""
    names, subject_column = _header(header, kind)
    fields = MODELS[kind].model_fields
    rows: list[Row] = []
    problems: list[dict[str, Any]] = []
    for line, cells in lines:
        if any(_text(cell) is not None for cell in cells[len(names):]):
            problems.append({"row": line, "column": None,
                             "reason": _("%(cells)s cells for %(columns)s columns", cells=len(cells),
                                         columns=len(names))})
            continue
        values = {name: cell for name, cell in zip(names, cells, strict=False) if name}
        if all(_text(cell) is None for cell in values.values()):
            continue  # a blank line of the ledger
        subject = _text(values.get(subject_column))
        if subject is None:
            problems.append({"row": line, "column": subject_column, "reason": _("the subject's id is missing")})
            continue
        justification = _text(values.get("justification")) or upload.justification or f"批量导入 {upload.filename}"
        if len(justification) > MAX_JUSTIFICATION:
            problems.append({"row": line, "column": "justification",
                             "reason": _("at most %(limit)s characters", limit=MAX_JUSTIFICATION)})
            continue
        content = {name: value for name, cell in values.items() if name in fields
                   and (value := _value(cell, fields[name].annotation)) is not None}
        rows.append(Row(line, subject, _text(values.get("name")), justification, content))
    return rows, problems


def _text(cell: Any) -> str | None:
    text = "" if cell is None else str(cell).strip()
    return text or None


def _value(cell: Any, annotation: Any) -> Any:
    """A cell as the content's field takes it: numbers as their exact text (an xlsx number is a double: its
    shortest text), dates as ISO dates, lists split at commas or 、, 是/否 for a yes-or-no field."""
    if cell is None or isinstance(cell, bool):
        return cell
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        number = Decimal(repr(cell))
        return str(int(number)) if number == number.to_integral_value() else format(number, "f")
    text = _text(cell)
    if text is None:
        return None
    if _accepts(annotation, list):
        return [part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()]
    if _accepts(annotation, bool) and text in YES_NO:
        return YES_NO[text]
    return text


def _accepts(annotation: Any, wanted: type) -> bool:
    """Whether a content field's type is `wanted` or a union or Annotated holding it."""
    return annotation is wanted or get_origin(annotation) is wanted \
        or any(_accepts(arg, wanted) for arg in get_args(annotation))


async def _subjects(scoring: ScoringClient, period_id: str, ids: list[str]) -> dict[str, SubjectInfo]:
    """The file's subjects that are in the period. An id scoring's batch read cannot be asked for (longer than its
    ids, or holding the list's comma) is no subject: its row is reported as not in the period."""
    askable = [i for i in ids if len(i) <= SUBJECT_ID_MAX and "," not in i]
    found: dict[str, SubjectInfo] = {}
    for start in range(0, len(askable), SUBJECT_BATCH):
        found.update(await scoring.subjects(period_id, askable[start:start + SUBJECT_BATCH]))
    return found


def _checked(principal: Principal, period: PeriodInfo, subjects: dict[str, SubjectInfo], kind: str, upload: Upload,
             row: Row) -> Checked | list[dict[str, Any]]:
    """The row once it passed one submission's checks, else its problems."""
    def problem(column: str | None, reason: str) -> list[dict[str, Any]]:
        return [{"row": row.line, "column": column, "reason": reason}]

    subject = subjects.get(row.subject_id)
    if subject is None or not principal.can(KIND_ROLES[kind], subject.unit_path):
        # a subject the uploader may not submit for is answered as one not enrolled: never its name or unit
        return problem("subject", _("subject %(subject_id)r is not in period %(period_id)r",
                                    subject_id=excerpt(row.subject_id), period_id=period.id))
    if row.name is not None and row.name != subject.name:
        return problem("name", _("%(given)r is not the name of subject %(id)s (%(name)s)", given=excerpt(row.name),
                                 id=subject.id, name=subject.name))
    content = dict(row.content)
    if upload.month is not None and kind == "measure":
        if content.setdefault("month", upload.month) != upload.month:
            return problem("month", _("month %(month)s is not the file's month %(file_month)s",
                                      month=excerpt(content["month"]), file_month=upload.month))
    try:
        checked = checked_evidence(principal, period, subject, upload.indicator, kind, content)
    except DomainError as exc:
        return _problems(row.line, exc)
    if upload.month is not None and kind == "event" and "date" in checked \
            and not str(checked["date"]).startswith(upload.month):
        return problem("date", _("%(date)s is not in the file's month %(file_month)s", date=checked["date"],
                                 file_month=upload.month))
    return Checked(row.line, subject, checked, row.justification)


def _problems(line: int, exc: DomainError) -> list[dict[str, Any]]:
    """One submission's refusal as the row's problems: each content field it names as that column of the file (a
    refusal that names none is the subject's; a subject out of the uploader's scope never gets here: `_checked`)."""
    details = exc.details
    if isinstance(details, list):  # the fields of the content (validate_content), each with its reason
        out = []
        for detail in (d for d in details if isinstance(d, dict)):
            field = str(detail.get("field", "")).removeprefix("content").removeprefix(".").split(".")[0]
            reason = detail.get("reason", "")  # a Text (pydantic_reason) keeps its translation
            reason = reason if isinstance(reason, Text) else str(reason)
            # a rule across fields (value, or numerator and denominator) names no one column
            out.append({"row": line, "column": field or None,
                        "reason": _("%(field)s: %(reason)s", field=field, reason=reason) if field else reason})
        return out
    named = details.get("field") if isinstance(details, dict) else None
    column = str(named).removeprefix("content.") if named else "subject"
    return [{"row": line, "column": column, "reason": exc.message}]


async def _write(session: AsyncSession, principal: Principal, period: PeriodInfo, kind: str, upload: Upload,
                 rows: list[Checked], now: datetime, makeups: dict[str, str],
                 levels: list[dict[str, Any]]) -> dict[str, Any]:
    """Each row as `open_submission` and `approve_as_reviewer` make it one by one (the same rows, audit records in
    the same order, events and facts), written set-based: every submission, version, decision, fact and outbox
    event of the file with one COPY per table (docs/decisions.md, "Bulk facts and roll-up recompute")."""
    opened = [(row, *new_submission(principal, period=period, subject=row.subject, indicator=upload.indicator,
                                    fact_kind=kind, content=row.content, justification=row.justification,
                                    moment=now, levels=list(levels)),
               chains.reviews_every_level(principal, levels, row.subject.unit_path)) for row in rows]
    # the facts approved rows become that exist already (a journal's week), locked as one by one
    existing = await facts_repository.get_many(session, [fact_id(s) for _, s, _, yes in opened if yes])
    gathered = Gathered(facts=existing)
    made: list[dict[str, Any]] = []
    for row, submission, first, approve in opened:
        record_created(session, principal, submission, first, makeup_id=makeups.get(submission.subject_id))
        if approve:
            await approve_as_reviewer(session, principal, submission, reason=message(APPROVED_ON_UPLOAD), now=now,
                                      gathered=gathered)
        made.append({"row": row.line, "id": submission.id, "subject_id": submission.subject_id,
                     "status": submission.status,
                     "fact_id": fact_id(submission) if submission.status == "approved" else None})
    await submissions_repository.add_many(session, [s for _, s, _, _ in opened], [f for _, _, f, _ in opened])
    await reviews_repository.add_decisions(session, gathered.decisions)
    await facts_repository.add_many(session, gathered.new_facts)
    await enqueue_all(session, gathered.events)
    approved = sum(1 for m in made if m["status"] == "approved")
    summary = {"period_id": period.id, "indicator": upload.indicator, "fact": kind, "month": upload.month,
               "submitted": len(made), "approved": approved, "pending": len(made) - approved}
    audit.record(session, actor=principal, action="submission.import", entity_type="period", entity_id=period.id,
                 details={**summary, "file": excerpt(upload.filename, 200),
                          "sha256": hashlib.sha256(upload.data).hexdigest()})
    await session.flush()
    return {**summary, "submissions": made}
