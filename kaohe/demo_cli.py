"""`kaohe demo`: a synthetic city driven through the running services' HTTP APIs, end to end.

For each sample scheme in `examples/schemes/` (`--scheme all`: every one) it creates the units and
staff (Chinese names from the sample facts), publishes the scheme in scoring, opens a period with its
groups and attributes, sets a one-level review chain in evidence, and sends every sample fact through
the endpoint an office would use (demo_channels.py): evidence submissions approved by the reviewer,
rating tasks answered rater by rater, journals week by week.
The approved facts then travel evidence → scoring → ranking through the outboxes; the demo waits
for ranking's results, checks them against the offline engine, publishes them (公示) and prints
each period's ranking table; it exits 1 when a period's ranking differs from the offline engine's.
It never writes a table directly.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kaohe.demo_channels import gather, is_task_rating, journals, rating_tasks
from kaohe.i18n import _, localize
from services.common import clock
from services.common.auth import ROLES, SERVICE_TOKEN_AUDIENCE, SERVICE_TOKEN_ISSUER, Grant, Principal
from services.common.peers import peer_client
from services.common.settings import Settings
from services.ranking.exports.service import grade_reason

# the source tree's samples; an installed image carries them in its prefix (docker/Dockerfile)
EXAMPLES = next((p for p in (Path(__file__).resolve().parent.parent / "examples" / "schemes",
                             Path(sys.prefix) / "share" / "kaohe" / "schemes") if p.is_dir()),
                Path(__file__).resolve().parent.parent / "examples" / "schemes")
DEFAULT_SCHEMES = (
    "000-1-community-quarterly",
    "001-7-procuratorate-office",
    "003-1-meiling-staff-quarterly",
    "003-15-office-staff-quarterly",
)
CITY = ("city", "示范市")
DEMO_PRINCIPAL = Principal(subject="demo-office", grants=tuple(Grant(role, "") for role in ROLES))
CONCURRENCY = 8
SCHEMES_AT_ONCE = 3  # schemes loaded side by side: one scheme's facts wait on its own review and outbox steps
console = Console()


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
        response = await self.http.request(method, f"{self.urls[service]}{path}", json=body,
                                           headers={"Authorization": f"Bearer {token}"})
        if response.status_code >= 300 and response.status_code not in ok:
            raise DemoError(f"{service} {method} {path} → {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    async def close(self) -> None:
        await self.http.aclose()


def register(app: typer.Typer) -> None:
    """Add `kaohe demo` to the root command."""
    app.command("demo")(demo)


def demo(
    scheme: Annotated[list[str] | None, typer.Option(
        "--scheme", "-s", help="Sample scheme file stem in examples/schemes (repeatable), or `all`.")] = None,
    subjects: Annotated[int | None, typer.Option(
        help="At most this many subjects of each group per scheme (with their facts), for a quick run.")] = None,
    publish_days: Annotated[int, typer.Option(help="Working days of the publication (公示).")] = 5,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each period's results.")] = 180.0,
) -> None:
    """Load sample schemes with a synthetic city into the running stack; compute, publish, print rankings."""
    from services.common.settings import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"kaohe: {exc}", err=True)
        raise typer.Exit(2) from None
    stems = list(scheme or DEFAULT_SCHEMES)
    if "all" in stems:
        stems = all_stems()
    run_demo(settings, stems, publish_days=publish_days, wait_seconds=timeout, subjects_per_group=subjects)


def all_stems() -> list[str]:
    """Every example scheme that runs from facts (roll-ups need finalized sub-periods: left out, said so)."""
    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        if yaml.safe_load(path.read_text(encoding="utf-8")).get("rollup"):
            typer.echo(localize(_("kaohe demo: %(stem)s is a roll-up of finalized periods; not run here",
                                  stem=path.stem)), err=True)
        elif (EXAMPLES / f"{path.stem}.facts.json").exists():
            out.append(path.stem)
    return out


def run_demo(settings: Settings, stems: Sequence[str], *, publish_days: int = 5, wait_seconds: float = 180.0,
             subjects_per_group: int | None = None) -> None:
    """Run the demo against the stack `settings` describe (for `kaohe demo`, or `kaohe up --demo` once ready)."""
    from kaohe.stack import service_token_secret
    from services.common.settings import SERVICES

    runs = [_load_sample(stem, subjects_per_group) for stem in stems]
    urls: dict[str, str] = {name: settings.service_base_url(name) for name in SERVICES}
    try:
        asyncio.run(_run(runs, Services(urls, service_token_secret(settings)), publish_days, wait_seconds))
    except (DemoError, httpx.HTTPError) as exc:
        typer.echo(f"kaohe demo: {exc}", err=True)
        typer.echo(localize(_("is the stack running (`kaohe up`) with the same KAOHE_* settings?")), err=True)
        raise typer.Exit(1) from None
    differing = [run.stem for run in runs if not run.matches]
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
    if document.get("rollup"):
        typer.echo(localize(_("kaohe demo: %(stem)s is a roll-up scheme; it needs finalized sub-periods", stem=stem)),
                   err=True)
        raise typer.Exit(2)
    facts = json.loads(facts_path.read_text(encoding="utf-8"))
    if subjects_per_group is not None:
        facts = reduced(facts, subjects_per_group)
    earlier = [f for f in facts.get("facts") or [] if "period" in f and f["period"] != facts.get("period")]
    if earlier:
        # a look-back leaf (docs/scheme-reference.md §3.5) reads earlier periods' facts offline; the services do
        # not read earlier periods yet, so both sides are computed without them
        typer.echo(localize(_("kaohe demo: %(stem)s: %(earlier_count)s facts of earlier periods left out (the "
                              "services do not read look-back windows yet)", stem=stem, earlier_count=len(earlier))),
                   err=True)
        facts = {**facts, "facts": [f for f in facts.get("facts") or [] if f not in earlier]}
    return SchemeRun(stem, document, facts, tag=secrets.token_hex(3))


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


async def _run(runs: list[SchemeRun], services: Services, publish_days: int, wait_seconds: float) -> None:
    try:
        await services.call("scoring", "POST", "/v1/units", {"id": f"city-{runs[0].tag}", "name": CITY[1],
                                                            "slug": f"{CITY[0]}-{runs[0].tag}"})
        root = f"city-{runs[0].tag}"
        schemes_at_once = asyncio.Semaphore(SCHEMES_AT_ONCE)

        async def load(number: int, run: SchemeRun) -> None:
            async with schemes_at_once:
                await _load_run(run, services, progress, root=root, number=number)

        with _progress() as progress:
            await gather([load(number, run) for number, run in enumerate(runs, start=1)])
        for run in runs:
            await _settle_and_show(run, services, publish_days, wait_seconds)
    finally:
        await services.close()


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console)


async def _load_run(run: SchemeRun, services: Services, progress: Progress, *, root: str, number: int) -> None:
    subjects = run.facts.get("subjects") or []
    task = progress.add_task(f"{run.title[:24]}: 单位与人员", total=len(subjects) + 1)
    await _organisation(run, services, root=root, number=number, advance=lambda: progress.advance(task))
    await _scheme_and_period(run, services)
    facts = run.facts.get("facts") or []
    progress.update(task, description=f"{run.title[:24]}: 提交并审核材料", total=len(facts), completed=0)
    await _evidence(run, services, facts, advance=lambda: progress.advance(task))


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


async def _scheme_and_period(run: SchemeRun, services: Services) -> None:
    """Publish the scheme under a run-unique id and open its period with every subject enrolled."""
    document = {**run.document, "id": f"{run.document['id']}-{run.tag}"}
    draft = await services.call("scoring", "POST", "/v1/schemes", {"document": document, "owner_path": run.unit_path})
    run.scheme_id = draft["scheme_id"]
    await services.call("scoring", "POST", f"/v1/schemes/{run.scheme_id}/versions/{draft['version']}/publish",
                        {"revision": draft["revision"]})
    label = str(run.facts.get("period") or "2026")
    enrolled = [{"id": run.subject_ids[s["id"]], "group": s["group"], "attributes": s.get("attributes") or {}}
                for s in run.facts.get("subjects") or []]
    period = await services.call("scoring", "POST", "/v1/periods", {
        "id": f"{run.scheme_id}-{label}"[:64], "scheme_id": run.scheme_id, "scheme_version": draft["version"],
        "label": label, "owner_path": run.unit_path, "subjects": enrolled})
    run.period_id = period["id"]
    await services.call("scoring", "POST", f"/v1/periods/{run.period_id}/status", {"status": "collecting"})
    await services.call("evidence", "PUT", f"/v1/schemes/{run.scheme_id}/review-chains",
                        {"levels": [{"name": "科室负责人", "working_days": 3}]})


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
                                {"action": "approve", "version": submission["version"]})
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
    with console.status(f"等待 {run.title} 的计算结果 (evidence → scoring → ranking)…"):
        table, matches = await _wait_for_results(run, services, expected, wait_seconds)
    await services.call("ranking", "POST", f"/v1/periods/{run.period_id}/publication",
                        {"working_days": publish_days})
    period = await services.call("ranking", "GET", f"/v1/periods/{run.period_id}")
    _print_table(run, table, period)
    run.matches = matches
    verdict = "[green]与离线引擎 (kaohe evaluate) 结果一致[/green]" if matches else \
        "[yellow]与离线引擎结果不一致 (see the period's problems)[/yellow]"
    console.print(f"  {verdict}; 公示至 {period['publication_ends_at']}\n")


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
    raise DemoError(f"no settled results for period {run.period_id} after {wait_seconds:.0f} s")


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
    for header in ("名次", "名称", "组别", "总分", "等次", "标签", "奖励"):
        table.add_column(header, justify="right" if header in ("名次", "总分") else "left")
    graded = any(item["band_grade"] or item["grade"] for item in items)
    previous_group = None
    for item in items:
        if previous_group is not None and item["group"] != previous_group:
            table.add_section()
        previous_group = item["group"]
        grade = (item["grade"] or "不定等次") if graded else "—"  # 003 "不确定等次"
        if item["grade_reason"]:
            grade += f" ({grade_reason(item['grade_reason']) or item['grade_reason']})"
        rewards = "; ".join(f"{k} {v}" for k, v in item["rewards"].items() if v != "0.00")
        table.add_row("—" if item["rank"] is None else str(item["rank"]), item["name"] or item["subject_id"],
                      item["group"], item["total"], grade, "、".join(item["labels"]) or "—", rewards or "—")
    console.print(table)
