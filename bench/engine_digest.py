"""SHA-256 of the full result documents, to prove an engine optimisation changes no byte.

    python bench/engine_digest.py --subjects 2000   # run before and after a change; compare

Prints one line per input: the bench period of N subjects (bench/engine.py's data), the same
period with every 7th fact damaged in one of many ways (so every problem message is compared too),
and every example scheme in examples/schemes with its facts file, each as `sha256  name`.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import random
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine import facts_document, scheme_document  # noqa: E402

from kaohe.engine import evaluate  # noqa: E402
from kaohe.engine.ranking import dumps_result  # noqa: E402
from kaohe.engine.scheme import load_document  # noqa: E402


def digest(scheme_doc: object, facts_doc: object) -> str:
    return hashlib.sha256(dumps_result(evaluate(scheme_doc, facts_doc)).encode()).hexdigest()  # type: ignore[arg-type]


DAMAGE: list[tuple[str, Any]] = [
    ("points", "x"),
    ("points", None),
    ("points", 7.25),
    ("points", Decimal("7.50")),
    ("points", -3),
    ("points", 150),
    ("count", -1),
    ("count", "2"),
    ("count", [1]),
    ("type", "unknown"),
    ("type", ["late"]),
    ("level", "区级"),
    ("level", {"a": 1}),
    ("value", "n/a"),
    ("value", 0),
    ("value", 0.5),
    ("month", ""),
    ("month", 202601),
    ("weight", -1),
    ("grade", "极好"),
    ("grade", None),
    ("round", 2),
    ("status", "excused"),
    ("status", "missing"),
    ("status", "late"),
    ("task_id", None),
    ("completed", "yes"),
    ("subject", "nobody"),
    ("subject", 3),
    ("indicator", "part_0"),
    ("indicator", "nope"),
    ("fact", "measure"),
    ("key", None),
    ("justified", True),
    ("id", 12),
]


def damaged(facts_doc: dict[str, Any]) -> dict[str, Any]:
    """The period with every 7th fact damaged (a field set to a bad or unusual value) and a few strays."""
    rng = random.Random(11)
    doc = copy.deepcopy(facts_doc)
    for n, fact in enumerate(doc["facts"]):
        if n % 7 == 3:
            field, value = rng.choice(DAMAGE)
            fact[field] = value
    doc["facts"] += ["not a fact", {"id": "x1", "subject": "s000001", "fact": "event", "type": "other"}]
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=2000)
    args = parser.parse_args()
    facts_doc = facts_document(args.subjects)
    scheme_doc = scheme_document(facts_doc.pop("groups"))
    print(f"{digest(scheme_doc, facts_doc)}  bench-{args.subjects}")
    print(f"{digest(scheme_doc, damaged(facts_doc))}  bench-{args.subjects}-damaged")
    for scheme_path in sorted((ROOT / "examples" / "schemes").glob("*.yaml")):
        facts_path = scheme_path.with_name(scheme_path.stem + ".facts.json")
        if facts_path.exists():
            print(f"{digest(load_document(scheme_path), load_document(facts_path))}  {scheme_path.stem}")


if __name__ == "__main__":
    main()
