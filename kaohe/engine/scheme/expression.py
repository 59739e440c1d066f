"""Expressions of scheme-format.md §3.3, compiled to closures by a hand-written parser.

Grammar (nothing else is accepted; there is no eval and no Python ast):

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := '-' unary | '+' unary | atom
    atom   := NUMBER ['%'] | NAME | 'attr' '.' NAME | '(' expr ')' | FUNC '(' expr (',' expr)* ')'
    FUNC   := min | max | clamp            (clamp takes exactly three arguments)

Arithmetic runs in `CONTEXT` (50 significant digits, half-even), passed explicitly to every
operation so the caller's thread context (28 digits by default) never matters: a third divided
by three must come back as exactly 1 after the rounding to `precision` that happens on output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Any, Final

from kaohe.i18n import _

from ..bounds import within_bounds

CONTEXT: Final = Context(prec=50, rounding=ROUND_HALF_EVEN)
ZERO: Final = Decimal(0)
_FUNCTIONS = ("min", "max", "clamp")
_MAX_DEPTH = 100

Notes = list[str] | None
Evaluator = Callable[[Mapping[str, Decimal], Mapping[str, Any], Notes], Decimal]


class ExpressionError(ValueError):
    """A malformed expression; the message names the position (1-based column). `reason` is that message as a
    marked message (kaohe.i18n), for a sentence that quotes it."""

    def __init__(self, message: str, position: int) -> None:
        self.reason = _("%(message)s at column %(column)s", message=message, column=position + 1)
        super().__init__(self.reason)
        self.position = position


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isascii() and (ch.isdigit() or (ch == "." and text[i + 1 : i + 2].isdigit())):
            j = i
            while j < n and text[j].isascii() and (text[j].isdigit() or text[j] == "."):
                j += 1
            tokens.append(_Token("num", text[i:j], i))
            i = j
        elif ch.isascii() and (ch.isalpha() or ch == "_"):
            j = i
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(_Token("name", text[i:j], i))
            i = j
        elif ch in "+-*/(),.%":
            tokens.append(_Token("op", ch, i))
            i += 1
        else:
            raise ExpressionError(_("unexpected character %(char)r", char=ch), i)
    tokens.append(_Token("end", "", n))
    return tokens


@dataclass(slots=True)
class _Node:
    """A parsed sub-expression: its evaluator and, when it reads nothing, its constant value."""

    fn: Evaluator
    const: Decimal | None


def _constant(value: Decimal) -> _Node:
    return _Node(lambda s, a, n: value, value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.names: set[str] = set()
        self.attributes: set[str] = set()
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> _Token:
        tok = self.take()
        if tok.text != text or tok.kind not in ("op",):
            shown = tok.text or _("the end")
            raise ExpressionError(_("expected %(expected)r but found %(found)r", expected=text, found=shown),
                                  tok.pos)
        return tok

    def parse(self) -> _Node:
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ExpressionError(_("unexpected %(token)r", token=tok.text), tok.pos)
        return node

    def expr(self) -> _Node:
        left = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.take().text
            left = _binary(op, left, self.term(), 0)
        return left

    def term(self) -> _Node:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            tok = self.take()
            left = _binary(tok.text, left, self.unary(), tok.pos)
        return left

    def unary(self) -> _Node:
        tok = self.peek()
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ExpressionError(_("expression is nested too deeply"), tok.pos)
        try:
            return self._unary(tok)
        finally:
            self.depth -= 1

    def _unary(self, tok: _Token) -> _Node:
        if tok.kind == "op" and tok.text in "+-":
            self.take()
            inner = self.unary()
            if tok.text == "+":
                return inner
            f = inner.fn
            const = None if inner.const is None else CONTEXT.minus(inner.const)
            return _Node(lambda s, a, n: CONTEXT.minus(f(s, a, n)), const)
        return self.atom()

    def atom(self) -> _Node:
        tok = self.take()
        if tok.kind == "num":
            return self.number(tok)
        if tok.kind == "name":
            return self.name(tok)
        if tok.kind == "op" and tok.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        found = tok.text or _("the end")
        raise ExpressionError(_("expected a number, a name or '(' but found %(found)r", found=found), tok.pos)

    def number(self, tok: _Token) -> _Node:
        if tok.text.count(".") > 1 or tok.text in (".",):
            raise ExpressionError(_("malformed number %(number)r", number=tok.text), tok.pos)
        value = Decimal(tok.text)
        if not within_bounds(value):
            raise ExpressionError(_("the number %(number)s is too large or too precise: a scheme's numbers are below "
                                    "10^15 with at most 12 decimal places", number=_shortened(tok.text)), tok.pos)
        if self.peek().kind == "op" and self.peek().text == "%":
            self.take()
            value = CONTEXT.divide(value, Decimal(100))
        return _constant(value)

    def name(self, tok: _Token) -> _Node:
        if tok.text == "attr" and self.peek().text == ".":
            self.take()
            attr = self.take()
            if attr.kind != "name":
                raise ExpressionError(_("expected an attribute name after 'attr.'"), attr.pos)
            self.attributes.add(attr.text)
            return _Node(_attr_reader(attr.text), None)
        if self.peek().kind == "op" and self.peek().text == "(":
            return self.call(tok)
        if self.peek().kind == "op" and self.peek().text == ".":
            raise ExpressionError(_("attribute access is only allowed as attr.NAME"), self.peek().pos)
        if not tok.text[0].isalpha() or not tok.text[0].islower():
            raise ExpressionError(_("%(name)r is not a valid indicator code", name=tok.text), tok.pos)
        self.names.add(tok.text)
        key = tok.text
        return _Node(lambda s, a, n: s.get(key, ZERO), None)

    def call(self, tok: _Token) -> _Node:
        if tok.text not in _FUNCTIONS:
            raise ExpressionError(_("unknown function %(name)r; only min, max and clamp exist", name=tok.text),
                                  tok.pos)
        self.expect("(")
        args = [self.expr()]
        while self.peek().text == "," and self.peek().kind == "op":
            self.take()
            args.append(self.expr())
        self.expect(")")
        if tok.text == "clamp" and len(args) != 3:
            raise ExpressionError(_("clamp takes exactly three arguments (x, lo, hi)"), tok.pos)
        return _function(tok.text, args)


def _attr_reader(name: str) -> Evaluator:
    def read(s: Mapping[str, Decimal], a: Mapping[str, Any], n: Notes) -> Decimal:
        raw = a.get(name)
        value = to_decimal(raw)
        if value is None:
            if n is not None:
                n.append(f"attribute {name} is {'missing' if raw is None else 'not a number'}; 0 used")
            return ZERO
        return value

    return read


def to_decimal(raw: Any) -> Decimal | None:
    """Read a JSON/YAML number or numeric string exactly; None when it is not a finite number within the engine's
    bounds (kaohe.engine.bounds: below 10^15, at most 12 decimal places; `beyond_bounds` tells which)."""
    value = _finite(raw)
    return value if value is not None and within_bounds(value) else None


def _shortened(text: str) -> str:
    """A long number as its first 20 characters and its length."""
    return text if len(text) <= 40 else f"{text[:20]}… ({len(text)} characters)"


def beyond_bounds(raw: Any) -> bool:
    """Whether `raw` (a number, numeric text, or text ending in %) is a finite number outside the engine's bounds:
    the problem to name rather than "not a number"."""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        raw = raw.strip()[:-1]
    value = _finite(raw)
    return value is not None and not within_bounds(value)


def _finite(raw: Any) -> Decimal | None:
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _binary(op: str, left: _Node, right: _Node, pos: int) -> _Node:
    lf, rf = left.fn, right.fn
    if op == "/" and right.const is not None and right.const == 0:
        raise ExpressionError(_("division by zero"), pos)
    fn: Evaluator
    if op == "+":
        fn = lambda s, a, n: CONTEXT.add(lf(s, a, n), rf(s, a, n))  # noqa: E731
    elif op == "-":
        fn = lambda s, a, n: CONTEXT.subtract(lf(s, a, n), rf(s, a, n))  # noqa: E731
    elif op == "*":
        fn = lambda s, a, n: CONTEXT.multiply(lf(s, a, n), rf(s, a, n))  # noqa: E731
    else:
        fn = _divider(lf, rf)
    const = None
    if left.const is not None and right.const is not None:
        const = fn({}, {}, None)
        return _constant(const)
    return _Node(fn, const)


def _divider(lf: Evaluator, rf: Evaluator) -> Evaluator:
    def divide(s: Mapping[str, Decimal], a: Mapping[str, Any], n: Notes) -> Decimal:
        den = rf(s, a, n)
        if den == 0:
            # §3.3: a runtime division by zero yields 0 and says so in explain.
            if n is not None:
                n.append("division by zero; 0 used")
            return ZERO
        return CONTEXT.divide(lf(s, a, n), den)

    return divide


def _function(name: str, args: list[_Node]) -> _Node:
    fns = tuple(arg.fn for arg in args)
    fn: Evaluator
    if name == "min":
        fn = lambda s, a, n: min(f(s, a, n) for f in fns)  # noqa: E731
    elif name == "max":
        fn = lambda s, a, n: max(f(s, a, n) for f in fns)  # noqa: E731
    else:
        x, lo, hi = fns
        fn = lambda s, a, n: min(max(x(s, a, n), lo(s, a, n)), hi(s, a, n))  # noqa: E731
    if all(arg.const is not None for arg in args):
        return _constant(fn({}, {}, None))
    return _Node(fn, None)


class CompiledExpression:
    """A compiled §3.3 expression; satisfies the `Expression` protocol of model.py."""

    __slots__ = ("attributes", "fn", "names", "source")

    def __init__(self, source: str, names: frozenset[str], attributes: frozenset[str], fn: Evaluator) -> None:
        self.source = source
        self.names = names
        self.attributes = attributes
        self.fn = fn

    def __repr__(self) -> str:
        return f"CompiledExpression({self.source!r})"

    def evaluate(
        self,
        scores: Mapping[str, Decimal],
        attributes: Mapping[str, Any],
        notes: list[str] | None = None,
    ) -> Decimal:
        """Exact evaluation; a runtime division by zero yields 0 and appends a note."""
        return self.fn(scores, attributes, notes)


def compile_expression(text: str) -> CompiledExpression:
    """Parse `text` per §3.3 into a reusable closure; raises ExpressionError with a column."""
    if not isinstance(text, str):
        raise ExpressionError(_("an expression must be text"), 0)
    if len(text) > 4000:
        raise ExpressionError(_("expression is too long (over 4000 characters)"), 0)
    parser = _Parser(text)
    root = parser.parse()
    return CompiledExpression(text, frozenset(parser.names), frozenset(parser.attributes), root.fn)
