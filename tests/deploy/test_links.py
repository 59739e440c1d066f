"""The documentation stays inside the repository (issue 22): docs/*.md, README.md, the GraphQL schema's
descriptions and the OpenAPI summaries and descriptions of the gateway and the services link only to files and
headings that exist here, never to the specification folder beside the repository (`../shared`) or to an absolute
path, and to the web only for the standards they follow or for placeholder hosts of examples."""

from __future__ import annotations

import importlib
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]

# the standards kaohe follows, which a reader may need to read beside the repository
# (Standard Webhooks is named in words: docs/api.md, newcomer probe)
STANDARDS = (
    "https://graphql.github.io/graphql-over-http/", "https://spec.graphql.org/",
    "https://datatracker.ietf.org/doc/html/rfc",
    "https://www.rfc-editor.org/rfc/", "https://ecma-international.org/",  # ECMA-404, JSON
)
# hosts that stand for "yours" in an example: this machine, a placeholder, a domain reserved for examples
EXAMPLE_HOSTS = re.compile(r"^(localhost|127\.0\.0\.1|host|x|([\w-]+\.)*example(\.[a-z.]+)?)$", re.I)

URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s)<>`\"'|]+", re.I)
MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
# the specification folder beside the repository, and the machine it was written on
OUTSIDE = re.compile(r"\.\./shared|/work/|(?<![\w/.-])shared/(?:spec|seeds)\b")
MARKDOWN_FILES = {path.name for path in ROOT.rglob("*.md") if ".venv" not in path.parts and ".git" not in path.parts}
MD_NAME = re.compile(r"(?<![\w/.-])([\w-]+\.md)\b")  # a document named without its folder, e.g. `identity.md`
REPO_PATH = re.compile(r"(?<![\w/.-])((?:docs|examples|gateway|services|kaohe|migrations|docker|bench|scripts|tests)"
                       r"/[\w./-]*\w)")


def url_problem(url: str) -> str | None:
    """Why a web address in the documentation is not allowed, or None. Other schemes in the text are settings
    and examples (`s3://bucket`, `postgresql://…`, the `file:///etc/passwd` of an attack a test makes); as a
    link's target they are refused (`link_problems`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return None
    if any(url.startswith(standard) for standard in STANDARDS) or EXAMPLE_HOSTS.match(parts.hostname or ""):
        return None
    return "a web link that is not a standard kaohe follows"


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped (letters of any script, digits,
    `-` and `_` kept), each space a hyphen."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    counts: dict[str, int] = {}
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        match = None if in_code else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            base = slug(match.group(1))
            n = counts.get(base, 0)
            counts[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def link_problems(doc: Path, text: str | None = None) -> list[str]:
    """Every link of a Markdown file (or of `text` as if it were that file) that leaves the repository or leads
    nowhere, with its line."""
    problems = []
    lines = (doc.read_text(encoding="utf-8") if text is None else text).splitlines()
    for number, line in enumerate(lines, start=1):
        where = f"{doc.relative_to(ROOT)}:{number}"
        problems.extend(f"{where}: names a document the repository does not have: {name}"
                        for name in MD_NAME.findall(line) if name not in MARKDOWN_FILES)
        if OUTSIDE.search(line):
            problems.append(f"{where}: points outside the repository: {OUTSIDE.search(line).group(0)!r}")  # type: ignore[union-attr]
        for url in URL.findall(line):
            if (why := url_problem(url)) is not None:
                problems.append(f"{where}: {why}: {url}")
        for target in MARKDOWN_LINK.findall(line):
            if URL.match(target) and urlsplit(target).scheme in ("http", "https"):
                continue  # checked above
            if URL.match(target) or target.startswith("/"):
                problems.append(f"{where}: an absolute path or a file outside the repository: {target}")
                continue
            file_part, _, anchor = target.partition("#")
            linked = (doc.parent / file_part).resolve() if file_part else doc
            if not linked.is_relative_to(ROOT):
                problems.append(f"{where}: leaves the repository: {target}")
            elif not linked.exists():
                problems.append(f"{where}: no such file: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                problems.append(f"{where}: no such heading: {target}")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_link_only_inside_the_repository(doc: Path) -> None:
    assert link_problems(doc) == []


def _api_texts() -> list[tuple[str, str]]:
    """(where, text) of every description the GraphQL schema and the OpenAPI documents carry."""
    from gateway.app import create_app
    from gateway.schema import build_schema

    texts: list[tuple[str, str]] = []
    schema = build_schema()._schema
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        texts.append((name, kind.description or ""))
        for field_name, field in getattr(kind, "fields", {}).items():
            texts.append((f"{name}.{field_name}", field.description or ""))
            for arg_name, argument in getattr(field, "args", {}).items():
                texts.append((f"{name}.{field_name}({arg_name})", argument.description or ""))
        for value_name, value in getattr(kind, "values", {}).items():
            texts.append((f"{name}.{value_name}", value.description or ""))
    apps: dict[str, Any] = {"gateway": create_app()}
    apps.update({s: importlib.import_module(f"services.{s}.app").app for s in ("evidence", "scoring", "ranking")})
    for app_name, app in apps.items():
        spec = app.openapi()
        for path, operations in spec["paths"].items():
            for method, op in operations.items():
                where = f"{app_name} {method.upper()} {path}"
                texts.append((where, f"{op.get('summary', '')} {op.get('description', '')}"))
                texts.extend((f"{where} {status}", r.get("description", "")) for status, r in op["responses"].items())
        for scheme in spec.get("components", {}).get("securitySchemes", {}).values():
            texts.append((f"{app_name} security", scheme.get("description", "")))
        for model_name, model in spec.get("components", {}).get("schemas", {}).items():
            texts.append((f"{app_name} {model_name}", model.get("description", "")))
            texts.extend((f"{app_name} {model_name}.{prop}", str(value.get("description", "")))
                         for prop, value in model.get("properties", {}).items())
    return texts


def test_api_descriptions_link_only_inside_the_repository() -> None:
    """The schema's and the OpenAPI documents' texts: no link outside the repository, and every repository path
    they name (docs/scheme-reference.md, gateway/schema.graphql…) exists."""
    problems = []
    texts = _api_texts()
    for where, text in texts:
        if OUTSIDE.search(text):
            problems.append(f"{where}: points outside the repository")
        problems.extend(f"{where}: {why}: {url}" for url in URL.findall(text) if (why := url_problem(url)))
        problems.extend(f"{where}: no such file: {path}" for path in REPO_PATH.findall(text)
                        if not (ROOT / path.split("#")[0]).exists())
        problems.extend(f"{where}: names a document the repository does not have: {name}"
                        for name in MD_NAME.findall(text) if name not in MARKDOWN_FILES)
    print("API texts checked:", len(texts))
    assert problems == []


@pytest.mark.parametrize(("text", "problem"), [
    ("see ../shared/spec/architecture.md", "outside"),
    ("the seeds in shared/seeds", "outside"),
    ("[spec](/work/shared/spec/style.md)", "outside"),
    ("[local](/etc/kaohe/settings.md)", "absolute"),
    ("[local](file:///srv/kaohe/README.md)", "absolute"),
    ("[spec](../../elsewhere.md)", "leaves"),
    ("[nothing](missing.md)", "no such file"),
    ("[a heading](api.md#no-such-heading-here)", "no such heading"),
    ("the facts of `scheme-format.md` §4", "does not have"),
    ("<https://cdn.jsdelivr.net/npm/graphiql>", "standard"),
    ("[guide](api.md) [spec](https://graphql.github.io/graphql-over-http/draft/) http://127.0.0.1:8000/graphql", ""),
])
def test_the_checks_find_what_they_look_for(text: str, problem: str) -> None:
    """Each kind of link the checks refuse is refused, and the allowed ones pass (as a file beside docs/api.md)."""
    found = link_problems(ROOT / "docs" / "check.md", text)
    assert (problem in " ".join(found)) if problem else found == [], found
