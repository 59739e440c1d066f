"""Parsing of the scheme sections after the tree: vetoes §5, ranking §6, grading §7, labels §8,
rewards §9, roll-up §10, publication (the 公示 window)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from itertools import pairwise
from typing import Any, cast

from kaohe.i18n import _

from .checks import Checker, compile_checked, pointer
from .expression import CompiledExpression
from .model import (
    DEFAULT_PUBLIC_COLUMNS,
    PUBLIC_COLUMNS,
    AttributeCondition,
    Distribution,
    GradeBand,
    GradeCount,
    Grading,
    Label,
    LabelWhere,
    PublicationRules,
    Quota,
    Ranking,
    Reward,
    Rollup,
    RollupGradeRule,
    Veto,
)

_SIMPLE_EFFECTS = ("zero_total", "downgrade", "no_labels", "no_reward")
_KEYED_EFFECTS = ("grade", "max_grade", "bottom", "no_label")
_OPS = ("lt", "lte", "gt", "gte", "eq", "ne")
_ROUNDINGS = ("floor", "ceil", "round")
# the phrases the checks name what they read by (made once; see checks.py)
A_VETO_EFFECT = _("a veto effect")
THE_LABEL = _("the label")
THE_GRADE = _("the grade")
THIS_LIST = _("this list")
GRADE = _("grade")
LABEL = _("label")
AN_AMOUNT = _("an amount")
THIS_TABLE = _("this table")
A_PUBLIC_COLUMN = _("a public column")


def _named(value: Any, names: Collection[str]) -> bool:
    """A user-written name that is one of `names` (unhashable values are simply not names)."""
    return isinstance(value, str) and value in names


def _items(c: Checker, value: Any, ptr: str, what: str) -> list[tuple[str, Mapping[str, Any]]]:
    out = []
    for i, item in enumerate(c.seq(value, ptr, what) or []):
        data = c.mapping(item, pointer(ptr, i), lambda: _("each entry of %(what)s", what=what))
        if data is not None:
            out.append((pointer(ptr, i), data))
    return out


def parse_vetoes(c: Checker, value: Any) -> tuple[Veto, ...]:
    """§5 vetoes: an event type and one effect each."""
    out = []
    for ptr, data in _items(c, value, "/vetoes", "vetoes"):
        c.keys(data, ptr, ("event", "effect"), ("event", "effect"))
        event = c.text(data.get("event"), pointer(ptr, "event"), "event") if "event" in data else None
        veto = _effect(c, data.get("effect"), pointer(ptr, "effect"), event) if "effect" in data else None
        if veto is not None:
            out.append(veto)
    return tuple(out)


def _effect(c: Checker, effect: Any, ptr: str, event: str | None) -> Veto | None:
    if isinstance(effect, str):
        kind = c.choice(effect, ptr, A_VETO_EFFECT, _SIMPLE_EFFECTS + _KEYED_EFFECTS)
        if kind in _KEYED_EFFECTS:
            c.add(ptr, _("the effect %(kind)s needs a value, written as {%(kind)s: ...}", kind=kind))
            return None
        return Veto(event=event, effect=cast(Any, kind), raw_effect=effect) if kind and event else None
    data = c.mapping(effect, ptr, A_VETO_EFFECT)
    if data is None:
        return None
    if len(data) != 1 or next(iter(data)) not in _KEYED_EFFECTS:
        c.keys(data, ptr, _KEYED_EFFECTS)
        c.add(ptr, _("a veto effect is one of %(effects)s or one of {grade: G}, {max_grade: G}, {bottom: n}, "
                     "{no_label: L}", effects=", ".join(_SIMPLE_EFFECTS)))
        return None
    kind, arg = next(iter(data.items()))
    extra: dict[str, Any] = {}
    if kind == "bottom":
        extra["bottom"] = c.integer(arg, pointer(ptr, "bottom"), "bottom", low=1)
    elif kind == "no_label":
        extra["label"] = c.text(arg, pointer(ptr, kind), THE_LABEL)
    else:
        extra["grade"] = c.text(arg, pointer(ptr, kind), THE_GRADE)
    if event is None or None in extra.values():
        return None
    return Veto(event=event, effect=cast(Any, kind), raw_effect=dict(data), **extra)


def parse_ranking(c: Checker, value: Any, codes: frozenset[str]) -> Ranking | None:
    """§6 ranking: scope, order keys (total or codes), ascending, rank_ungraded."""
    data = c.mapping(value, "/ranking", "ranking")
    if data is None:
        return None
    c.keys(data, "/ranking", ("scope", "order", "ascending", "rank_ungraded"))
    known = codes | {"total"}
    order = _code_list(c, data.get("order", ["total"]), "/ranking/order", known)
    if "order" in data and not order:
        c.add("/ranking/order", _("order needs at least one key, such as total"))
    ascending = _code_list(c, data.get("ascending", []), "/ranking/ascending", known)
    scope = c.choice(data.get("scope", "group"), "/ranking/scope", "scope", ("group", "all")) or "group"
    rank_ungraded = c.boolean(data.get("rank_ungraded", True), "/ranking/rank_ungraded", "rank_ungraded")
    return Ranking(
        scope=cast(Any, scope),
        order=tuple(order) or ("total",),
        ascending=frozenset(ascending),
        rank_ungraded=rank_ungraded is not False,
    )


def _code_list(c: Checker, value: Any, ptr: str, known: frozenset[str]) -> list[str]:
    out = []
    for i, key in enumerate(c.seq(value, ptr, THIS_LIST) or []):
        if isinstance(key, str) and key in known:
            out.append(key)
        else:
            c.add(pointer(ptr, i), _("'%(key)s' is neither total nor an indicator code", key=key))
    return out


def parse_grading(c: Checker, value: Any) -> Grading | None:
    """§7 grading: bands (catch-all last), quotas, conditions."""
    data = c.mapping(value, "/grading", "grading")
    if data is None:
        return None
    c.keys(
        data,
        "/grading",
        ("bands", "quotas", "ties_at_quota", "ungraded_when", "force_grade_when", "max_grade_when"),
        ("bands",),
    )
    bands = _grade_bands(c, data.get("bands", []), "/grading/bands")
    grades = {band.grade for band in bands}
    quotas = _quotas(c, data.get("quotas", []), "/grading/quotas", grades)
    ties = (
        c.choice(
            data.get("ties_at_quota", "exclude"), "/grading/ties_at_quota", "ties_at_quota", ("exclude", "include")
        )
        or "exclude"
    )
    conditions = {
        key: _conditions(c, data.get(key, []), f"/grading/{key}", grades, key != "ungraded_when")
        for key in ("ungraded_when", "force_grade_when", "max_grade_when")
    }
    return Grading(bands=bands, quotas=quotas, ties_at_quota=cast(Any, ties), **conditions)


def _grade_bands(c: Checker, value: Any, ptr: str) -> tuple[GradeBand, ...]:
    bands: list[GradeBand] = []
    items = _items(c, value, ptr, "bands")
    for n, (at, data) in enumerate(items):
        c.keys(data, at, ("grade", "min", "inclusive"), ("grade",))
        grade = c.text(data.get("grade"), pointer(at, "grade"), "grade") if "grade" in data else None
        low = c.number(data["min"], pointer(at, "min"), "min") if "min" in data else None
        inclusive = c.boolean(data.get("inclusive", True), pointer(at, "inclusive"), "inclusive")
        if "min" not in data and n != len(items) - 1:
            c.add(at, _("only the last band may leave out min (it catches everyone else)"))
        if grade is not None and grade in {b.grade for b in bands}:
            c.add(pointer(at, "grade"), _("the grade %(grade)r is listed twice", grade=grade))
        if grade is not None:
            bands.append(GradeBand(grade=grade, min=low, inclusive=inclusive is not False))
    if items and "min" in items[-1][1]:
        c.add(ptr, _("the last band must be a catch-all without min, such as {grade: 不称职}"))
    if not items:
        c.add(ptr, _("grading needs at least one band"))
    mins = [band.min for band in bands if band.min is not None]
    if any(a < b for a, b in pairwise(mins)):
        c.add(ptr, _("bands must be listed from the highest min to the lowest"))
    return tuple(bands)


def _quotas(c: Checker, value: Any, ptr: str, grades: set[str]) -> tuple[Quota, ...]:
    out = []
    for at, data in _items(c, value, ptr, "quotas"):
        c.keys(data, at, ("grade", "max_share", "rounding"), ("grade", "max_share"))
        grade = data.get("grade")
        if "grade" in data and not _named(grade, grades):
            c.add(pointer(at, "grade"),
                  _("the quota names the grade %(grade)r, which the bands do not define", grade=grade))
        share = c.share(data["max_share"], pointer(at, "max_share"), "max_share") if "max_share" in data else None
        rounding = c.choice(data.get("rounding", "floor"), pointer(at, "rounding"), "rounding", _ROUNDINGS)
        if _named(grade, grades) and share is not None and rounding is not None:
            out.append(Quota(grade=str(grade), max_share=share, rounding=cast(Any, rounding)))
    return tuple(out)


def _conditions(c: Checker, value: Any, ptr: str, grades: set[str], with_grade: bool) -> tuple[AttributeCondition, ...]:
    out = []
    allowed = ("attribute", *_OPS, "grade") if with_grade else ("attribute", *_OPS)
    for at, data in _items(c, value, ptr, "conditions"):
        c.keys(data, at, allowed, ("attribute", "grade") if with_grade else ("attribute",))
        ops = [op for op in _OPS if op in data]
        if len(ops) != 1:
            c.add(at, _("a condition needs exactly one comparison of %(ops)s", ops=", ".join(_OPS)))
            continue
        grade = data.get("grade")
        if with_grade and "grade" in data and not _named(grade, grades):
            c.add(pointer(at, "grade"), _("the condition names the grade %(grade)r, which the bands do not define",
                                          grade=grade))
            continue
        attribute = c.text(data.get("attribute"), pointer(at, "attribute"), "attribute")
        raw = data[ops[0]]
        if ops[0] not in ("eq", "ne") and c.number(raw, pointer(at, ops[0]), ops[0]) is None:
            continue
        if attribute is not None:
            out.append(
                AttributeCondition(
                    attribute=attribute, op=cast(Any, ops[0]), value=raw, grade=str(grade) if with_grade else None
                )
            )
    return tuple(out)


_LABEL_RANKS = ("top", "bottom", "top_share", "bottom_share")


def parse_labels(c: Checker, value: Any, groups: tuple[str, ...], grades: frozenset[str]) -> tuple[Label, ...]:
    """§8 labels."""
    out = []
    for at, data in _items(c, value, "/labels", "labels"):
        c.keys(data, at, ("label", *_LABEL_RANKS, "rounding", "where", "groups"), ("label",))
        name = c.text(data.get("label"), pointer(at, "label"), "label") if "label" in data else None
        present = [key for key in _LABEL_RANKS if key in data]
        if len(present) > 1 or (not present and "where" not in data):
            c.add(at, _("a label needs exactly one of top, bottom, top_share, bottom_share (or only where)"))
        fields: dict[str, Any] = {}
        for key in present:
            if key.endswith("_share"):
                fields[key] = c.share(data[key], pointer(at, key), key)
            else:
                fields[key] = c.integer(data[key], pointer(at, key), key, low=1)
        rounding = c.choice(data.get("rounding", "floor"), pointer(at, "rounding"), "rounding", _ROUNDINGS)
        where = _where(c, data["where"], pointer(at, "where"), grades) if "where" in data else None
        label_groups = _label_groups(c, data["groups"], pointer(at, "groups"), groups) if "groups" in data else None
        if name is not None:
            out.append(
                Label(label=name, rounding=cast(Any, rounding or "floor"), where=where, groups=label_groups, **fields)
            )
    return tuple(out)


def _where(c: Checker, value: Any, ptr: str, grades: frozenset[str]) -> LabelWhere | None:
    data = c.mapping(value, ptr, "where")
    if data is None:
        return None
    c.keys(data, ptr, ("grade", "total_lt", "total_gte"))
    if "grade" in data and not _named(data["grade"], grades):
        c.add(pointer(ptr, "grade"), _("where names the grade %(grade)r, which grading does not define",
                                       grade=data["grade"]))
    lt = c.number(data["total_lt"], pointer(ptr, "total_lt"), "total_lt") if "total_lt" in data else None
    gte = c.number(data["total_gte"], pointer(ptr, "total_gte"), "total_gte") if "total_gte" in data else None
    grade = data.get("grade")
    return LabelWhere(grade=str(grade) if grade is not None else None, total_lt=lt, total_gte=gte)


def _label_groups(c: Checker, value: Any, ptr: str, groups: tuple[str, ...]) -> tuple[str, ...]:
    items = c.seq(value, ptr, "groups") or []
    for i, group in enumerate(items):
        if group not in groups:
            c.add(pointer(ptr, i), _("the group %(group)r is not in the scheme's groups", group=group))
    return tuple(str(g) for g in items)


_REWARD_KINDS = ("by_grade", "by_rank", "pool", "by_label", "amount")
_PERSON_NAMES = frozenset({"score", "total"})


def parse_rewards(
    c: Checker, value: Any, grades: frozenset[str], labels: frozenset[str], codes: frozenset[str]
) -> tuple[Reward, ...]:
    """§9 rewards: exactly one of by_grade / by_rank / pool (+weight) / by_label / amount, and optionally
    `distribute` (docs/scheme-reference.md §10.1)."""
    out = []
    for at, data in _items(c, value, "/rewards", "rewards"):
        c.keys(data, at, ("name", *_REWARD_KINDS, "weight", "prorate", "scope", "distribute"), ("name",))
        present = [key for key in _REWARD_KINDS if key in data]
        if len(present) != 1:
            c.add(at, _("a reward needs exactly one of by_grade, by_rank, pool, by_label, amount"))
        fields: dict[str, Any] = {}
        if "by_grade" in data:
            fields["by_grade"] = _amounts(c, data["by_grade"], pointer(at, "by_grade"), grades, GRADE)
        if "by_label" in data:
            fields["by_label"] = _amounts(c, data["by_label"], pointer(at, "by_label"), labels, LABEL)
        if "by_rank" in data:
            items = c.seq(data["by_rank"], pointer(at, "by_rank"), "by_rank") or []
            fields["by_rank"] = tuple(
                c.number(x, pointer(pointer(at, "by_rank"), i), AN_AMOUNT) or Decimal(0)
                for i, x in enumerate(items)
            )
        if "pool" in data:
            fields["pool"] = c.number(data["pool"], pointer(at, "pool"), "pool", non_negative=True)
            if "weight" not in data:
                c.add(pointer(at, "weight"), _("a pool reward needs a weight expression, such as total"))
        elif "weight" in data:
            c.add(pointer(at, "weight"), _("weight is only used with pool"))
        for key in ("weight", "prorate", "amount"):
            if key in data:
                fields[key] = _reward_expression(c, data[key], pointer(at, key), codes)
        if "distribute" in data:
            fields["distribute"] = _distribution(c, data["distribute"], pointer(at, "distribute"))
        scope = c.choice(data.get("scope", "group"), pointer(at, "scope"), "scope", ("group", "all"))
        name = c.text(data.get("name"), pointer(at, "name"), "name") if "name" in data else None
        if name is not None:
            out.append(Reward(name=name, scope=cast(Any, scope or "group"), **fields))
    names = [reward.name for reward in out]
    for i, name in enumerate(names):
        if name in names[:i]:
            c.add(f"/rewards/{i}/name", _("the reward name %(name)r is used twice", name=name))
    return tuple(out)


def _amounts(c: Checker, value: Any, ptr: str, known: frozenset[str], what: str) -> dict[str, Decimal]:
    data = c.mapping(value, ptr, THIS_TABLE)
    out: dict[str, Decimal] = {}
    for key, amount in (data or {}).items():
        if key not in known:
            c.add(pointer(ptr, key), _("%(key)r is not a %(what)s of this scheme", key=key, what=what))
        number = c.number(amount, pointer(ptr, key), AN_AMOUNT)
        if number is not None:
            out[str(key)] = number
    return out


def _distribution(c: Checker, value: Any, ptr: str) -> Distribution | None:
    """001 篇4 二次分配: the attribute listing the unit's people and the weight of each person."""
    data = c.mapping(value, ptr, "distribute")
    if data is None:
        return None
    c.keys(data, ptr, ("members", "weight"), ("members", "weight"))
    members = c.text(data.get("members"), pointer(ptr, "members"), "members") if "members" in data else None
    if members is not None and not members.isidentifier():
        c.add(pointer(ptr, "members"), _("members names the attribute listing the people, such as staff; "
                                         "%(members)r is not a plain attribute name", members=members))
        members = None
    weight = compile_checked(c, data["weight"], pointer(ptr, "weight")) if "weight" in data else None
    if weight is not None:
        for name in sorted(weight.names - _PERSON_NAMES):
            c.add(pointer(ptr, "weight"), _("the weight may use score, total and attr.NAME (the person's "
                                            "attributes); '%(name)s' is none of them", name=name))
    if members is None or weight is None:
        return None
    return Distribution(members=members, weight=weight)


