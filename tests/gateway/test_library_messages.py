"""graphql-core's and strawberry's own messages in Chinese and English (issue 22): a query that does not parse or
validate, a variable that cannot be coerced, strawberry's HTTP refusals, each through the gateway with
`Accept-Language`, the code unchanged; and every message text of the installed libraries has a template in
gateway/library_messages.py, so that a new library version with a new message fails here instead of answering
English to a Chinese client."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import graphql
import httpx
import pytest
from graphql.validation import specified_rules

from gateway.events import close_reason, watchdog
from gateway.library_messages import MESSAGES, PLACEHOLDER, library_text
from gateway.protection import validation_rules
from kaohe.i18n import locale_var, localize
from services.common.i18n import or_list

# Where the libraries write the messages a client of the gateway can get. "all": every string of the module is
# a message or a piece of one (or is listed in NOT_MESSAGES); otherwise the strings inside calls of the named
# exception types only (the module also holds texts for programmers: schema construction, internal errors).
MODULES: dict[str, str | tuple[str, ...]] = {
    "graphql.language.lexer": "all",
    "graphql.language.parser": "all",
    "graphql.validation.validate": "all",
    "graphql.utilities.validate_input_value": "all",
    "graphql.utilities.coerce_input_value": "all",
    "graphql.execution.values": "all",
    "graphql.execution.get_variable_signature": "all",
    "graphql.type.scalars": "all",
    "graphql.pyutils.did_you_mean": "all",
    "graphql.pyutils.print_path_list": "all",
    "graphql.type.definition": ("GraphQLError",),
    "strawberry.schema.exceptions": "all",
    "strawberry.schema.schema": ("GraphQLError",),
    "strawberry.schema.types.base_scalars": ("StrawberryInputCoercionError",),
    "strawberry.http.async_base_view": ("HTTPException",),
    "strawberry.http.base": ("HTTPException",),
}
RULE_MODULES = sorted({rule.__module__ for rule in [*specified_rules, *validation_rules(production=True)]
                       if not rule.__module__.startswith("gateway.")})  # the gateway's own rules mark theirs

# Strings of the "all" modules that are not (part of) a message to a client.
NOT_MESSAGES = {
    "Source document used to derive error locations.",  # attribute documentation of the lexer
    "Most recent non-ignored token returned by the lexer.",
    "Current non-ignored token at the lexer cursor.",
    "The (1-indexed) line containing the current token.",
    "Character offset where the current line starts.",
    "list[str | int]",  # type annotations
    "Sequence[ArgumentNode] | Sequence[FragmentArgumentNode]",
    "Source metadata for each variable value keyed by variable name.",
    "Coerced runtime variable values keyed by variable name.",
    "Maximum possible Int value as per GraphQL Spec (32-bit signed integer)",  # constants' documentation
    "Minimum possible Int value as per GraphQL Spec (32-bit signed integer)",
    "All built-in scalar types defined by the GraphQL specification by name",
    "name.value", "variable.name.value",  # attribute paths given to a helper
    "<meta>.",  # a prefix for meta fields in a rule's field lookup
    # a deprecation warning to the programmer (Python's warnings), not a message of a request
    "MAX_FIELD_COMPARISONS is deprecated, use MAX_COMPLEXITY_BUDGET instead.",
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # docstrings, attribute docs
            found.add(id(node.value))
    return found


def _text(node: ast.AST) -> str:
    """A string literal, an f-string with `{}` where it inserts a value."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    assert isinstance(node, ast.JoinedStr)
    return "".join(str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values)


def _strings(tree: ast.AST) -> Iterator[ast.AST]:
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inner.update(id(part) for part in node.values)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            inner.update(id(n) for n in ast.walk(node.value))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("cast", "TypeVar"):
            inner.update(id(n) for n in ast.walk(node.args[0]))
        elif isinstance(node, ast.keyword) and node.arg in ("description", "deprecation_reason"):
            inner.update(id(n) for n in ast.walk(node.value))
    skipped = inner | _docstrings(tree)
    for node in ast.walk(tree):
        if id(node) not in skipped and (isinstance(node, ast.JoinedStr) or (
                isinstance(node, ast.Constant) and isinstance(node.value, str))):
            yield node


def _raised(tree: ast.AST, kinds: tuple[str, ...]) -> Iterator[ast.AST]:
    for node in ast.walk(tree):
        name = getattr(node, "func", None)
        if isinstance(node, ast.Call) and (getattr(name, "id", None) or getattr(name, "attr", None)) in kinds:
            for argument in node.args:
                yield from (n for n in ast.walk(argument) if isinstance(n, ast.JoinedStr | ast.Constant))


