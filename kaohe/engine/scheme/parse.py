"""`parse_scheme`: the whole of scheme-format.md §2–§10 checked at once, every problem reported."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any, cast

from kaohe.i18n import _

from .checks import Checker, compile_checked, percent_or_number, pointer, too_large
from .evidence_rules import parse_documents, parse_lookback
from .expression import CompiledExpression
from .graph import find_cycle, node_dependencies
from .model import (
    AppliesTo,
    Node,
    NotAssigned,
    Problem,
    RankPointsParams,
    Rule,
    Scheme,
    SchemeInvalid,
)
from .rule_params import parse_rule_params
from .sections import (
    parse_grading,
    parse_labels,
    parse_publication,
    parse_ranking,
    parse_rewards,
    parse_rollup,
    parse_vetoes,
)

_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
_TOP_KEYS = (
    "id",
    "version",
    "title",
    "subject_kind",
    "period",
    "precision",
    "groups",
    "indicators",
    "total",
    "vetoes",
    "ranking",
    "grading",
    "labels",
    "rewards",
    "rollup",
    "publication",
)
_NODE_KEYS = (
    "code",
    "name",
    "max",
    "rule",
    "children",
    "aggregate",
    "formula",
    "cap",
    "weight",
    "applies_to",
    "not_assigned",
    "missing",
    "bonus",
    "documents",
    "lookback",
)
_RESERVED = frozenset({"total", "attr", "min", "max", "clamp"})
_HUNDRED = Decimal(100)
_SCOPES = ("all", "group")
_MAX_DEPTH = 12


AN_INDICATOR = _("an indicator")
INDICATOR_CODE = _("the indicator code")
APPLIES_TO = _("applies_to (a list of groups or {attribute, eq})")


def _indicator_label(name: str) -> str:
    return _("indicator '%(name)s'", name=name) if name else _("this indicator")


class _TreeParser:
    """Builds the indicator tree bottom-up, collecting problems; codes are gathered for later checks."""

    def __init__(self, c: Checker, groups: tuple[str, ...]) -> None:
        self.c = c
        self.groups = groups
        self.codes: dict[str, str] = {}  # code -> pointer of its first definition

    def nodes(self, value: Any, ptr: str, parent_max: Decimal | None = None) -> tuple[Node, ...]:
        if ptr.count("/children") > _MAX_DEPTH:
            self.c.add(ptr, _("the indicator tree is deeper than %(depth)s levels; flatten it", depth=_MAX_DEPTH))
            return ()
        items = self.c.seq(value, ptr, "indicators" if parent_max is None else "children")
        if items is not None and not items:
            self.c.add(ptr, _("at least one indicator is needed here"))
        out = [self.node(item, pointer(ptr, i)) for i, item in enumerate(items or [])]
        return tuple(node for node in out if node is not None)

    def node(self, value: Any, ptr: str) -> Node | None:
        data = self.c.mapping(value, ptr, AN_INDICATOR)
        if data is None:
            return None
        self.c.keys(data, ptr, _NODE_KEYS, ("code", "name", "max"))
        code = self.code(data.get("code"), pointer(ptr, "code")) if "code" in data else None
        name = str(data.get("name", code or ""))
        label = partial(_indicator_label, name)  # made only for a problem
        node_max = (
            self.c.number(data["max"], pointer(ptr, "max"), lambda: _("the max of %(label)s", label=label()),
                          positive=True)
            if "max" in data
            else None
        )
        has_rule, has_children = "rule" in data, "children" in data
        if has_rule == has_children:
            self.c.add(ptr, _("%(label)s needs either a rule (a leaf) or children, not both", label=label())
                       if has_rule else
                       _("%(label)s needs either a rule (a leaf) or children, not neither", label=label()))
        rule = self.rule(data["rule"], pointer(ptr, "rule"), node_max or Decimal(1)) if has_rule else None
        children = (
            self.nodes(data["children"], pointer(ptr, "children"), node_max or Decimal(1)) if has_children else ()
        )
        if code is None or node_max is None:
            return None
        node = Node(
            code=code,
            name=name,
            max=node_max,
            pointer=ptr,
            rule=rule,
            children=children,
            **self.options(data, ptr, label, children),
        )
        if children:
            self.check_children(node, data, ptr, label)
        return node

    def code(self, value: Any, ptr: str) -> str | None:
        code = self.c.code(value, ptr, INDICATOR_CODE)
        if code is None:
            return None
        if code in _RESERVED:
            self.c.add(ptr, _("'%(code)s' is a reserved word in expressions; choose another code", code=code))
        elif code in self.codes:
            self.c.add(ptr, _("the code '%(code)s' is already used at %(first)s; codes must be unique", code=code,
                              first=self.codes[code]))
        else:
            self.codes[code] = ptr
        return code

    def rule(self, value: Any, ptr: str, node_max: Decimal) -> Rule | None:
        data = self.c.mapping(value, ptr, "rule")
        parsed = parse_rule_params(self.c, data, ptr, node_max) if data is not None else None
        return Rule(kind=parsed[0], params=parsed[1]) if parsed else None

    def options(self, data: Mapping[str, Any], ptr: str, label: Callable[[], str],
                children: tuple[Node, ...]) -> dict[str, Any]:
        c = self.c
        out: dict[str, Any] = {}
        if "aggregate" in data:
            out["aggregate"] = (
                c.choice(
                    data["aggregate"], pointer(ptr, "aggregate"), "aggregate", ("sum", "weighted", "mean", "formula")
                )
                or "sum"
            )
        if "formula" in data:
            out["formula"] = self.expression(data["formula"], pointer(ptr, "formula"))
        if out.get("aggregate") == "formula" and out.get("formula") is None and "formula" not in data:
            c.add(pointer(ptr, "formula"), _("%(label)s aggregates by formula but has no formula", label=label()))
        if "formula" in data and out.get("aggregate") != "formula":
            c.add(pointer(ptr, "formula"), _("a formula is only used with aggregate: formula"))
        for key in ("cap", "bonus"):
            if key in data:
                out[key] = bool(c.boolean(data[key], pointer(ptr, key), key))
        if "weight" in data:
            weight = percent_or_number(data["weight"], as_fraction=False)
            if weight is None or weight <= 0:
                c.add(pointer(ptr, "weight"), too_large("weight", data["weight"]) or
                      _("the weight of %(label)s must be a percentage above 0, such as 30 or 30%%", label=label()))
            out["weight"] = weight
        if "missing" in data:
            out["missing"] = (
                c.choice(data["missing"], pointer(ptr, "missing"), "missing", ("zero", "full", "error")) or "zero"
            )
        if "applies_to" in data:
            out["applies_to"] = self.applies_to(data["applies_to"], pointer(ptr, "applies_to"))
        if "not_assigned" in data:
            out["not_assigned"] = self.not_assigned(data["not_assigned"], pointer(ptr, "not_assigned"))
        for key, parse in (("documents", parse_documents), ("lookback", parse_lookback)):
            if key not in data:
                continue
            if children or "rule" not in data:
                c.add(pointer(ptr, key), _("%(key)s belongs on a leaf (a task with a rule), not on %(label)s", key=key,
                                           label=label()))
                continue
            out[key] = parse(c, data[key], pointer(ptr, key))
        return out

    def expression(self, value: Any, ptr: str) -> CompiledExpression | None:
        return compile_checked(self.c, value, ptr)

    def applies_to(self, value: Any, ptr: str) -> AppliesTo | None:
        if isinstance(value, list):
            for i, group in enumerate(value):
                if group not in self.groups:
                    self.c.add(pointer(ptr, i),
                               _("applies_to names the group %(group)r, which is not in groups", group=group))
            return AppliesTo(groups=tuple(str(g) for g in value))
        data = self.c.mapping(value, ptr, APPLIES_TO)
        if data is None:
            return None
        self.c.keys(data, ptr, ("attribute", "eq"), ("attribute", "eq"))
        attribute = self.c.text(data.get("attribute"), pointer(ptr, "attribute"), "attribute")
        return AppliesTo(attribute=attribute, eq=data.get("eq"))

    def not_assigned(self, value: Any, ptr: str) -> NotAssigned:
        if isinstance(value, str):
            kind = self.c.choice(value, ptr, "not_assigned", ("zero", "full", "peer_mean"))
            return NotAssigned(kind=cast(Any, kind or "zero"))
        data = self.c.mapping(value, ptr, "not_assigned")
        if data is None:
            return NotAssigned()
        if "transfer_to" in data:
            self.c.keys(data, ptr, ("transfer_to",))
            code = self.c.code(data["transfer_to"], pointer(ptr, "transfer_to"), "transfer_to")
            return NotAssigned(kind="transfer_to", transfer_to=code)
        self.c.keys(data, ptr, ("peer_mean", "peer_scope"))
        if "peer_mean" not in data:
            self.c.add(ptr, _("not_assigned is zero, full, peer_mean, {peer_mean: group} or {transfer_to: CODE}"))
        # {peer_mean: group} is shorthand for {peer_mean: true, peer_scope: group}
        default = data.get("peer_mean") if data.get("peer_mean") in ("all", "group") else "all"
        scope = self.c.choice(data.get("peer_scope", default), pointer(ptr, "peer_scope"), "peer_scope", _SCOPES)
        return NotAssigned(kind="peer_mean", peer_scope=cast(Any, scope or "all"))

    def check_children(self, node: Node, data: Mapping[str, Any], ptr: str, label: Callable[[], str]) -> None:
        regular = [child for child in node.children if not child.bonus]
        if node.aggregate == "sum" and not node.cap:
            total = sum((child.max for child in regular), Decimal(0))
            if total != node.max:
                self.c.add(pointer(ptr, "max"), _("the children of %(label)s add up to %(total)s points but its max "
                                                  "is %(max)s; fix the numbers or set cap: true", label=label(),
                                                  total=total, max=node.max))
        if node.aggregate == "weighted":
            self.check_weights(node, ptr, label)
        if node.aggregate == "formula" and node.formula is not None:
            known = {child.code for child in node.children}
            for name in sorted(node.formula.names - known):
                self.c.add(pointer(ptr, "formula"), _("the formula of %(label)s uses '%(name)s', which is not one of "
                                                      "its children (%(children)s)", label=label(), name=name,
                                                      children=", ".join(sorted(known))))
        self.check_transfers(node.children, pointer(ptr, "children"))

    def check_transfers(self, siblings: tuple[Node, ...], ptr: str) -> None:
        """transfer_to must name a sibling (top-level nodes are siblings of each other)."""
        for i, child in enumerate(siblings):
            transfer = child.not_assigned.transfer_to
            if transfer is not None and transfer not in {c.code for c in siblings if c is not child}:
                self.c.add(pointer(pointer(ptr, i), "not_assigned"),
                           _("transfer_to must name a sibling of '%(name)s', and '%(transfer)s' is not one",
                             name=child.name, transfer=transfer))

    def check_weights(self, node: Node, ptr: str, label: Callable[[], str]) -> None:
        weights = [child.weight for child in node.children]
        for i, child in enumerate(node.children):
            if child.weight is None:
                self.c.add(pointer(pointer(pointer(ptr, "children"), i), "weight"),
                           _("'%(name)s' needs a weight because %(label)s is weighted", name=child.name, label=label()))
        if all(w is not None for w in weights):
            total = sum((w for w in weights if w is not None), Decimal(0))
            if total != _HUNDRED:
                self.c.add(pointer(ptr, "children"), _("the weights of the children of %(label)s add up to %(total)s, "
                                                       "not 100", label=label(), total=total))


def _header(c: Checker, doc: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    scheme_id = doc.get("id")
    if "id" in doc and not (isinstance(scheme_id, str) and _ID_RE.fullmatch(scheme_id)):
        c.add("/id", _("id %(id)r must be a slug: lower-case letters, digits, '-' and '_'", id=scheme_id))
    out["id"] = str(scheme_id)
    out["version"] = c.integer(doc["version"], "/version", "version", low=1) if "version" in doc else 1
    out["title"] = c.text(doc["title"], "/title", "title") if "title" in doc else ""
    out["subject_kind"] = (
        c.choice(doc.get("subject_kind"), "/subject_kind", "subject_kind", ("unit", "person"))
        if "subject_kind" in doc
        else "unit"
    )
    out["period"] = (
        c.choice(doc.get("period"), "/period", "period", ("month", "quarter", "half", "year", "week"))
        if "period" in doc
        else "year"
    )
    out["precision"] = (
        c.integer(doc["precision"], "/precision", "precision", low=0, high=6) if "precision" in doc else 2
    )
    return out


def _groups(c: Checker, value: Any) -> tuple[str, ...]:
    items = c.seq(value, "/groups", "groups") or []
    out: list[str] = []
    for i, group in enumerate(items):
        if not isinstance(group, str | int) or isinstance(group, bool) or not str(group).strip():
            c.add(pointer("/groups", i), _("a group name must be text, not %(group)r", group=group))
        elif str(group) in out:
            c.add(pointer("/groups", i), _("the group %(group)r is listed twice", group=group))
        else:
            out.append(str(group))
    return tuple(out)


def _check_references(c: Checker, scheme_nodes: list[Node], total: CompiledExpression | None) -> None:
    codes = {node.code for node in scheme_nodes}
    for node in scheme_nodes:
        if node.rule is not None and isinstance(node.rule.params, RankPointsParams):
            of = node.rule.params.of
            if of is not None and of not in codes:
                c.add(pointer(node.pointer, "rule") + "/of",
                      _("rank_points of '%(name)s' ranks by '%(of)s', which is not an indicator code", name=node.name,
                        of=of))
            elif of == node.code:
                c.add(pointer(node.pointer, "rule") + "/of",
                      _("'%(name)s' cannot rank by its own score", name=node.name))
    if total is not None:
        for name in sorted(total.names - codes):
            c.add("/total", _("the total uses '%(name)s', which is not an indicator code", name=name))
    graph = node_dependencies(scheme_nodes, total)
    cycle = find_cycle(graph)
    if cycle:
        c.add("/indicators", _("these indicators depend on each other in a circle: %(cycle)s", cycle=" → ".join(cycle)))


def parse_scheme(document: Mapping[str, Any]) -> Scheme:
    """Validate a scheme document (§2–§10); raises SchemeInvalid listing every problem."""
    c = Checker()
    if not isinstance(document, Mapping):
        message = _("a scheme must be a mapping (key: value) at the top level")
        raise SchemeInvalid([Problem(message=message, pointer="/")])
    # §10: a roll-up scheme is built from sub-period results and may have no indicator tree.
    required = ("id", "version", "title", "subject_kind", "period")
    c.keys(document, "", _TOP_KEYS, required if "rollup" in document else (*required, "indicators"))
    header = _header(c, document)
    groups = _groups(c, document["groups"]) if "groups" in document else ()
    tree = _TreeParser(c, groups)
    rollup_without_tree = "rollup" in document and document.get("indicators") in (None, [])
    indicators = (
        tree.nodes(document.get("indicators"), "/indicators")
        if "indicators" in document and not rollup_without_tree else ()
    )
    tree.check_transfers(indicators, "/indicators")
    nodes = Scheme(
        id="", version=1, title="", subject_kind="unit", period="year", precision=2, groups=(), indicators=indicators
    ).nodes()
    total = compile_checked(c, document["total"], "/total") if "total" in document else None
    _check_references(c, nodes, total)
    codes = frozenset(node.code for node in nodes)
    vetoes = parse_vetoes(c, document.get("vetoes", []))
    grading = parse_grading(c, document["grading"]) if "grading" in document else None
    grades = frozenset(grading.grade_order) if grading else frozenset()
    for i, veto in enumerate(vetoes):
        if veto.grade is not None and veto.grade not in grades:
            c.add(f"/vetoes/{i}/effect", _("the veto names the grade %(grade)r, which grading does not define",
                                           grade=veto.grade))
    labels = parse_labels(c, document.get("labels", []), groups, grades)
    label_names = {label.label for label in labels} | {v.label for v in vetoes if v.label}
    rewards = parse_rewards(c, document.get("rewards", []), grades, frozenset(label_names), codes)
    ranking = parse_ranking(c, document["ranking"], codes) if "ranking" in document else None
    rollup = parse_rollup(c, document["rollup"], grades) if "rollup" in document else None
    publication = parse_publication(c, document["publication"]) if "publication" in document else None
    if c.problems:
        raise SchemeInvalid(c.problems)
    extra: dict[str, Any] = {"ranking": ranking} if ranking is not None else {}
    return Scheme(
        groups=groups,
        indicators=indicators,
        total=total,
        vetoes=vetoes,
        grading=grading,
        labels=labels,
        rewards=rewards,
        rollup=rollup,
        publication=publication,
        document=document,
        warnings=tuple(c.warnings),
        **header,
        **extra,
    )
