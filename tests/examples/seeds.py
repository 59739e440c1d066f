"""Loading and evaluating the seed schemes of `examples/schemes/` for the example tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kaohe.engine import evaluate, parse_scheme
from kaohe.engine.scheme import load_document

SCHEMES = Path(__file__).resolve().parents[2] / "examples" / "schemes"


def run_seed(stem: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Validate the scheme `stem`, evaluate it on its facts; the result and its subjects by id."""
    scheme = load_document(SCHEMES / f"{stem}.yaml")
    facts = load_document(SCHEMES / f"{stem}.facts.json")
    parse_scheme(scheme)  # the scheme validates: raises nothing
    result = evaluate(scheme, facts)
    return result, {s["id"]: s for s in result["subjects"]}


def holders(subjects: dict[str, dict[str, Any]], label: str) -> set[str]:
    """The ids of the subjects that received `label`."""
    return {sid for sid, s in subjects.items() if label in s["labels"]}