def library_fragments() -> dict[str, str]:
    """Each message text (or piece of one) the libraries can give a client, `{}` where they insert a value, with
    where it is written."""
    modules: dict[str, str | tuple[str, ...]] = {**MODULES, **dict.fromkeys(RULE_MODULES, "all")}
    found: dict[str, str] = {}
    for name, mode in modules.items():
        module: ModuleType = importlib.import_module(name)
        tree = ast.parse(inspect.getsource(module))
        nodes = _strings(tree) if isinstance(mode, str) else _raised(tree, mode)
        for node in nodes:
            text = _text(node)
            # prose: a word and a space or a full stop (not a name, a type, a format or a single punctuator)
            if isinstance(node, ast.Constant | ast.JoinedStr) and re.search(r"[A-Za-z]{2}", text) \
                    and re.search(r"[ .]", text) and "\n" not in text:
                found.setdefault(text, f"{name}:{getattr(node, 'lineno', '?')}")
    return found


def _covers(template: str, fragment: str) -> bool:
    literal = [re.escape(part) for part in fragment.split("{}")]
    return re.search(".*".join(literal), PLACEHOLDER.sub("{}", template), re.DOTALL) is not None


def test_the_enumeration_reads_the_installed_libraries() -> None:
    fragments = library_fragments()
    assert "Cannot query field '{}' on type '{}'." in fragments  # a validation rule
    assert "Expected {}, found {}." in fragments  # the parser
    assert "Int cannot represent non-integer value: " in fragments  # a scalar
    assert "No GraphQL query found in the request" in fragments  # strawberry's HTTP refusal
    assert len(fragments) > 150, graphql.__version__


def test_every_message_of_the_libraries_has_a_template() -> None:
    """A message text of graphql-core or strawberry that no template covers would reach a Chinese client in
    English: add it to gateway/library_messages.py (and its translation), or to NOT_MESSAGES if it is not one."""
    missing = {fragment: where for fragment, where in library_fragments().items()
               if fragment not in NOT_MESSAGES and not any(_covers(t, fragment) for t in MESSAGES)}
    assert not missing, missing


@pytest.mark.parametrize("english", [
    "Syntax Error: Expected Name, found <EOF>.",
    "Cannot query field 'x' on type 'Query'. Did you mean 'y' or 'z'?",
    "Variable '$x' has invalid value at .a[0]: Int cannot represent non-integer value: 1.5",
    "Fields 'a' conflict because 'b' and 'c' are different fields. Use different aliases on the fields to fetch "
    "both if this was intentional.",
])
def test_english_is_the_library_sentence_itself(english: str) -> None:
    assert localize(library_text(english), "en") == english


@pytest.mark.parametrize(("message", "chinese"), [
    ("Syntax Error: Unexpected Name 'x'.", "语法错误：不应出现名称 'x'。"),
    ("Syntax Error: Expected ':', found '}'.", "语法错误：此处应为 ':'，实际为'}'。"),
    ("Cannot spread fragment 'A' within itself via 'B', 'C'.",
     "片段 'A' 经由 'B'、'C' 展开了自身（片段不能循环引用）。"),
    ("Cannot query field 'x' on type 'Query'. Did you mean 'a', 'b', or 'c'?",
     "类型 'Query' 上没有可查询的字段 'x'。是否应为 'a'、'b' 或 'c'？"),
    ("Fields 'a' conflict because subfields 'b' conflict because 'c' and 'd' are different fields and subfields "
     "'e' conflict because they have differing arguments. Use different aliases on the fields to fetch both if "
     "this was intentional.",
     "字段 'a' 有冲突：子字段 'b' 有冲突：'c' 与 'd' 是不同的字段；子字段 'e' 有冲突：它们的参数不同。"
     "如确需同时获取，请为这些字段使用不同的别名。"),
    ("queries are not allowed when using GET", "使用 GET 请求时不允许查询操作"),
    ("Document contains more than 5000 tokens. Parsing aborted.", "文档的词法单元超过 5000 个，已停止解析。"),
    ("some sentence no library version wrote", "some sentence no library version wrote"),  # unknown: as it is
])
def test_chinese_of_composed_sentences(message: str, chinese: str) -> None:
    assert localize(library_text(message), "zh-CN") == chinese


