"""Messages in Chinese and English (issue 22): the catalogue is complete and current, each request answers in
the language its `Accept-Language` asks for (else KAOHE_DEFAULT_LOCALE), and the error code stays the same."""

from __future__ import annotations

import ast
import copy
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kaohe import catalogue
from kaohe.i18n import Text, _, locale_tag, locale_var, localize, negotiate, use_locale
from services.common.peers import peer_client
from services.common.settings import get_settings
from tests.conftest import auth
from tests.gateway.conftest import open_gateway
from tests.gateway.fakes import FakeBackend

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("header", "expected"), [
    (None, "zh-CN"),
    ("", "zh-CN"),
    ("en", "en"),
    ("en-GB,en;q=0.9", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
    ("zh", "zh-CN"),
    ("zh-Hans-CN", "zh-CN"),
    ("zh-TW", "zh-CN"),  # the one Chinese kaohe writes is simplified
    ("fr-FR,en;q=0.5,zh;q=0.4", "en"),  # the first language it speaks, by q-value
    ("zh;q=0.3,en;q=0.7", "en"),
    ("en;q=0,zh;q=0.1", "zh-CN"),  # q=0: not acceptable
    ("de, fr", "zh-CN"),  # none spoken: the default
    ("*", "zh-CN"),
    ("en;q=abc", "zh-CN"),  # a malformed q counts as 0
])
def test_negotiation(header: str | None, expected: str) -> None:
    assert negotiate(header, "zh-CN") == expected


def test_the_default_is_used_for_what_is_not_spoken() -> None:
    assert negotiate("de", "en") == "en"
    assert negotiate(None, "en") == "en"


@pytest.mark.parametrize(("value", "expected"), [
    ("zh_CN.UTF-8", "zh-CN"), ("en_US.UTF-8", "en"), ("C.UTF-8", None), ("", None), (None, None), ("zh", "zh-CN")])
def test_locale_tags(value: str | None, expected: str | None) -> None:
    assert locale_tag(value) == expected


def test_the_catalogue_is_current_and_every_message_has_a_chinese_translation() -> None:
    """Extract the marked messages of the code (pybabel's extractor) and compare them with the committed template;
    every message has a zh_CN translation whose placeholders are the English one's."""
    assert catalogue.problems() == []
    counts = catalogue.counts()
    assert counts["zh-CN"] == counts["messages"] > 0


def test_a_missing_translation_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a zh_CN file with one translation taken out is reported."""
    po = catalogue.read(catalogue.po_path("zh-CN"), "zh_CN")
    first = next(message for message in po if message.id)
    first.string = ""
    fake = tmp_path / "zh_CN" / "LC_MESSAGES" / "messages.po"
    fake.parent.mkdir(parents=True)
    fake.write_bytes(catalogue.render(po))
    monkeypatch.setattr(catalogue, "po_path", lambda locale: fake if locale == "zh-CN" else catalogue.CATALOGUE
                        / locale / "LC_MESSAGES" / "messages.po")
    assert catalogue.problems() == [f"zh-CN: not translated: {first.id!r}"]


def test_translations_are_taken_from_another_copy_of_the_catalogue(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`catalogue take` (after a rebase lost a branch's translations): an untranslated message gets the other file's
    translation, and the file is written as `update` writes it."""
    committed = catalogue.po_path("zh-CN").read_bytes()
    po = catalogue.read(catalogue.po_path("zh-CN"), "zh_CN")
    first = next(message for message in po if message.id)
    chinese, first.string = first.string, ""
    files = {locale: tmp_path / locale / "messages.po" for locale in ("zh-CN", "en")}
    for path in files.values():
        path.parent.mkdir()
    files["zh-CN"].write_bytes(catalogue.render(po))
    files["en"].write_bytes(catalogue.po_path("en").read_bytes())
    monkeypatch.setattr(catalogue, "po_path", files.__getitem__)
    monkeypatch.setattr(catalogue, "TEMPLATE", tmp_path / "messages.pot")
    assert catalogue.read(files["zh-CN"], "zh_CN")[first.id].string == ""
    other = tmp_path / "branch.po"
    other.write_bytes(committed)
    assert catalogue.main(["take", "zh-CN", str(other)]) == 0
    assert catalogue.read(files["zh-CN"], "zh_CN")[first.id].string == chinese
    assert files["zh-CN"].read_bytes() == committed


def test_a_message_renders_in_either_language_with_its_parameters() -> None:
    message = _("internal error; see the %(process)s log", process="gateway")
    assert isinstance(message, Text)
    assert message == "internal error; see the gateway log"  # the English value, wherever it is read as a str
    assert localize(message, "zh-CN") == "内部错误，请查看 gateway 日志"
    assert localize(message, "en") == "internal error; see the gateway log"
    assert localize("not marked", "zh-CN") == "not marked"
    nested = _("line %(line)s: %(reason)s", line=3, reason=_("a NUL character"))
    assert localize(nested, "zh-CN") == "第 3 行：含有 NUL 字符"  # a marked parameter is translated too
    for copied in (copy.deepcopy(nested), pickle.loads(pickle.dumps(nested))):
        assert (copied, localize(copied, "zh-CN")) == ("line 3: a NUL character", "第 3 行：含有 NUL 字符")
    token = locale_var.set("zh-CN")
    try:
        assert localize(message) == "内部错误，请查看 gateway 日志"
    finally:
        locale_var.reset(token)


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
          ast.GeneratorExp)


