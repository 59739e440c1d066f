"""`kaohe demo`: a synthetic city driven through the running services' HTTP APIs, end to end.

For each sample scheme in `examples/schemes/` (`--scheme all`: every one) it creates the units and
staff (Chinese names from the sample facts), publishes the scheme in scoring, opens a period with its
groups and attributes, sets a one-level review chain in evidence, and sends every sample fact through
the endpoint an office would use (demo_channels.py): evidence submissions approved by the reviewer,
rating tasks answered rater by rater, journals week by week.
The approved facts then travel evidence → scoring → ranking through the outboxes; the demo waits
for ranking's results, checks them against the offline engine, publishes them (公示) and prints
each period's ranking table; it exits 1 when a period's ranking differs from the offline engine's.
A roll-up example (a year built from finalized months or quarters) runs last: its source scheme's
sub-periods go through the same steps, are published and, the stack's clock moved past their 公示
(KAOHE_CLOCK_FILE), approved (审定); then the roll-up period is computed from their snapshots and
checked against the offline engine's roll-up of the same sub-periods.
It never writes a table directly.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from kaohe.demo_channels import REVIEWER, gather, is_task_rating, journals, rating_tasks
from kaohe.i18n import N_, _, current_locale, localize, parenthesized, separated, translate
from kaohe.samples import EXAMPLES
from services.common import clock
from services.common.auth import ROLES, SERVICE_TOKEN_AUDIENCE, SERVICE_TOKEN_ISSUER, Grant, Principal
from services.common.localtime import shown_deadline
from services.common.peers import peer_client
from services.common.settings import Settings
from services.ranking.exports.service import grade_reason

CITY = ("city", "示范市")
DEMO_PRINCIPAL = Principal(subject="demo-office", grants=tuple(Grant(role, "") for role in ROLES))
CONCURRENCY = 8
SCHEMES_AT_ONCE = 3  # schemes loaded side by side: one scheme's facts wait on its own review and outbox steps
console = Console()
# the ranking table's headers (the scheme's own words, names, groups, grades, labels, rewards, are data)
TABLE_HEADERS = (N_("Rank"), N_("Name"), N_("Group"), N_("Total"), N_("Grade"), N_("Labels"), N_("Rewards"))
NO_GRADE = N_("no grade")  # a graded scheme's subject that did not get one: 不定等次 (003 writes 不确定等次)


class DemoError(Exception):
    """A service refused a step; the message says which and why."""


@dataclass
class SchemeRun:
    """One sample scheme as loaded into the stack, with its ids renamed for this run."""

    stem: str
    document: dict[str, Any]
    facts: dict[str, Any]
    tag: str
    scheme_id: str = ""
    period_id: str = ""
    unit_path: str = ""
    subject_ids: dict[str, str] = field(default_factory=dict)  # sample id → id in the stack
    unit_paths: dict[str, str] = field(default_factory=dict)  # sample id → its unit's path in the stack
    matches: bool = False

    @property
    def person(self) -> bool:
        return self.document.get("subject_kind") == "person"

    @property
    def title(self) -> str:
        return str(self.document.get("title", self.stem))


@dataclass
class RollupRun:
    """A roll-up example: the source scheme's sample run once per sub-period, then the roll-up period."""

    stem: str
    source: SchemeRun  # the source scheme's sample (its facts are varied per sub-period)
    labels: list[str]  # the sub-periods' labels
    rollup: SchemeRun  # the roll-up scheme and its period (facts: the period label and the source's subjects)
    subs: list[SchemeRun] = field(default_factory=list)