AS_OF = "query($at: DateTime!) { scoreAsOf(periodId: \"p1\", subjectId: \"s1\", at: $at) { id } }"
CYCLE = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
NESTING = "{ a:me{b:me{c:me{d:me{e:me{f:me{g:me{h:me{i:me{j:me{k:me{subject}}}}}}}}}}} }"


@pytest.mark.parametrize(("body", "code", "chinese", "english"), [
    ({"query": "{ me { subject }"}, "GRAPHQL_PARSE_FAILED",
     "语法错误：此处应为名称，实际为文档结尾。", "Syntax Error: Expected Name, found <EOF>."),
    ({"query": "{ me { subject } } }"}, "GRAPHQL_PARSE_FAILED",
     "语法错误：不应出现'}'。", "Syntax Error: Unexpected '}'."),
    ({"query": "{ me { nope } }"}, "GRAPHQL_VALIDATION_FAILED",
     "类型 'Me' 上没有可查询的字段 'nope'。", "Cannot query field 'nope' on type 'Me'."),
    ({"query": "{ me { subjec } }"}, "GRAPHQL_VALIDATION_FAILED",
     "类型 'Me' 上没有可查询的字段 'subjec'。是否应为 'subject'？",
     "Cannot query field 'subjec' on type 'Me'. Did you mean 'subject'?"),
    ({"query": "{ verifyAuditChain(service: NOPE) { ok } }"}, "GRAPHQL_VALIDATION_FAILED",
     "枚举 'Service' 中没有值 'NOPE'。", "Value 'NOPE' does not exist in 'Service' enum."),
    ({"query": CYCLE}, "GRAPHQL_VALIDATION_FAILED",
     "片段 'A' 经由 'B' 展开了自身（片段不能循环引用）。", "Cannot spread fragment 'A' within itself via 'B'."),
    ({"query": "query($x: Int) { me { subject } }"}, "GRAPHQL_VALIDATION_FAILED",
     "变量 '$x' 未被使用。", "Variable '$x' is never used."),
    ({"query": "query { period(id: $x) { id } }"}, "GRAPHQL_VALIDATION_FAILED",
     "变量 '$x' 未定义。", "Variable '$x' is not defined."),
    ({"query": "{ period { id } }"}, "GRAPHQL_VALIDATION_FAILED",
     "缺少必填参数 'Query.period(id:)'（类型 'ID!'）。",
     "Argument 'Query.period(id:)' of type 'ID!' is required, but it was not provided."),
    ({"query": "{ period(id: \"p1\", bogus: 1) { id } }"}, "GRAPHQL_VALIDATION_FAILED",
     "字段 'Query.period' 没有参数 'bogus'。", "Unknown argument 'bogus' on field 'Query.period'."),
    ({"query": "{ me { subject: grants } }"}, "GRAPHQL_VALIDATION_FAILED",
     "字段 'grants' 的类型为 '[RoleGrant!]!'，必须选择子字段。是否应为 'grants { ... }'？",
     "Field 'grants' of type '[RoleGrant!]!' must have a selection of subfields. Did you mean 'grants { ... }'?"),
    ({"query": "{ " + " ".join(f"a{i}: me {{ subject }}" for i in range(31)) + " }"}, "GRAPHQL_VALIDATION_FAILED",
     "查询使用了 31 个别名，最多允许 30 个", "31 aliases found. Allowed: 30"),
    ({"query": "query($x: ID!) { period(id: $x) { id } }", "variables": {"x": [1]}}, "BAD_USER_INPUT",
     "变量 '$x' 的值无效：ID 不能表示该值：[1]", "Variable '$x' has invalid value: ID cannot represent value: [1]"),
    ({"query": "query($x: ID!) { period(id: $x) { id } }", "variables": {}}, "BAD_USER_INPUT",
     "变量 '$x' 的值无效：缺少非空类型 'ID!' 的值。",
     "Variable '$x' has invalid value: Expected a value of non-null type 'ID!' to be provided."),
    # Python's ISO parser's reason ("month must be in 1..12", "ISO string too short") is not quoted: kaohe's own
    ({"query": AS_OF, "variables": {"at": "2026-13-01T10:00:00"}}, "BAD_USER_INPUT",
     "变量 '$at' 的值无效：值 \"2026-13-01T10:00:00\" 不是有效的 DateTime："
     "应为日期和时间，如 2026-03-31T17:30:00+08:00。",
     "Variable '$at' has invalid value: Value cannot represent a DateTime: \"2026-13-01T10:00:00\". Expected a date "
     "and time such as 2026-03-31T17:30:00+08:00."),
    ({"query": AS_OF, "variables": {"at": "tomorrow"}}, "BAD_USER_INPUT",
     "变量 '$at' 的值无效：值 \"tomorrow\" 不是有效的 DateTime：应为日期和时间，如 2026-03-31T17:30:00+08:00。",
     "Variable '$at' has invalid value: Value cannot represent a DateTime: \"tomorrow\". Expected a date and time "
     "such as 2026-03-31T17:30:00+08:00."),
])
async def test_graphql_library_messages_in_both_languages(gateway: httpx.AsyncClient, bearer: Any, body: Any,
                                                          code: str, chinese: str, english: str) -> None:
    answers = {}
    for language in ("zh-CN", "en"):
        response = await gateway.post("/graphql", json=body,
                                      headers={**bearer(("auditor", "")), "Accept-Language": language})
        assert response.status_code == 200, response.text
        errors = response.json()["errors"]
        assert [error["extensions"] for error in errors] == [{"code": code}], errors
        answers[language] = errors[0]["message"]
    assert answers == {"zh-CN": chinese, "en": english}