def _own_scope(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function body, not those of the functions and comprehensions inside (their own scopes)."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, SCOPES):
            yield from _own_scope(child)


def _binds_underscore(node: ast.AST) -> bool:
    """Whether a function binds `_` itself (a parameter, an assignment, a loop), which would hide the marker."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        args = node.args
        names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        if "_" in names:
            return True
    return any(isinstance(inner, ast.Name) and inner.id == "_" and isinstance(inner.ctx, ast.Store)
               for inner in _own_scope(node))


def _calls_underscore(node: ast.AST) -> bool:
    return any(isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "_"
               for inner in ast.walk(node))


def _python_files() -> Iterator[Path]:
    for package in catalogue.SOURCES:
        yield from (ROOT / package).rglob("*.py")


def test_no_function_that_marks_messages_hides_the_marker() -> None:
    """`_` is the gettext marker; a function that also names a variable `_` would call that instead."""
    hiding = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and _binds_underscore(node) \
                    and _calls_underscore(node):
                hiding.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert hiding == []


@pytest.fixture
def default_locale(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`set("zh-CN")` makes that the default of this test's requests (KAOHE_DEFAULT_LOCALE)."""

    def choose(locale: str) -> None:
        monkeypatch.setenv("KAOHE_DEFAULT_LOCALE", locale)
        get_settings.cache_clear()

    yield choose
    get_settings.cache_clear()


async def test_a_service_answers_in_the_language_asked_for(api: Any, default_locale: Any) -> None:
    client = await api("evidence")
    chinese = await client.get("/v1/no-such-route", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    english = await client.get("/v1/no-such-route", headers={"Accept-Language": "en-US"})
    assert chinese.status_code == english.status_code == 404
    assert chinese.json() == {"error": {"code": "not_found", "message": "请求的地址不存在", "details": None}}
    assert english.json() == {"error": {"code": "not_found", "message": "Not Found", "details": None}}
    default_locale("zh-CN")
    assert (await client.get("/v1/no-such-route")).json()["error"]["message"] == "请求的地址不存在"
    default_locale("en")
    assert (await client.get("/v1/no-such-route")).json()["error"]["message"] == "Not Found"


async def test_an_answer_names_its_language_and_varies_with_the_header(api: Any) -> None:
    """A cache must not serve one reader's language to another: every answer says its language and that it
    depends on Accept-Language."""
    client = await api("evidence")
    for header, language in (("zh-CN,zh;q=0.9", "zh-CN"), ("en-GB", "en"), ("de", "en")):  # the tests' default: en
        answer = await client.get("/v1/no-such-route", headers={"Accept-Language": header})
        assert answer.headers["content-language"] == language
        assert "accept-language" in answer.headers["vary"].lower()


async def test_the_gateway_answers_in_the_language_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_gateway(monkeypatch, FakeBackend(), KAOHE_DEFAULT_LOCALE="zh-CN") as gateway:
        chinese = await gateway.get("/no-such-route")
        english = await gateway.get("/no-such-route", headers={"Accept-Language": "en"})
    assert chinese.status_code == english.status_code == 404
    assert chinese.json() == {"errors": [{"message": "请求的地址不存在",
                                          "extensions": {"code": "NOT_FOUND", "reason": "not_found"}}]}
    assert english.json() == {"errors": [{"message": "Not Found",
                                          "extensions": {"code": "NOT_FOUND", "reason": "not_found"}}]}


async def test_calls_to_other_processes_carry_the_callers_language() -> None:
    seen: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("accept-language"))
        return httpx.Response(200, json={})

    async with peer_client(timeout=httpx.Timeout(5.0), base_url="http://peer",
                           transport=httpx.MockTransport(handle)) as http:
        await http.get("/v1/x")  # outside a request: nothing to pass on
        token = locale_var.set("zh-CN")
        try:
            await http.get("/v1/x")
            await http.get("/v1/x", headers={"Accept-Language": "en"})  # a caller's own choice stands
        finally:
            locale_var.reset(token)
    assert seen == [None, "zh-CN", "en"]


async def test_a_domain_error_of_a_service_in_both_languages(api: Any, default_locale: Any) -> None:
    """A refusal raised deep in a service (scoring's period lookup) keeps its code; only the message changes."""
    client = await api("scoring")
    office = auth(("admin", ""))
    chinese = await client.get("/v1/periods/2026-Q9", headers={**office, "Accept-Language": "zh-CN"})
    english = await client.get("/v1/periods/2026-Q9", headers={**office, "Accept-Language": "en"})
    assert chinese.status_code == english.status_code == 404
    assert chinese.json() == {"error": {"code": "not_found", "message": "未找到考核周期 2026-Q9", "details": None}}
    assert english.json() == {"error": {"code": "not_found", "message": "period 2026-Q9 not found", "details": None}}
    default_locale("zh-CN")
    default = await client.get("/v1/periods/2026-Q9", headers=office)
    assert default.json()["error"]["message"] == "未找到考核周期 2026-Q9"


async def test_a_gateway_refusal_in_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway's own refusal (no credentials) as a GraphQL error: same code, the message in the language."""
    query = {"query": "{ me { subject } }"}
    async with open_gateway(monkeypatch, FakeBackend(), KAOHE_DEFAULT_LOCALE="zh-CN") as gateway:
        default = await gateway.post("/graphql", json=query)
        english = await gateway.post("/graphql", json=query, headers={"Accept-Language": "en-US,en;q=0.9"})
        chinese = await gateway.post("/graphql", json=query, headers={"Accept-Language": "zh-CN"})
        not_json = await gateway.post("/graphql", content=b"{", headers={"Content-Type": "application/json"})
    assert default.status_code == english.status_code == chinese.status_code == 401
    messages = [r.json()["errors"][0]["message"] for r in (default, english, chinese)]
    assert messages == ["请先登录：发送 Bearer 令牌或 API 密钥", "sign in: send a bearer token or an API key",
                        "请先登录：发送 Bearer 令牌或 API 密钥"]
    assert {str(r.json()["errors"][0]["extensions"]) for r in (default, english, chinese)} == {
        str({"code": "UNAUTHENTICATED", "reason": "not_authenticated"})}
    assert not_json.status_code == 400
    assert not_json.json()["errors"][0]["message"] == "请求体不是有效的 JSON（第 1 行第 2 列）：应为双引号括起的属性名"
    assert not_json.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "reason": "invalid_json"}