class Services:
    """The three services' REST APIs, each call carrying a fresh service token for the demo office."""

    def __init__(self, urls: dict[str, str], secret: str) -> None:
        self.urls, self.secret = urls, secret
        self.http = peer_client(timeout=httpx.Timeout(60.0, connect=5.0))

    def _token(self, principal: Principal) -> str:
        now = int(time.time())
        claims = {**principal.claims(), "iss": SERVICE_TOKEN_ISSUER, "aud": SERVICE_TOKEN_AUDIENCE,
                  "iat": now, "exp": now + 120, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    async def call(self, service: str, method: str, path: str, body: Any = None, *, ok: Sequence[int] = (),
                   principal: Principal | None = None) -> Any:
        """One request (as the demo office, or `principal`: a rater answering a ballot); a status outside
        2xx (and `ok`) stops the demo with the service's message."""
        token = self._token(principal or DEMO_PRINCIPAL)
        response = await self.http.request(method, f"{self.urls[service]}{path}", json=body, headers={
            "Authorization": f"Bearer {token}", "Accept-Language": current_locale()})  # refusals in the run's language
        if response.status_code >= 300 and response.status_code not in ok:
            raise DemoError(f"{service} {method} {path} → {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    async def close(self) -> None:
        await self.http.aclose()


def all_stems() -> list[str]:
    """Every example scheme with a facts file, roll-ups included."""
    return [path.stem for path in sorted(EXAMPLES.glob("*.yaml")) if (EXAMPLES / f"{path.stem}.facts.json").exists()]


def _is_rollup(stem: str) -> bool:
    path = EXAMPLES / f"{stem}.yaml"
    return path.exists() and bool(yaml.safe_load(path.read_text(encoding="utf-8")).get("rollup"))


def run_demo(settings: Settings, stems: Sequence[str], *, publish_days: int = 5, wait_seconds: float = 180.0,
             subjects_per_group: int | None = None, sub_periods: int | None = None) -> None:
    """Run the demo against the stack `settings` describe (for `kaohe demo`, or `kaohe up --demo` once ready)."""
    from kaohe.stack import service_token_secret
    from services.common.settings import SERVICES

    rollup_stems = [stem for stem in stems if _is_rollup(stem)]
    if rollup_stems and settings.clock_file is None:
        # approving (审定) a sub-period waits for the end of its 公示: only a stack whose clock can be moved
        for stem in rollup_stems:
            typer.echo(localize(_("kaohe demo: %(stem)s is a roll-up of finalized periods; it needs the stack's clock "
                                  "file (KAOHE_CLOCK_FILE) to move past their 公示, so it is not run here", stem=stem)),
                       err=True)
        rollup_stems = []
    runs = [_load_sample(stem, subjects_per_group) for stem in stems if not _is_rollup(stem)]
    rollups = [_load_rollup(stem, subjects_per_group, sub_periods) for stem in rollup_stems]
    if not runs and not rollups:
        raise typer.Exit(2)  # nothing that was asked for can run (said above)
    urls: dict[str, str] = {name: settings.service_base_url(name) for name in SERVICES}
    try:
        asyncio.run(_run(runs, Services(urls, service_token_secret(settings)), publish_days, wait_seconds,
                         rollups=rollups, clock_file=settings.clock_file))
    except (DemoError, httpx.HTTPError) as exc:
        typer.echo(localize(_("kaohe demo: %(problem)s", problem=exc)), err=True)
        typer.echo(localize(_("is the stack running (`kaohe up`) with the same KAOHE_* settings?")), err=True)
        raise typer.Exit(1) from None
    differing = [run.stem for run in runs if not run.matches] + [r.stem for r in rollups if not r.rollup.matches]
    if differing:
        typer.echo(localize(_("kaohe demo: the services' ranking differs from the offline engine for %(names)s",
                              names=", ".join(differing))),
                   err=True)
        raise typer.Exit(1)


def _load_sample(stem: str, subjects_per_group: int | None = None) -> SchemeRun:
    scheme_path, facts_path = EXAMPLES / f"{stem}.yaml", EXAMPLES / f"{stem}.facts.json"
    if not scheme_path.exists() or not facts_path.exists():
        typer.echo(localize(_("kaohe demo: no sample scheme %(stem)s (expected %(scheme_path)s and %(facts_path)s)",
                              stem=stem, scheme_path=scheme_path, facts_path=facts_path)), err=True)
        raise typer.Exit(2)
    document = yaml.safe_load(scheme_path.read_text(encoding="utf-8"))
    facts = json.loads(facts_path.read_text(encoding="utf-8"))
    if subjects_per_group is not None:
        facts = reduced(facts, subjects_per_group)
    return SchemeRun(stem, document, facts, tag=secrets.token_hex(3))


def _load_rollup(stem: str, subjects_per_group: int | None, sub_periods: int | None) -> RollupRun:
    """A roll-up example with its source: the example whose scheme id is the roll-up's `from`, and the
    sub-periods the roll-up's sample results name (at most `sub_periods` of them)."""
    rollup = _load_sample(stem)
    source_id = rollup.document["rollup"]["from"]
    source_stem = next((path.stem for path in sorted(EXAMPLES.glob("*.yaml"))
                        if yaml.safe_load(path.read_text(encoding="utf-8")).get("id") == source_id), None)
    if source_stem is None:
        typer.echo(localize(_("kaohe demo: %(stem)s rolls up %(source)s, which no example scheme is", stem=stem,
                              source=source_id)), err=True)
        raise typer.Exit(2)
    source = _load_sample(source_stem, subjects_per_group)
    labels = sorted({str(r.get("period")) for r in rollup.facts.get("results") or []})[:sub_periods]
    if not labels:
        typer.echo(localize(_("kaohe demo: the sample of %(stem)s names no sub-period results to build", stem=stem)),
                   err=True)
        raise typer.Exit(2)
    rollup.facts = {"period": rollup.facts.get("period"), "subjects": source.facts.get("subjects") or []}
    rollup.tag = source.tag
    return RollupRun(stem, source, labels, rollup)


def sub_period_facts(facts: dict[str, Any], label: str, index: int, count: int) -> dict[str, Any]:
    """The source sample as the `index`th of `count` sub-periods: its period renamed, and every
    (count + 1)th fact, from the `index`th on, left out, so that the sub-periods differ."""
    kept = [fact for n, fact in enumerate(facts.get("facts") or []) if n % (count + 1) != index]
    return {**facts, "period": label, "facts": kept}


def reduced(facts: dict[str, Any], per_group: int) -> dict[str, Any]:
    """The sample with at most `per_group` subjects of each group (the first listed) and only their facts;
    joint events keep only the remaining participants, votes of a removed rater stay (a rater need not
    be assessed)."""
    kept: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for subject in facts.get("subjects") or []:
        group = str(subject.get("group"))
        if counts.get(group, 0) < per_group:
            counts[group] = counts.get(group, 0) + 1
            kept.append(subject)
    ids = {subject["id"] for subject in kept}
    out_facts = []
    for fact in facts.get("facts") or []:
        if fact.get("subject") not in ids:
            continue
        if isinstance(fact.get("participants"), list):
            fact = {**fact, "participants": [p for p in fact["participants"] if p in ids] or [fact["subject"]]}
        out_facts.append(fact)
    return {**facts, "subjects": kept, "facts": out_facts}


async def _run(runs: list[SchemeRun], services: Services, publish_days: int, wait_seconds: float, *,
               rollups: Sequence[RollupRun] = (), clock_file: Path | None = None) -> None:
    try:
        tag = (runs[0] if runs else rollups[0].source).tag
        await services.call("scoring", "POST", "/v1/units", {"id": f"city-{tag}", "name": CITY[1],
                                                            "slug": f"{CITY[0]}-{tag}"})
        root = f"city-{tag}"
        schemes_at_once = asyncio.Semaphore(SCHEMES_AT_ONCE)

        async def load(number: int, run: SchemeRun) -> None:
            async with schemes_at_once:
                await _load_run(run, services, progress, root=root, number=number)

        with _progress() as progress:
            await gather([load(number, run) for number, run in enumerate(runs, start=1)])
        for run in runs:
            await _settle_and_show(run, services, publish_days, wait_seconds)
        for number, rollup in enumerate(rollups, start=len(runs) + 1):  # last: they move the stack's clock
            assert clock_file is not None
            await _run_rollup(rollup, services, root=root, number=number, publish_days=publish_days,
                              wait_seconds=wait_seconds, clock_file=clock_file)
    finally:
        await services.close()


async def _run_rollup(rollup: RollupRun, services: Services, *, root: str, number: int, publish_days: int,
                      wait_seconds: float, clock_file: Path) -> None:
    """The source scheme's sub-periods through the services, published and approved (审定), then the
    roll-up period from their snapshots, checked against the offline engine's roll-up."""
    source = rollup.source
    await _organisation(source, services, root=root, number=number, advance=lambda: None)
    version = await _publish_scheme(source, services)
    rollup.subs = [SchemeRun(source.stem, source.document, sub_period_facts(source.facts, label, n, len(rollup.labels)),
                             source.tag, scheme_id=source.scheme_id, unit_path=source.unit_path,
                             subject_ids=source.subject_ids, unit_paths=source.unit_paths)
                   for n, label in enumerate(rollup.labels)]
    at_once = asyncio.Semaphore(SCHEMES_AT_ONCE)

    async def load(sub: SchemeRun) -> None:
        async with at_once:
            await _open_period(sub, services, version)
            await _evidence(sub, services, sub.facts.get("facts") or [], advance=lambda: None)

    with console.status(localize(_("%(title)s: %(count)s sub-periods (%(source)s)…", title=rollup.rollup.title,
                                   count=len(rollup.subs), source=source.title))):
        await gather([load(sub) for sub in rollup.subs])
    for sub in rollup.subs:
        await _settle_and_show(sub, services, publish_days, wait_seconds)
    await _approve(rollup.subs, services, clock_file)
    run = rollup.rollup
    run.unit_path, run.subject_ids, run.unit_paths = source.unit_path, source.subject_ids, source.unit_paths
    run.document = {**run.document, "rollup": {**run.document["rollup"], "from": source.scheme_id}}
    await _open_period(run, services, await _publish_scheme(run, services))
    await services.call("ranking", "POST", f"/v1/periods/{run.period_id}/recompute")
    expected = _offline_rollup(rollup)
    items = await _table(run, services)
    deadline = time.monotonic() + wait_seconds
    while sorted(_key(i["subject_id"], i) for i in items) != expected and time.monotonic() < deadline:
        await asyncio.sleep(1.0)  # scoring's own notice of the new period may recompute it once more
        items = await _table(run, services)
    run.matches = sorted(_key(i["subject_id"], i) for i in items) == expected
    await _show(run, services, items, publish_days)


async def _approve(subs: Sequence[SchemeRun], services: Services, clock_file: Path) -> None:
    """Move the stack's clock just past the last sub-period's 公示, then approve (审定) each one."""
    ends = [datetime.fromisoformat((await services.call("ranking", "GET", f"/v1/periods/{sub.period_id}"))
                                   ["publication_ends_at"]) for sub in subs]
    behind = max(ends) - clock.now() + timedelta(minutes=1)
    if behind > timedelta(0):
        seconds = (clock.offset() + behind).total_seconds()
        await asyncio.to_thread(clock_file.write_text, f"{seconds:.0f}\n", encoding="utf-8")
        console.print("  " + localize(_("clock moved %(days)s days %(hours)s hours ahead (KAOHE_CLOCK_FILE), past the "
                                        "end of the 公示", days=behind.days, hours=behind.seconds // 3600)),
                      markup=False)
    for sub in subs:
        await services.call("ranking", "POST", f"/v1/periods/{sub.period_id}/finalize")


def _offline_rollup(rollup: RollupRun) -> list[tuple[Any, ...]]:
    """The offline engine's roll-up of the offline results of the same sub-periods."""
    from kaohe.engine import evaluate

    results = [evaluate(sub.document, sub.facts) for sub in rollup.subs]
    facts = {**rollup.rollup.facts, "results": results}
    result = evaluate(yaml.safe_load((EXAMPLES / f"{rollup.stem}.yaml").read_text(encoding="utf-8")), facts)
    ids = rollup.source.subject_ids
    return sorted(_key(ids.get(s["id"], s["id"]), s) for s in result["subjects"])


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


async def _load_run(run: SchemeRun, services: Services, progress: Progress, *, root: str, number: int) -> None:
    subjects = run.facts.get("subjects") or []
    task = progress.add_task(localize(_("%(title)s: units and people", title=run.title[:24])), total=len(subjects) + 1)
    await _organisation(run, services, root=root, number=number, advance=lambda: progress.advance(task))
    version = await _publish_scheme(run, services)
    facts = run.facts.get("facts") or []
    progress.update(task, description=localize(_("%(title)s: submitting and approving evidence", title=run.title[:24])),
                    total=len(facts), completed=0)
    for earlier in _earlier_periods(run):  # a look-back leaf's earlier years: periods of the same scheme
        await _open_period(earlier, services, version)
        await _evidence(earlier, services, earlier.facts["facts"], advance=lambda: progress.advance(task))
    await _open_period(run, services, version)
    own = [fact for fact in facts if fact.get("period", run.facts.get("period")) == run.facts.get("period")]
    await _evidence(run, services, own, advance=lambda: progress.advance(task))


def _earlier_periods(run: SchemeRun) -> list[SchemeRun]:
    """The sample's facts of earlier periods (a look-back leaf's window, scheme-reference §3.5), as runs of
    their own periods of the same scheme and owner, each fact without its `period`."""
    label = run.facts.get("period")
    by_label: dict[str, list[dict[str, Any]]] = {}
    for fact in run.facts.get("facts") or []:
        if fact.get("period", label) != label:
            by_label.setdefault(str(fact["period"]), []).append({k: v for k, v in fact.items() if k != "period"})
    return [SchemeRun(run.stem, run.document, {**run.facts, "period": other, "facts": facts}, run.tag,
                      scheme_id=run.scheme_id, unit_path=run.unit_path, subject_ids=run.subject_ids,
                      unit_paths=run.unit_paths) for other, facts in sorted(by_label.items())]


async def _organisation(
    run: SchemeRun, services: Services, *, root: str, number: int, advance: Callable[[], None]
) -> None:
    """A department per scheme; each unit subject a unit under it, each person subject a staff member in it."""
    dept = f"d{number}-{run.tag}"
    unit = await services.call("scoring", "POST", "/v1/units", {
        "id": dept, "name": run.title[:200], "slug": f"dept-{number}", "parent_id": root})
    run.unit_path = unit["path"]
    advance()
    for subject in run.facts.get("subjects") or []:
        new_id = f"{dept}-{subject['id']}"[:64]
        name = subject.get("name") or subject["id"]
        if run.person:
            await services.call("scoring", "POST", "/v1/people", {"id": new_id, "name": name, "unit_id": dept})
        else:
            slug = f"u-{subject['id']}".lower().replace("_", "-")[:64]
            made = await services.call("scoring", "POST", "/v1/units", {"id": new_id, "name": name, "slug": slug,
                                                                       "parent_id": dept})
            run.unit_paths[subject["id"]] = made["path"]
        run.subject_ids[subject["id"]] = new_id
        advance()


async def _publish_scheme(run: SchemeRun, services: Services) -> int:
    """Publish the scheme under a run-unique id with a one-level review chain; its version."""
    document = {**run.document, "id": f"{run.document['id']}-{run.tag}"}
    draft = await services.call("scoring", "POST", "/v1/schemes", {"document": document, "owner_path": run.unit_path})
    run.scheme_id = draft["scheme_id"]
    await services.call("scoring", "POST", f"/v1/schemes/{run.scheme_id}/versions/{draft['version']}/publish",
                        {"revision": draft["revision"]})
    await services.call("evidence", "PUT", f"/v1/schemes/{run.scheme_id}/review-chains",
                        {"levels": [{"name": "科室负责人", "working_days": 3}]})
    return int(draft["version"])


async def _open_period(run: SchemeRun, services: Services, version: int) -> None:
    """Open the run's period (its sample's label) with every subject enrolled."""
    label = str(run.facts.get("period") or "2026")
    enrolled = [{"id": run.subject_ids[s["id"]], "group": s["group"], "attributes": s.get("attributes") or {}}
                for s in run.facts.get("subjects") or []]
    period = await services.call("scoring", "POST", "/v1/periods", {
        "id": f"{run.scheme_id}-{label}"[:64], "scheme_id": run.scheme_id, "scheme_version": version,
        "label": label, "owner_path": run.unit_path, "subjects": enrolled})
    run.period_id = period["id"]
    await services.call("scoring", "POST", f"/v1/periods/{run.period_id}/status", {"status": "collecting"})


async def _evidence(run: SchemeRun, services: Services, facts: list[dict[str, Any]],
                    advance: Callable[[], None]) -> None:
    """Every sample fact through its own channel: journals, rating tasks, or a submission approved by its
    reviewer."""
    votes = [fact for fact in facts if is_task_rating(fact)]
    weeks = [fact for fact in facts if fact["fact"] == "journal"]
    others = [fact for fact in facts if fact["fact"] != "journal" and not is_task_rating(fact)]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(fact: dict[str, Any]) -> None:
        async with gate:
            submission = await services.call("evidence", "POST", "/v1/submissions", _submission(run, fact))
            await services.call("evidence", "POST", f"/v1/submissions/{submission['id']}/decisions",
                                {"action": "approve", "version": submission["version"]}, principal=REVIEWER)
            advance()

    await gather([one(fact) for fact in others])
    if votes:
        await rating_tasks(services, period_id=run.period_id, scope=run.unit_path, facts=votes,
                           subject_ids=run.subject_ids, unit_paths=run.unit_paths, scales=_scales(run.document),
                           tag=run.tag, mutual=not run.person, advance=advance)
    if weeks:
        await journals(services, period_id=run.period_id, facts=weeks, subject_ids=run.subject_ids,
                       now=clock.now(), advance=advance)


def _scales(document: dict[str, Any]) -> dict[str, list[str]]:
    """The grades of each rating leaf, best first, as its scale lists them."""
    out: dict[str, list[str]] = {}
    stack = list(document.get("indicators") or [])
    while stack:
        node = stack.pop()
        stack.extend(node.get("children") or [])
        rule = node.get("rule") or {}
        if rule.get("kind") == "rating" and isinstance(rule.get("scale"), dict):
            out[node["code"]] = list(rule["scale"])
    return out


def _submission(run: SchemeRun, fact: dict[str, Any]) -> dict[str, Any]:
    content = {k: v for k, v in fact.items() if k not in ("id", "subject", "indicator", "fact")}
    if "participants" in content:
        content["participants"] = [run.subject_ids.get(p, p) for p in content["participants"]]
    justification = f"示例材料 {fact['id']}"
    if fact["fact"] != "score" and "note" in content:  # §4 gives `note` to score facts only
        justification += f":{content.pop('note')}"
    body = {"period_id": run.period_id, "subject_id": run.subject_ids[fact["subject"]], "fact": fact["fact"],
            "content": content, "justification": justification}
    if fact.get("indicator"):
        body["indicator"] = fact["indicator"]
    return body


async def _settle_and_show(run: SchemeRun, services: Services, publish_days: int, wait_seconds: float) -> None:
    expected = _offline(run)
    with console.status(localize(_("waiting for the results of %(title)s (evidence → scoring → ranking)…",
                                   title=run.title))):
        table, run.matches = await _wait_for_results(run, services, expected, wait_seconds)
    await _show(run, services, table, publish_days)


async def _show(run: SchemeRun, services: Services, table: list[dict[str, Any]], publish_days: int) -> None:
    """Publish (公示) the period and print its table with the verdict against the offline engine."""
    await services.call("ranking", "POST", f"/v1/periods/{run.period_id}/publication",
                        {"working_days": publish_days})
    period = await services.call("ranking", "GET", f"/v1/periods/{run.period_id}")
    _print_table(run, table, period)
    if run.matches:
        verdict = Text(localize(_("the same as the offline engine's (kaohe evaluate)")), style="green")
    else:
        verdict = Text(localize(_("not the same as the offline engine's (see the period's problems)")), style="yellow")
    closes = shown_deadline(datetime.fromisoformat(period["publication_ends_at"]))  # the office's local day
    ends = localize(_("; published (公示) until %(ends)s", ends=closes))
    console.print(Text.assemble("  ", verdict, ends, "\n"))


def _offline(run: SchemeRun) -> list[tuple[Any, ...]]:
    """What the pure engine gives on the same sample files, keyed by the stack's subject ids."""
    from kaohe.engine import evaluate

    result = evaluate(run.document, run.facts)
    return sorted(_key(run.subject_ids.get(s["id"], s["id"]), s) for s in result["subjects"])


def _key(subject_id: str, entry: dict[str, Any]) -> tuple[Any, ...]:
    return (subject_id, entry["total"], entry["rank"], entry["grade"], tuple(entry["labels"]))


async def _wait_for_results(
    run: SchemeRun, services: Services, expected: list[tuple[Any, ...]], wait_seconds: float
) -> tuple[list[dict[str, Any]], bool]:
    """Poll ranking until its table equals the offline result, or scoring and ranking stop moving."""
    deadline, last, steady = time.monotonic() + wait_seconds, None, 0
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        items = await _table(run, services)
        if sorted(_key(i["subject_id"], i) for i in items) == expected:
            return items, True
        period = await services.call("scoring", "GET", f"/v1/periods/{run.period_id}")
        ranked = await services.call("ranking", "GET", f"/v1/periods/{run.period_id}", ok=(404,))
        state = (period.get("score_set"), period.get("recompute_pending"), (ranked or {}).get("inputs_sha256"))
        settled = not period.get("recompute_pending") and ranked is not None and "error" not in ranked \
            and ranked.get("inputs_sha256") == period.get("inputs_sha256")
        steady = steady + 1 if settled and state == last else 0
        last = state
        if steady >= 3:
            return items, False
    raise DemoError(_("no settled results for period %(period)s after %(seconds)s s", period=run.period_id,
                      seconds=format(wait_seconds, ".0f")))


async def _table(run: SchemeRun, services: Services) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = await services.call("ranking", "GET",
                                   f"/v1/periods/{run.period_id}/ranking?offset={len(items)}&limit=500", ok=(404,))
        if not page or "items" not in page:
            return items
        items += page["items"]
        if len(items) >= page["total_count"] or not page["items"]:
            return items


def _print_table(run: SchemeRun, items: list[dict[str, Any]], period: dict[str, Any]) -> None:
    table = Table(title=f"{run.title} · {period['label']}", title_style="bold")
    for header in TABLE_HEADERS:
        table.add_column(translate(header), justify="right" if header in (N_("Rank"), N_("Total")) else "left")
    graded = any(item["band_grade"] or item["grade"] for item in items)
    previous_group = None
    for item in items:
        if previous_group is not None and item["group"] != previous_group:
            table.add_section()
        previous_group = item["group"]
        grade = (item["grade"] or translate(NO_GRADE)) if graded else "—"
        if item["grade_reason"]:
            grade += parenthesized(grade_reason(item["grade_reason"]) or item["grade_reason"])
        rewards = separated(f"{k} {v}" for k, v in item["rewards"].items() if v != "0.00")
        table.add_row("—" if item["rank"] is None else str(item["rank"]), item["name"] or item["subject_id"],
                      item["group"], item["total"], grade, "、".join(item["labels"]) or "—", rewards or "—")
    console.print(table)