def _reward_expression(c: Checker, value: Any, ptr: str, codes: frozenset[str]) -> CompiledExpression | None:
    expr = compile_checked(c, value, ptr)
    if expr is not None:
        for name in sorted(expr.names - codes - {"total"}):
            c.add(ptr, _("the expression uses '%(name)s', which is neither total nor an indicator code", name=name))
    return expr


def parse_rollup(c: Checker, value: Any, grades: frozenset[str]) -> Rollup | None:
    """§10 roll-up."""
    data = c.mapping(value, "/rollup", "rollup")
    if data is None:
        return None
    c.keys(data, "/rollup", ("from", "total", "grade_rules"), ("from",))
    source = c.text(data.get("from"), "/rollup/from", "from") if "from" in data else None
    total = c.choice(data.get("total", "mean"), "/rollup/total", "total", ("mean", "sum")) or "mean"
    rules = []
    for at, rule in _items(c, data.get("grade_rules", []), "/rollup/grade_rules", "grade_rules"):
        c.keys(rule, at, ("count", "grade", "within_quota"), ("count", "grade"))
        count = _grade_count(c, rule.get("count"), pointer(at, "count"), grades) if "count" in rule else None
        grade = rule.get("grade")
        if "grade" in rule and not _named(grade, grades):
            c.add(pointer(at, "grade"), _("the grade %(grade)r is not defined by grading", grade=grade))
        within = c.boolean(rule.get("within_quota", False), pointer(at, "within_quota"), "within_quota")
        if count is not None and _named(grade, grades):
            rules.append(RollupGradeRule(count=count, grade=str(grade), within_quota=bool(within)))
    return Rollup(source=source or "", total=cast(Any, total), grade_rules=tuple(rules)) if source else None