def _marked_in_code() -> Iterator[tuple[str, int, ast.expr | None]]:
    """(file, line, first argument) of every `_()` and `N_()` call in the code."""
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_"):
                yield f"{path.relative_to(ROOT)}", node.lineno, node.args[0] if node.args else None


def test_every_marked_message_is_in_the_catalogue() -> None:
    """A message the extractor cannot see (marked inside an f-string, or with a variable instead of a literal)
    would never be translated: every `_()` of the code holds a literal that the template has."""
    template = {message.id for message in catalogue.read(catalogue.TEMPLATE) if message.id}
    unseen = [f"{where}:{line}" for where, line, first in _marked_in_code()
              if not (isinstance(first, ast.Constant) and first.value in template)]
    assert unseen == []
    assert len(template) >= 300  # what the code marks today (errors, exports, CLI lines)


@pytest.fixture
def cli_language() -> Iterator[None]:
    yield
    use_locale(None)  # the CLI sets the language of the whole process


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--lang", "zh-CN"], {}, "kaohe: 未知的服务 'nope'；可选：evidence、scoring、ranking"),
    (["--lang", "en"], {}, "kaohe: unknown service 'nope'; choose from evidence, scoring, ranking"),
    ([], {"KAOHE_DEFAULT_LOCALE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"},
     "kaohe: 未知的服务 'nope'；可选：evidence、scoring、ranking"),
    ([], {"KAOHE_DEFAULT_LOCALE": "", "LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"},
     "kaohe: unknown service 'nope'; choose from evidence, scoring, ranking"),
    ([], {"KAOHE_DEFAULT_LOCALE": "zh-CN", "LANG": "en_US.UTF-8"},
     "kaohe: 未知的服务 'nope'；可选：evidence、scoring、ranking"),
])
def test_the_cli_speaks_the_language_asked_for(cli_language: None, monkeypatch: pytest.MonkeyPatch,
                                              args: list[str], env: dict[str, str], expected: str) -> None:
    """`--lang`, else KAOHE_DEFAULT_LOCALE when set, else the terminal's locale (LC_ALL before LANG)."""
    from typer.testing import CliRunner

    from kaohe.cli import app

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, [*args, "migrate", "--service", "nope"])
    assert result.exit_code == 2
    assert result.output.strip() == expected


def test_an_unknown_language_is_refused(cli_language: None) -> None:
    from typer.testing import CliRunner

    from kaohe.cli import app

    result = CliRunner().invoke(app, ["--lang", "fr", "migrate"])
    assert result.exit_code == 2
    assert "--lang 'fr'" in result.output


async def test_a_refused_payload_reads_in_both_languages(api: Any) -> None:
    """pydantic's reasons are translated by their kind; the English is pydantic's own sentence; `details` (for
    programs) keep pydantic's English reasons in both languages, while a reason of kaohe's own is in the language
    asked for there too (docs/decisions.md, "Error details in the reader's language")."""
    client = await api("scoring")
    office = auth(("admin", ""))
    cases = [({"slug": "a"}, "name: Field required", "name：必填"),
             ({"name": "甲街道", "slug": "a", "parent_id": "x" * 65},
              "parent_id: String should have at most 64 characters", "parent_id：最多 64 个字符"),
             # kaohe's own validator (services/common/names.py): its message, not pydantic's
             ({"name": "甲\x07街道", "slug": "a"},
              "name: contains a control character, U+0007, at position 2; names may not hold control, invisible "
              "or bidirectional characters",
              "name：第 2 个字符是控制字符（U+0007）；名称中不得含有控制字符、不可见字符或双向控制字符")]
    for body, english, chinese in cases:
        answers = {language: await client.post("/v1/units", json=body, headers={**office, "Accept-Language": language})
                   for language in ("en", "zh-CN")}
        assert {language: (r.status_code, r.json()["error"]["code"]) for language, r in answers.items()} == {
            "en": (422, "validation_error"), "zh-CN": (422, "validation_error")}
        assert answers["en"].json()["error"]["message"] == english
        assert answers["zh-CN"].json()["error"]["message"] == chinese
        field, english_reason = english.split(": ", 1)
        own_reason = chinese.split("：", 1)[1] if "control character" in english else english_reason
        assert answers["en"].json()["error"]["details"] == [{"field": field, "reason": english_reason}]
        assert answers["zh-CN"].json()["error"]["details"] == [{"field": field, "reason": own_reason}]


