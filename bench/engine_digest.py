"""SHA-256 of the full result documents, to prove an engine optimisation changes no byte.

    python bench/engine_digest.py --subjects 2000   # run before and after a change; compare

Prints one line per input: the bench period of N subjects (bench/engine.py's data) and every
example scheme in examples/schemes with its facts file, each as `sha256  name`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine import facts_document, scheme_document  # noqa: E402

from services.ranking.engine import dumps_result, evaluate  # noqa: E402
from services.scoring.engine import load_document  # noqa: E402


def digest(scheme_doc: object, facts_doc: object) -> str:
    return hashlib.sha256(dumps_result(evaluate(scheme_doc, facts_doc)).encode()).hexdigest()  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=2000)
    args = parser.parse_args()
    facts_doc = facts_document(args.subjects)
    scheme_doc = scheme_document(facts_doc.pop("groups"))
    print(f"{digest(scheme_doc, facts_doc)}  bench-{args.subjects}")
    for scheme_path in sorted((ROOT / "examples" / "schemes").glob("*.yaml")):
        facts_path = scheme_path.with_name(scheme_path.stem + ".facts.json")
        if facts_path.exists():
            print(f"{digest(load_document(scheme_path), load_document(facts_path))}  {scheme_path.stem}")


if __name__ == "__main__":
    main()