def _grade_count(c: Checker, value: Any, ptr: str, grades: frozenset[str]) -> GradeCount | None:
    data = c.mapping(value, ptr, "count")
    if data is None:
        return None
    ops = ("gte", "eq", "lte", "gt", "lt")
    c.keys(data, ptr, ("grade", *ops), ("grade",))
    present = [op for op in ops if op in data]
    if len(present) != 1:
        c.add(ptr, _("count needs exactly one of gte, eq, lte, gt, lt"))
        return None
    if not _named(data.get("grade"), grades):
        c.add(pointer(ptr, "grade"), _("the grade %(grade)r is not defined by grading", grade=data.get("grade")))
        return None
    number = c.integer(data[present[0]], pointer(ptr, present[0]), present[0], low=0)
    if number is None:
        return None
    return GradeCount(grade=str(data["grade"]), op=cast(Any, present[0]), value=number)


MAX_PUBLICATION_DAYS = 30
MAX_PROCEDURE = 1000


def parse_publication(c: Checker, value: Any) -> PublicationRules | None:
    """The 公示 window: `working_days` (the window, and the shortest a request may ask) and
    `republication_working_days` (the shortest window of a re-publication after results changed; at most
    `working_days`), each a whole number of working days from 1 to 30."""
    data = c.mapping(value, "/publication", "publication")
    if data is None:
        return None
    c.keys(data, "/publication", ("working_days", "republication_working_days", "public_columns",
                                  "objection_procedure"))
    columns = _public_columns(c, data.get("public_columns", list(DEFAULT_PUBLIC_COLUMNS)))
    procedure = None
    if "objection_procedure" in data:
        procedure = c.text(data["objection_procedure"], "/publication/objection_procedure", "objection_procedure")
        if procedure is not None and len(procedure) > MAX_PROCEDURE:
            c.add("/publication/objection_procedure", _("objection_procedure has at most %(most)s characters",
                                                       most=MAX_PROCEDURE))
            procedure = None
    days: dict[str, int | None] = {}
    for key in ("working_days", "republication_working_days"):
        at = pointer("/publication", key)
        if key not in data:
            days[key] = None
        elif isinstance(data[key], bool):
            c.add(at, _("%(key)s must be a whole number of working days, not %(value)r", key=key, value=data[key]))
            days[key] = None
        else:
            days[key] = c.integer(data[key], at, key, low=1, high=MAX_PUBLICATION_DAYS)
    full, short = days["working_days"], days["republication_working_days"]
    if full is not None and short is not None and short > full:
        c.add("/publication/republication_working_days",
              _("a re-publication cannot be longer than the publication itself (%(short)s > %(full)s working days)",
                short=short, full=full))
        return None
    return PublicationRules(working_days=full, republication_working_days=short, public_columns=columns,
                            objection_procedure=procedure)


def _public_columns(c: Checker, value: Any) -> tuple[str, ...]:
    """The columns of the public 公示 (`publication.public_columns`): a non-empty list of PUBLIC_COLUMNS, each
    once, shown in PUBLIC_COLUMNS' order."""
    items = c.seq(value, "/publication/public_columns", "public_columns")
    if items is None:
        return DEFAULT_PUBLIC_COLUMNS
    if not items:
        c.add("/publication/public_columns", _("public_columns needs at least one column"))
    chosen = {c.choice(item, pointer("/publication/public_columns", str(i)), A_PUBLIC_COLUMN, PUBLIC_COLUMNS)
              for i, item in enumerate(items)}
    return tuple(column for column in PUBLIC_COLUMNS if column in chosen) or DEFAULT_PUBLIC_COLUMNS