# Where the engine's problem sentences are made (issue 22): the argument that becomes a Problem's message, by the
# callee's name: its keyword, and its position when passed positionally (Checker.add(ptr, message), the scoring
# rules' bad(problems, fact, message) …). set.add takes one argument, Checker.add two.
PROBLEM_SINKS = {"Problem": ("message", 0), "add": (None, 1), "bad": (None, 2), "_fact_problem": (None, 2),
                 "ExpressionError": ("message", 0), "DocumentError": (None, 0), "DocumentLimit": ("sentence", 1)}


def _unmarked(node: ast.expr) -> bool:
    """A sentence written out in the code but not marked: a string literal, an f-string, one built with `+`, `%`
    or `.format`, or either branch of a conditional that is one (a `_()` call is marked)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _unmarked(node.left) or _unmarked(node.right)
    if isinstance(node, ast.IfExp):
        return _unmarked(node.body) or _unmarked(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return isinstance(node.func.value, ast.Constant | ast.JoinedStr)
    return False


def _unmarked_problems(source: str, where: str) -> list[str]:
    """`file:line` of every problem sentence in `source` that is not marked with `_()`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else \
            node.func.attr if isinstance(node.func, ast.Attribute) else None
        if name not in PROBLEM_SINKS or (name == "add" and len(node.args) != 2):
            continue
        keyword, position = PROBLEM_SINKS[name]
        given = [k.value for k in node.keywords if keyword is not None and k.arg == keyword]
        given += node.args[position:position + 1]
        if any(_unmarked(argument) for argument in given):
            found.append(f"{where}:{node.lineno}")
    return found


