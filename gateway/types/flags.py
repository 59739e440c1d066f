"""Veto flags (一票否决) as typed objects: the event, the effect and its argument, the fact that raised it."""

from __future__ import annotations

from typing import Any

import strawberry

# effects whose argument names a grade, a number of places, a label (the engine's §5 shapes)
ARGUMENTS = {"grade": "grade", "max_grade": "grade", "bottom": "bottom", "no_label": "label"}


@strawberry.type(description="A veto applied to a subject: the event type, its effect (zero_total, grade, max_grade, "
                             "downgrade, bottom, no_label, no_labels, no_reward) with its argument, and the fact "
                             "that raised it.")
class VetoFlag:
    veto: str = strawberry.field(description="The event type of the veto, e.g. verified_complaint.")
    effect: str = strawberry.field(description="zero_total | grade | max_grade | downgrade | bottom | no_label | "
                                               "no_labels | no_reward")
    grade: str | None = strawberry.field(description="The grade forced (grade) or the highest allowed (max_grade).")
    bottom: int | None = strawberry.field(description="bottom: the subject ranks within the last n of its scope.")
    label: str | None = strawberry.field(description="no_label: the label the subject is barred from.")
    fact: str | None = strawberry.field(description="The id of the fact (event) that raised the veto.")

    @classmethod
    def from_json(cls, flag: Any) -> VetoFlag:
        row = flag if isinstance(flag, dict) else {}
        effect, argument = _effect(row.get("effect"))
        kind = ARGUMENTS.get(effect)
        return cls(veto=str(row.get("veto", "")), effect=effect,
                   grade=str(argument) if kind == "grade" else None,
                   bottom=int(argument) if kind == "bottom" and str(argument).isdigit() else None,
                   label=str(argument) if kind == "label" else None,
                   fact=str(row["fact"]) if row.get("fact") is not None else None)


def _effect(raw: Any) -> tuple[str, Any]:
    """A veto's effect as written in the scheme: a name, or a mapping of one name to its argument."""
    if isinstance(raw, dict) and len(raw) == 1:
        ((name, argument),) = raw.items()
        return str(name), argument
    return str(raw or ""), None


def veto_flags(row: dict[str, Any]) -> list[VetoFlag]:
    """The `flags` of a service's result or score row, typed."""
    return [VetoFlag.from_json(flag) for flag in row.get("flags") or []]
