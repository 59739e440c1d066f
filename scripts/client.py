"""Regenerate the typed Python client (kaohe_client/) and its persisted-query manifest (client/persisted.json).

    python scripts/client.py [--out DIR]

ariadne-codegen (pinned below) writes kaohe_client/ from gateway/schema.graphql and the operations in
client/operations/, as client/codegen.toml says. It needs a graphql-core older than strawberry's, so it runs from
its own virtual environment: `$KAOHE_CODEGEN` names its executable, else one is made once under the user's cache
folder. The manifest holds, under its SHA-256, each document exactly as the generated client sends it, so a
gateway in `allowlist` mode (KAOHE_GATEWAY_PERSISTED_QUERIES_FILE) admits the client's operations; each is
checked against the production schema as the gateway checks its manifest. `--out DIR` writes both into DIR
instead (tests/client/ compares them with the committed ones)."""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODEGEN = "ariadne-codegen==0.19.0"
CONFIG = ROOT / "client" / "codegen.toml"
PACKAGE = "kaohe_client"
MANIFEST = ROOT / "client" / "persisted.json"


def codegen_executable() -> Path:
    """ariadne-codegen's executable: `$KAOHE_CODEGEN`, else a virtual environment of its own, made once."""
    if named := os.environ.get("KAOHE_CODEGEN"):
        return Path(named)
    from platformdirs import user_cache_dir

    home = Path(user_cache_dir("kaohe")) / ("codegen-" + CODEGEN.split("==")[1])
    executable = home / "bin" / "ariadne-codegen"
    if not executable.exists():
        venv.create(home, with_pip=True, clear=True)
        subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", CODEGEN], check=True)
    return executable


def generate(out: Path) -> Path:
    """Write the client package into `out` (its parent folder); returns the package's folder."""
    config = CONFIG.read_text(encoding="utf-8").replace('target_package_path = "."',
                                                        f"target_package_path = {json.dumps(str(out))}")
    with tempfile.TemporaryDirectory() as scratch:
        settings = Path(scratch) / "codegen.toml"
        settings.write_text(config, encoding="utf-8")
        # the plugin of client/codegen.toml is imported from client/codegen/
        env = {**os.environ, "PYTHONPATH": str(ROOT / "client" / "codegen")}
        subprocess.run([str(codegen_executable()), "--config", str(settings), "client"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, env=env)
    return out / PACKAGE


def sent_documents(package: Path) -> list[str]:
    """The documents the generated client sends: the `gql("…")` texts of its client module."""
    tree = ast.parse((package / "client.py").read_text(encoding="utf-8"))
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "gql"
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def manifest(package: Path) -> dict[str, str]:
    """`{sha256: text}` of the client's documents, each checked as the gateway checks its manifest."""
    from gateway.persisted import document_problem, sha256_of
    from gateway.protection import MAX_TOKENS, validation_rules
    from gateway.schema import build_schema

    schema, rules = build_schema(production=True), validation_rules(production=True)
    found: dict[str, str] = {}
    for text in sent_documents(package):
        if (problem := document_problem(schema, text, rules, MAX_TOKENS)) is not None:
            raise SystemExit(f"the client sends a document the production gateway refuses: {problem}")
        found[sha256_of(text)] = text
    return found


def write_manifest(found: dict[str, str], path: Path) -> None:
    path.write_text(json.dumps(found, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the package and persisted.json here, not in the repository")
    args = parser.parse_args()
    if args.out is not None:
        package = generate(args.out.resolve())
        write_manifest(manifest(package), args.out / "persisted.json")
        return
    with tempfile.TemporaryDirectory() as scratch:
        package = generate(Path(scratch))
        shutil.rmtree(ROOT / PACKAGE, ignore_errors=True)
        shutil.copytree(package, ROOT / PACKAGE)
    write_manifest(manifest(ROOT / PACKAGE), MANIFEST)
    print(f"wrote {PACKAGE}/ and {MANIFEST.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