def test_every_problem_of_the_engine_is_a_marked_message() -> None:
    """The scheme checker's and the scoring engine's problems reach people (scheme_invalid details, the CLI's
    problem lines): none is an unmarked string literal or f-string in kaohe/engine."""
    unmarked = [line for path in sorted((ROOT / "kaohe" / "engine").rglob("*.py"))
                for line in _unmarked_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert unmarked == []


def test_the_problem_scan_finds_unmarked_sentences() -> None:
    source = '''
Problem(message=f"unknown subject {sid!r}", fact=fid)
Problem("facts must be a list")
c.add(ptr, "at least one indicator is needed here")
c.add(ptr, "the code " + code + " is used twice")
bad(problems, f, "a" if x else _("b"))
raise ExpressionError("division by zero", pos)
raise DocumentError("too large: {}".format(size))
seen.add("one argument: a set")
c.add(ptr, _("at least one indicator is needed here"))
Problem(message=reason, pointer=ptr)
'''
    assert _unmarked_problems(source, "x.py") == [f"x.py:{line}" for line in (2, 3, 4, 5, 6, 7, 8)]


# --- errors and answers built from unmarked text (issue 22: stored texts helper) -----------------------------------

SERVED = ("services", "gateway")  # the code whose errors reach an API client
# classes whose message reaches a client besides kaohe's DomainError family (found by inheritance below)
CLIENT_ERRORS = {"DomainError", "HTTPException", "StarletteHTTPException", "GraphQLError"}
# a pydantic validator's ValueError is a 422's reason; these modules raise it where no request reads it
VALUE_ERRORS_OUTSIDE_REQUESTS = {
    "services/common/settings.py": "settings, read at start-up (ConfigError in the run's language)",
    "services/common/embedded.py": "the embedded PostgreSQL of `kaohe up` (the CLI's)",
    "services/common/clock.py": "the test clock's file",
    "services/common/bounded.py": "a programming error (an Lru of no entries)",
    "services/common/notify.py": "an event type of kaohe's own code, read from its outbox",
    "services/evidence/attachments/storage.py": "a storage key kaohe computed; the storage URL setting",
    "services/evidence/webhooks/ssrf.py": "KAOHE_EVIDENCE_WEBHOOK_ALLOWED_NETWORKS, a setting",
}
VALUE_ERRORS = {"ValueError", "PydanticCustomError"}
# keys of an answer's body that hold a sentence for people
SENTENCE_KEYS = {"message", "note", "detail"}
# Apollo's persisted-query errors: clients match on these exact texts (docs/decisions.md, issue 22)
KEPT_AS_THEY_ARE = {"PersistedQueryNotFound", "PersistedQueryNotSupported"}


def _unmarked_text(node: ast.expr | None) -> bool:
    """A string literal, an f-string, or text built from one (+, %, .format, a conditional): not a `_()` message."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value not in KEPT_AS_THEY_ARE
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _unmarked_text(node.left) or _unmarked_text(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _unmarked_text(node.func.value)
    if isinstance(node, ast.IfExp):
        return _unmarked_text(node.body) or _unmarked_text(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(_unmarked_text(value) for value in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
        return True  # an exception's text as a str: English only, even when it was raised with a marked message
    return False


def _served_trees() -> list[tuple[str, ast.Module]]:
    return [(str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8")))
            for package in SERVED for path in sorted((ROOT / package).rglob("*.py"))]


def _client_errors(trees: list[tuple[str, ast.Module]]) -> set[str]:
    """The error classes of CLIENT_ERRORS and every class that derives from one, by name."""
    found, grown = set(CLIENT_ERRORS), True
    while grown:
        grown = False
        for _where, tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in found and any(
                        (base.id if isinstance(base, ast.Name) else getattr(base, "attr", None)) in found
                        for base in node.bases):
                    found.add(node.name)
                    grown = True
    return found


def _called(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)


def unmarked_client_texts(trees: list[tuple[str, ast.Module]]) -> list[str]:
    """`file:line: what` for each error raised, or answer built, from unmarked text (a local variable assigned such
    text counts too)."""
    errors, found = _client_errors(trees), []
    for where, tree in trees:
        value_errors = where not in VALUE_ERRORS_OUTSIDE_REQUESTS
        for scope in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]:
            assigned: dict[str, list[ast.expr]] = {}
            for node in ast.walk(scope):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assigned.setdefault(target.id, []).append(node.value)

            def unmarked(value: ast.expr | None, names: dict[str, list[ast.expr]] = assigned) -> bool:
                return _unmarked_text(value) or (isinstance(value, ast.Name)
                                            and any(_unmarked_text(v) for v in names.get(value.id, [])))

            for node in ast.walk(scope):
                if isinstance(node, ast.Call) and (_called(node) in errors
                                                   or (value_errors and _called(node) in VALUE_ERRORS)):
                    texts = [*node.args[:2 if _called(node) == "PydanticCustomError" else 1],
                             *(k.value for k in node.keywords if k.arg in ("message", "detail"))]
                    if _called(node) == "PydanticCustomError":  # (type, template, context): a template that is one
                        texts = [t for t in texts[1:]  # placeholder shows the context's (marked) text
                                 if not (isinstance(t, ast.Constant) and re.fullmatch(r"\{\w+\}", str(t.value)))]
                    found += [f"{where}:{node.lineno}: {_called(node)}({ast.unparse(t)[:80]})"
                              for t in texts if unmarked(t)]
                elif isinstance(node, ast.Dict):
                    found += [f"{where}:{node.lineno}: {{{key.value!r}: {ast.unparse(value)[:80]}}}"
                              for key, value in zip(node.keys, node.values, strict=True)
                              if isinstance(key, ast.Constant) and key.value in SENTENCE_KEYS and unmarked(value)]
                elif isinstance(node, ast.Assign):
                    found += [f"{where}:{node.lineno}: [{target.slice.value!r}] = {ast.unparse(node.value)[:80]}"
                              for target in node.targets
                              if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
                              and target.slice.value in SENTENCE_KEYS and unmarked(node.value)]
    return sorted(set(found))


def test_no_error_or_answer_of_the_services_and_the_gateway_is_built_from_unmarked_text() -> None:
    """Every error a client can meet (kaohe's DomainError family, HTTPException, GraphQLError, and a validator's
    ValueError, which becomes a 422's reason) and every `message`/`note`/`detail` of an answer is a `_()` message,
    so that it reads in the client's language; a literal or an f-string would read in English only."""
    assert unmarked_client_texts(_served_trees()) == []


def test_the_scan_finds_unmarked_errors_and_answers() -> None:
    """The check above can fail: each way of writing an unmarked text is found, marked ones are not."""
    source = '''
class Refusal(Conflict):
    pass

def handler(period):
    if period:
        raise NotFound(f"period {period} not found")
    message = "no access"
    if not period:
        raise Refusal(message)
    raise HTTPException(404, detail="gone " + period)

def validator(value):
    if value:
        raise ValueError("is empty")
    raise InvalidInput(_("period %(p)s", p=value))

def answer(report, period):
    report["note"] = "not compared"
    return {"message": _("ok"), "note": "checked %s" % period}

def relay(exc):
    raise Conflict(str(exc))
'''
    found = unmarked_client_texts([*_served_trees(), ("services/x.py", ast.parse(source))])
    assert [line for line in found if line.startswith("services/x.py:")] == [
        "services/x.py:10: Refusal(message)",
        "services/x.py:11: HTTPException('gone ' + period)",
        "services/x.py:15: ValueError('is empty')",
        "services/x.py:19: ['note'] = 'not compared'",
        "services/x.py:20: {'note': 'checked %s' % period}",
        "services/x.py:23: Conflict(str(exc))",
        "services/x.py:7: NotFound(f'period {period} not found')",
    ]


# --- the CLI in two languages ------------------------------------------------------------------------------------

CLI_MODULES = ("cli", "console", "helptext", "ops_cli", "gateway_cli", "calendar_cli", "engine_cli", "demo_cli",
               "audit_cli", "stack", "probe")  # probe: `kaohe healthcheck`, by the standard library's gettext
CLI_SINKS = {"say", "fail", "_fail", "echo", "secho", "print", "write", "status", "add_task"}
ALLOWED_WORDS = {"kaohe", "ok"}  # the program's name; `ok`, what `kaohe scheme validate` prints for a program


def _words(node: ast.expr) -> list[str]:
    """The words (runs of letters: English or Chinese) of a literal, or of the literal parts of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _words(node.left) + _words(node.right)
    else:
        return []
    words: list[str] = []
    for part in parts:
        word = ""
        for char in part + " ":
            if char.isalpha():
                word += char
            elif word:
                words.append(word)
                word = ""
    return [word for word in words if word not in ALLOWED_WORDS]


def _unmarked_cli_texts() -> Iterator[str]:
    """Literal text that a CLI module shows to a person without marking it: the first argument of what writes a line
    (say, fail, typer.echo/secho, print, console.print, stream.write, a status or progress line) or an exception,
    and every `help=`, `title=` and `description=`."""
    for module in CLI_MODULES:
        path = ROOT / "kaohe" / f"{module}.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            shown = list(node.args[:1]) if name in CLI_SINKS or name.endswith("Error") else []
            shown += [k.value for k in node.keywords if k.arg in ("help", "title", "description")]
            for value in shown:
                if _words(value):
                    yield f"kaohe/{module}.py:{value.lineno}: {ast.unparse(value)[:70]}"


def test_the_cli_marks_every_text_it_shows() -> None:
    """A line, an error or a help text written as a bare literal would never be translated: the CLI's modules mark
    them (`_()`, `N_()` for help texts); data (names, paths, numbers) goes in as parameters."""
    assert list(_unmarked_cli_texts()) == []


def _shown(output: str) -> list[str]:
    """What a help page or a usage error says, line by line, without rich's boxes and padding."""
    lines = []
    for line in output.splitlines():
        text = " ".join(line.strip().strip("╭╮╰╯─").replace("│", " ").split())
        if text:
            lines.append(text)
    return lines


def _cli(*args: str) -> Any:
    from typer.testing import CliRunner

    from kaohe.cli import app

    return CliRunner().invoke(app, list(args))


def test_the_help_of_a_command_in_either_language(cli_language: None) -> None:
    """Typer's words (usage, panel titles, `[required]`, the help option) and kaohe's help texts."""
    chinese, english = _cli("--lang", "zh-CN", "calendar", "show", "--help"), _cli("--lang=en", "calendar", "show",
                                                                                 "--help")
    assert chinese.exit_code == english.exit_code == 0
    assert _shown(chinese.output) == [
        "用法：kaohe calendar show [选项] {year}",
        "显示某一年节假日安排的来源（已导入、软件包自带、无）及具体日期。", "参数", "* year <整数> 年份。 [必填]",
        "选项", "--help <布尔值> 显示本帮助并退出。"]
    assert _shown(english.output) == [
        "Usage: kaohe calendar show [OPTIONS] {year}",
        "Where a year's arrangement comes from (loaded, package, none) and its dates.",
        "Arguments", "* year <int> The year. [required]", "Options", "--help <bool> Show this message and exit."]


def _options(*args: str) -> list[str]:
    """The option lines of a help page (each starts with the option's name, then its value type)."""
    return [line.removeprefix("* ") for line in _shown(_cli(*args).output) if line.startswith(("--", "* --"))]


def test_value_types_and_usage_placeholders_in_either_language(cli_language: None) -> None:
    """typer's names of a value's type (`<int>`, `<int range>`, `<str>`, `<path>`, `<list[str]>`, `<bool>`), kaohe's
    metavar `SECONDS` and the usage line's `[OPTIONS]`, `COMMAND [ARGS]...`: Chinese in Chinese help, English
    unchanged; a choice's values (`json|table|explain`) are what one types, in both."""
    token = {line.split()[0]: line.split()[1:3] for line in _options("--lang", "zh-CN", "token", "--help")}
    assert (token["--role"][1], token["--scope"][0], token["--ttl"][0], token["--help"][0]) == (
        "<文本列表>", "<文本>", "<整数范围>", "<布尔值>")
    token = {line.split()[0]: line.split()[1:4] for line in _options("--lang", "en", "token", "--help")}
    assert (token["--role"][1], token["--scope"][0], token["--ttl"][:2], token["--help"][0]) == (
        "<list[str]>", "<str>", ["<int", "range>"], "<bool>")
    assert [line.split()[:2] for line in _options("--lang", "zh-CN", "evaluate", "--help")][:3] == [
        ["--scheme", "<路径>"], ["--facts", "<路径>"], ["--format", "<json|table|explain>"]]
    assert [line.split()[:2] for line in _options("--lang", "en", "evaluate", "--help")][:3] == [
        ["--scheme", "<path>"], ["--facts", "<path>"], ["--format", "<json|table|explain>"]]
    assert _options("--lang", "zh-CN", "migrate", "--help")[0].split()[:2] == ["--wait", "秒数"]
    assert _options("--lang", "en", "migrate", "--help")[0].split()[:2] == ["--wait", "SECONDS"]
    assert _shown(_cli("--lang", "zh-CN", "calendar", "--help").output)[0] == (
        "用法：kaohe calendar [选项] 命令 [参数]...")
    assert _shown(_cli("--lang", "en", "calendar", "--help").output)[0] == (
        "Usage: kaohe calendar [OPTIONS] COMMAND [ARGS]...")
    # a Chinese run between two English ones leaves the English help as it was
    assert _shown(_cli("--lang", "en", "calendar", "show", "--help").output)[3] == (
        "* year <int> The year. [required]")


def test_the_root_help_follows_the_terminal_without_lang(cli_language: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOHE_DEFAULT_LOCALE", "")
    monkeypatch.setenv("LC_ALL", "")
    monkeypatch.setenv("LC_MESSAGES", "")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    shown = _shown(_cli("--help").output)
    assert shown[:2] == ["用法：kaohe [选项] 命令 [参数]...",
                         "kaohe（考核）：绩效考核后端。运行 `kaohe up` 启动全部服务。"]
    assert shown[2] == "选项" and shown[3].startswith("--lang zh-CN|en kaohe 输出信息的语言（zh-CN 或 en）")
    assert "命令" in shown and "up 启动三个服务和网关；按 Ctrl-C 全部停止。" in shown
    assert "检查配置、数据库、迁移、时钟和磁盘；每项一行，任何一项失败则以退出码" in "".join(shown)  # rich folds it


def test_a_usage_error_in_either_language(cli_language: None) -> None:
    """Typer's own refusals: a value of the wrong type (pydantic's reason, by its kind), an unknown option."""
    chinese, english = _cli("--lang", "zh-CN", "calendar", "show", "x"), _cli("--lang", "en", "calendar", "show", "x")
    assert chinese.exit_code == english.exit_code == 2
    assert _shown(chinese.output) == ["用法：kaohe calendar show [选项] {year}",
                                      "运行 'kaohe calendar show --help' 查看帮助。", "错误",
                                      "'year' 的值无效：应为整数"]
    assert _shown(english.output) == [
        "Usage: kaohe calendar show [OPTIONS] {year}", "Try 'kaohe calendar show --help' for help.", "Error",
        "Invalid value for 'year': Input should be a valid integer, unable to parse", "string as an integer"]
    assert _shown(_cli("--lang", "zh-CN", "migrate", "--nope").output)[-1] == "没有这个选项：--nope"
    assert _shown(_cli("--lang", "en", "migrate", "--nope").output)[-1] == "No such option: --nope"
    assert _shown(_cli("--lang", "zh-CN", "upp").output)[-1] == "没有命令 'upp'。是不是要输入 'up'？"
    assert _shown(_cli("--lang", "zh-CN", "evaluate").output)[-1] == "缺少选项 '--scheme'。"


def test_every_help_text_of_the_cli_has_a_chinese_translation() -> None:
    """Each command, group and parameter of `kaohe` has a help text (a marked constant, not a docstring, which the
    catalogue cannot see) that the zh_CN catalogue translates."""
    import typer.main

    from kaohe.cli import app
    from kaohe.helptext import commands, help_texts
    from kaohe.i18n import catalogue as translations

    root = typer.main.get_command(app)
    chinese = translations("zh-CN")
    missing = [f"{getattr(holder, 'name', holder)}: {text!r}" for holder, attribute in help_texts(root)
               if (text := getattr(holder, attribute, None)) and text not in chinese]
    assert missing == []
    assert [each.name for each in commands(root) if not each.help] == []
    assert len(list(commands(root))) >= 25


def test_a_count_chooses_the_plural_form_of_each_language() -> None:
    """ngettext forms (kaohe.i18n.ngettext): English one/other by its Plural-Forms, Chinese one form for any count."""
    from kaohe.i18n import PluralText, ngettext

    def problems(count: int) -> PluralText:
        return ngettext("the scheme has %(details_count)s problem", "the scheme has %(details_count)s problems", count,
                  details_count=count)

    assert [(str(problems(n)), localize(problems(n), "en"), localize(problems(n), "zh-CN")) for n in (0, 1, 2)] == [
        ("the scheme has 0 problems", "the scheme has 0 problems", "考核方案有 0 处问题"),
        ("the scheme has 1 problem", "the scheme has 1 problem", "考核方案有 1 处问题"),
        ("the scheme has 2 problems", "the scheme has 2 problems", "考核方案有 2 处问题")]
    copied = pickle.loads(pickle.dumps(problems(1)))
    assert (type(copied), copied.number, localize(copied, "zh-CN")) == (PluralText, 1, "考核方案有 1 处问题")
    template = catalogue.read(catalogue.TEMPLATE)
    plurals = sorted(m.id[0] for m in template if m.id and not isinstance(m.id, str))
    assert "the scheme has %(details_count)s problem" in plurals
    # no "(s)" plural left in a counted message: each is a singular and a plural now
    counted = sorted(str(m.id) for m in template if isinstance(m.id, str) and "(s)" in m.id and "%(" in m.id)
    # click's own sentence (no count in it); the engine's rating explanation, stored in English and recognised by
    # its one template (services/common/explanations.py), which reads singular messages only
    assert counted == ["Got unexpected extra argument(s) (%(args)s)",
                       "rating [%(facts)s]: %(count)s rating(s), fewer than needed"]


def test_a_status_word_is_in_the_readers_language_and_its_value_stays() -> None:
    from kaohe.i18n import STATUS_WORDS, status_word

    message = _("this submission is %(status)s and can no longer be edited",
                status=status_word("submission", "approved"))
    assert (str(message), localize(message, "en"), localize(message, "zh-CN")) == (
        "this submission is approved and can no longer be edited",
        "this submission is approved and can no longer be edited", "该报送材料状态为“已通过”，不能再修改")
    assert {kind: {value: localize(word, "zh-CN") for value, word in words.items()}
            for kind, words in STATUS_WORDS.items()} == {
        "submission": {"pending": "待审核", "approved": "已通过", "rejected": "未通过", "returned": "已退回",
                       "revoked": "已撤销"},
        "notice": {"open": "待反馈", "answered": "已反馈", "signed": "已签字", "overdue": "已逾期"},
        "appeal": {"open": "待答复", "upheld": "申诉成立", "dismissed": "申诉不成立"},
        "period": {"open": "已开启", "collecting": "材料报送中", "scoring": "评分中", "published": "已公示",
                   "finalized": "已审定", "computed": "已计算", "reopened": "审定后已重新打开"}}
    assert all(localize(word, "en") == value for words in STATUS_WORDS.values() for value, word in words.items())
    assert status_word("submission", "archived") == "archived"  # not a known status: as it is


HAN = "[\u4e00-\u9fff]"
FULL_WIDTH = "[，。；：、（）“”！？]"


def test_the_chinese_catalogue_uses_full_width_punctuation() -> None:
    """Office typography in every zh-CN message: no ASCII `;` or `,` between Chinese characters (；，), no ASCII
    parenthesis around Chinese (（）), no space beside full-width punctuation or between two Chinese characters.
    ASCII stays where it is code: a YAML mapping (`{grade: 不称职}`, `键: 值`, “: ”) or a line format (`位置: 说明`)."""
    found = []
    rules = (re.compile(f"{HAN} ?[;,] ?{HAN}"), re.compile(f"\\({HAN}|{HAN}\\)"),
             re.compile(f" {FULL_WIDTH}|{FULL_WIDTH} "), re.compile(f"{HAN} +{HAN}"))
    for message in catalogue.read(catalogue.po_path("zh-CN"), "zh_CN"):
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for text in strings:
            # YAML mappings, `code` and a quoted symbol without Chinese (“: ”) are code
            code_free = re.sub(r"\{[^{}]*\}|`[^`]*`|“[^“”\u4e00-\u9fff]*”", "x", text).strip()
            found += [text for rule in rules if rule.search(code_free)]
    assert found == []


def test_lists_and_remarks_kaohe_writes_itself_follow_the_language() -> None:
    from kaohe.i18n import parenthesized, separated

    assert (separated(["季度奖金 2000.00", "通报表扬 1"], "zh-CN"), separated(["a 1", "b 2"], "en")) == (
        "季度奖金 2000.00；通报表扬 1", "a 1; b 2")
    assert ("优秀" + parenthesized("名额限制", "zh-CN"), "good" + parenthesized("quota limit", "en")) == (
        "优秀（名额限制）", "good (quota limit)")


@pytest.mark.parametrize(("args", "exit_code", "read"), [
    (("token", "--role", "admin"), 0, 0),  # a run that shows no message and no help reads no catalogue
    (("token", "--help"), 0, 1),  # the help: read when it is shown
    (("token", "--role", "admin", "--scope", "../x"), 2, 1),  # a message: read when it is rendered
])
def test_a_chinese_run_reads_the_catalogue_only_when_it_shows_a_text(
        tmp_path: Path, args: tuple[str, ...], exit_code: int, read: int) -> None:
    import subprocess
    import sys

    from tests.cli_helpers import clean_env

    script = ("import sys; from typer.testing import CliRunner; from kaohe.cli import app; from kaohe import i18n; "
              "done = CliRunner().invoke(app, sys.argv[1:]); print(done.exit_code, i18n._read.cache_info().currsize)")
    run = subprocess.run([sys.executable, "-c", script, "--lang", "zh-CN", *args], capture_output=True, text=True,
                         timeout=120, check=False, env=clean_env(KAOHE_JWT_SECRET="x" * 40, KAOHE_DATA_DIR=tmp_path))
    assert run.stdout.split() == [str(exit_code), str(read)], run.stderr


def test_an_article_before_a_parameter_fits_every_value_it_takes() -> None:
    """No 'a approved': a message puts "a" before a parameter only where every value starts with a consonant sound
    (the webhook refusal's kinds of address, the scheme's grade/label, the checkpoint's format); graphql-core's own
    sentences are quoted as the library writes them. A status is never after an article ("this submission is
    %(status)s"), and a fact's kind is named ("a fact of kind %(fact)r")."""
    import ipaddress

    from kaohe.engine.scheme.sections import GRADE, LABEL
    from services.evidence.webhooks.ssrf import _label

    found = sorted(str(m.id) for m in catalogue.read(catalogue.TEMPLATE)
                   if isinstance(m.id, str) and re.search(r"\b[Aa]n? %\(", m.id))
    assert [text[:40] for text in found] == [
        '%(address)s embeds %(ipv4)s (%(form)s), ', "%(address)s is a %(reason)s address; web",
        "%(key)r is not a %(what)s of this scheme", 'Value cannot represent a %(type)s: "%(va',
        'Value cannot represent a %(type)s: "%(va', 'Value cannot represent a %(type)s: "%(va', "not a %(format)s file"]
    kinds = {str(_label(ipaddress.ip_address(a))) for a in (
        "127.0.0.1", "0.0.0.0", "169.254.1.1", "fec0::1", "224.0.0.1", "10.0.0.1", "240.0.0.1", "100.64.0.1")}
    assert kinds == {"loopback", "non-routable (unspecified)", "link-local", "site-local", "multicast", "private",
                     "non-public"}  # 240.0.0.1 is private before reserved
    assert (GRADE, LABEL) == ("grade", "label")