async def test_too_deep_gives_every_reason_in_chinese(gateway: httpx.AsyncClient, bearer: Any) -> None:
    response = await gateway.post("/graphql", json={"query": NESTING},
                                  headers={**bearer(("auditor", "")), "Accept-Language": "zh-CN"})
    assert [error["message"] for error in response.json()["errors"]] == [
        "匿名操作的嵌套深度超过上限 10", "类型 'Me' 上没有可查询的字段 'me'。"]


async def test_the_default_language_is_chinese(monkeypatch: pytest.MonkeyPatch, backend: Any, bearer: Any) -> None:
    from tests.gateway.conftest import open_gateway

    async with open_gateway(monkeypatch, backend, KAOHE_DEFAULT_LOCALE="zh-CN") as http:
        response = await http.post("/graphql", json={"query": "{ me { nope } }"}, headers=bearer(("auditor", "")))
    assert response.json()["errors"][0]["message"] == "类型 'Me' 上没有可查询的字段 'nope'。"


@pytest.mark.parametrize(("method", "url", "body", "status", "code", "chinese", "english"), [
    ("POST", "/graphql", b'{"variables": {}}', 400, "BAD_USER_INPUT",
     "请求中没有 GraphQL 查询", "No GraphQL query found in the request"),
    ("POST", "/graphql", b'{"query": 1}', 400, "BAD_USER_INPUT",
     "GraphQL 请求的 `query` 如有提供，必须是字符串或 null。",
     "The GraphQL operation's `query` must be a string or null, if provided."),
    ("POST", "/graphql", b'{"query": "{ me { subject } }", "variables": 1}', 400, "BAD_USER_INPUT",
     "GraphQL 请求的 `variables` 如有提供，必须是对象或 null。",
     "The GraphQL operation's `variables` must be an object or null, if provided."),
    ("GET", "/graphql?query=mutation%7BrevokeApiKey(id%3A%22k%22)%7Bid%7D%7D", b"", 400, "BAD_USER_INPUT",
     "使用 GET 请求时不允许变更操作", "mutations are not allowed when using GET"),
    ("GET", "/exports/periods/p1/ranking.pdf", b"", 422, "BAD_USER_INPUT",
     "format：应为以下取值之一：'xlsx' 或 'csv'", "format: Input should be 'xlsx' or 'csv'"),
])
async def test_http_refusals_in_both_languages(gateway: httpx.AsyncClient, bearer: Any, method: str, url: str,
                                               body: bytes, status: int, code: str, chinese: str,
                                               english: str) -> None:
    answers: dict[str, set[str]] = {}
    for language in ("zh-CN", "en"):
        for accept in ("application/json", "application/graphql-response+json"):
            response = await gateway.request(method, url, content=body, headers={
                **bearer(("admin", "")), "Content-Type": "application/json", "Accept": accept,
                "Accept-Language": language})
            assert response.status_code == status, response.text
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == code
            answers.setdefault(language, set()).add(error["message"])
    assert answers == {"zh-CN": {chinese}, "en": {english}}


async def test_unsupported_content_type_in_chinese(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/graphql", content=b"{ me { subject } }",
                                  headers={"Content-Type": "text/plain", "Accept-Language": "zh"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "不支持的内容类型（Content-Type）"


def test_close_reasons_fit_a_close_frame() -> None:
    assert close_reason("短") == "短"
    assert close_reason("x" * 123) == "x" * 123
    cut = close_reason("语法错误：" + "长" * 100)
    assert cut == "语法错误：" + "长" * 35 + "…"  # 120 bytes of whole characters, then the 3 of "…"
    assert len(cut.encode()) == 123


@pytest.mark.parametrize(("english", "chinese"), [
    ("'xlsx' or 'csv'", "'xlsx' 或 'csv'"),  # pydantic, two values
    ("'a', 'b' or 'c'", "'a'、'b' 或 'c'"),  # pydantic, three (no comma before "or")
    ("'a', 'b', or 'c'", "'a'、'b' 或 'c'"),  # graphql-core (a comma before "or")
    ("'a'", "'a'"),
    ("a or b", "a or b"),  # not a list of quoted values: as it is
])
def test_alternatives_in_both_languages(english: str, chinese: str) -> None:
    assert (localize(or_list(english), "en"), localize(or_list(english), "zh-CN")) == (english, chinese)


async def test_websocket_close_reasons_follow_the_connection_language() -> None:
    class Socket:
        closed: tuple[int, str] | None = None

        async def close(self, code: int, reason: str) -> None:
            self.closed = (code, reason)

    socket = Socket()
    token = locale_var.set("zh-CN")
    try:
        await watchdog(object(), socket, expires_at=0.0, idle_seconds=60)
    finally:
        locale_var.reset(token)
    assert socket.closed == (4401, "令牌已过期")


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")
def test_subscription_errors_in_the_handshake_language(monkeypatch: pytest.MonkeyPatch, backend: Any,
                                                       bearer: Any) -> None:
    """Over graphql-transport-ws: a subscription that does not validate is an `error` message, one that does not
    parse closes the socket (4400) with the reason; both in the language of the handshake's Accept-Language."""
    from starlette.testclient import TestClient

    from gateway.app import create_app
    from services.common.settings import get_settings
    from tests.gateway.conftest import JWT_SECRET

    monkeypatch.setenv("KAOHE_JWT_SECRET", JWT_SECRET)
    get_settings.cache_clear()
    answers = {}
    try:
        with TestClient(create_app(clients=backend.clients())) as client:
            for language in ("zh-CN", "en"):
                with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"],
                                              headers={"Accept-Language": language}) as socket:
                    socket.send_json({"type": "connection_init", "payload": bearer(("admin", ""))})
                    assert socket.receive_json(mode="binary") == {"type": "connection_ack"}
                    socket.send_json({"type": "subscribe", "id": "1",
                                      "payload": {"query": "subscription { nope }"}})
                    invalid = socket.receive_json(mode="binary")
                    socket.send_json({"type": "subscribe", "id": "2", "payload": {"query": "subscription { nope "}})
                    closed = socket.receive()
                answers[language] = (invalid["payload"][0]["message"], closed["code"], closed["reason"])
    finally:
        get_settings.cache_clear()
    assert answers == {
        "zh-CN": ("类型 'Subscription' 上没有可查询的字段 'nope'。", 4400, "语法错误：此处应为名称，实际为文档结尾。"),
        "en": ("Cannot query field 'nope' on type 'Subscription'.", 4400, "Syntax Error: Expected Name, found <EOF>.")}


def test_recognising_a_client_string_takes_linear_time() -> None:
    """A value the client sent is quoted whole in some messages (strawberry's scalars); one made of the text that
    follows it in the template must not make the match backtrack (quadratic: seconds at 10,000 characters)."""
    value = '". ' * 6_000
    message = f"Variable '$d' has invalid value: Value cannot represent a DateTime: \"{value}\"."
    started = time.perf_counter()
    assert localize(library_text(message), "en") == message
    assert time.perf_counter() - started < 1.0
    huge = "Cannot query field '" + "a" * 30_000 + "' on type 'Query'."
    assert library_text(huge) is huge  # over MAX_MESSAGE: as written


def test_a_long_chain_of_conflicts_is_rendered_whole() -> None:
    chain = " and ".join(f"subfields 'f{i}' conflict because they have differing arguments" for i in range(30))
    message = f"Fields 'a' conflict because {chain}. Use different aliases on the fields to fetch both if this was " \
              "intentional."
    chinese = "；".join(f"子字段 'f{i}' 有冲突：它们的参数不同" for i in range(30))
    assert localize(library_text(message), "zh-CN") == \
        f"字段 'a' 有冲突：{chinese}。如确需同时获取，请为这些字段使用不同的别名。"
