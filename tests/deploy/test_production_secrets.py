"""Production refuses secrets anybody may know or guess (issue 21, item 1): shorter than 32 bytes, shown in
kaohe's own examples, or a user-token key without the issuer and audience that keep another system's tokens
out. `kaohe serve` stops with one line naming each; `kaohe doctor` lists each as a failed check. Development
keeps working with no configuration at all."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.common.settings import ConfigError, Settings, load_settings, production_problems
from tests.cli_helpers import clean_env, run_kaohe

ROOT = Path(__file__).resolve().parents[2]
ISSUER = {"KAOHE_JWT_ISSUER": "https://idp.city.gov.cn/", "KAOHE_JWT_AUDIENCE": "kaohe"}


def _problems(**env: Any) -> list[str]:
    return production_problems(Settings(environment="production", **env))


def test_the_attack_of_the_issue_is_refused_at_start_up(tmp_path: Path) -> None:
    """`KAOHE_ENVIRONMENT=production KAOHE_SERVICE_TOKEN_SECRET=change-me KAOHE_JWT_SECRET=change-me-too kaohe serve
    gateway` started, and a token signed with `change-me-too` was admin of the whole organisation."""
    done = run_kaohe("serve", "gateway", timeout=60, env=clean_env(
        KAOHE_ENVIRONMENT="production", KAOHE_SERVICE_TOKEN_SECRET="change-me", KAOHE_JWT_SECRET="change-me-too",
        KAOHE_DATA_DIR=tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "kaohe: KAOHE_SERVICE_TOKEN_SECRET has 9 bytes; production needs at least 32 random bytes; "
        "KAOHE_JWT_SECRET has 13 bytes; production needs at least 32 random bytes; KAOHE_JWT_SECRET needs "
        "KAOHE_JWT_ISSUER and KAOHE_JWT_AUDIENCE in production, so that a token signed for another system with "
        "the same key is not accepted here")


def test_doctor_reports_each_problem_and_fails(tmp_path: Path) -> None:
    done = run_kaohe("doctor", env=clean_env(
        KAOHE_ENVIRONMENT="production", KAOHE_SERVICE_TOKEN_SECRET="REPLACE_ME_WITH_48_RANDOM_CHARACTERS",
        KAOHE_JWT_SECRET="change-me-too", KAOHE_EVIDENCE_S3_SECRET_KEY="change-me-minio-at-least-8-chars",
        KAOHE_DATABASE_URL="postgresql://kaohe:change-me-postgres@127.0.0.1:1/kaohe", KAOHE_DATA_DIR=tmp_path))
    assert done.returncode == 1
    failed = [line.removeprefix("fail  unsafe setting").strip() for line in done.stdout.splitlines()
              if line.startswith("fail  unsafe setting")]
    placeholder = "is a placeholder from an example; generate a secret (python -c \"import secrets; " \
                  "print(secrets.token_urlsafe(48))\")"
    assert failed == [
        f"KAOHE_SERVICE_TOKEN_SECRET {placeholder}",  # 36 bytes, long enough, yet an example's
        "KAOHE_JWT_SECRET has 13 bytes; production needs at least 32 random bytes",
        "KAOHE_JWT_SECRET needs KAOHE_JWT_ISSUER and KAOHE_JWT_AUDIENCE in production, so that a token signed for "
        "another system with the same key is not accepted here",
        f"the password in KAOHE_DATABASE_URL {placeholder}",
        f"KAOHE_EVIDENCE_S3_SECRET_KEY {placeholder}",
    ]


def test_a_good_production_configuration_has_no_problem() -> None:
    assert _problems(service_token_secret=secrets.token_urlsafe(32), jwt_secret=secrets.token_urlsafe(32),
                     metrics_token=secrets.token_urlsafe(32), jwt_issuer="https://idp.city.gov.cn/",
                     jwt_audience="kaohe", database_url="postgresql://kaohe:Zx81kq0vTq@db/kaohe") == []


@pytest.mark.parametrize(("length", "refused"), [(31, True), (32, False)])
def test_a_secret_needs_32_bytes(length: int, refused: bool) -> None:
    value = secrets.token_hex(32)[:length]  # random, only its length varies
    assert bool(_problems(service_token_secret=value)) == refused
    assert bool(_problems(metrics_token=value)) == refused
    assert bool(_problems(jwt_secret=value, jwt_issuer="i", jwt_audience="a")) == refused


@pytest.mark.parametrize("missing", ["KAOHE_JWT_ISSUER", "KAOHE_JWT_AUDIENCE"])
@pytest.mark.parametrize("key", [{"jwt_secret": "k" * 16 + secrets.token_hex(16)},
                                 {"jwt_jwks_url": "https://idp.city.gov.cn/jwks"}])
def test_user_tokens_need_issuer_and_audience(key: dict[str, str], missing: str) -> None:
    given = {name.removeprefix("KAOHE_").lower(): value for name, value in ISSUER.items() if name != missing}
    (problem,) = _problems(**key, **given)
    assert "needs KAOHE_JWT_ISSUER and KAOHE_JWT_AUDIENCE in production" in problem


def _example_values() -> set[str]:
    """Every value given to a secret, token or password in kaohe's examples and documents."""
    found: set[str] = set()
    for line in (ROOT / "docker" / ".env.example").read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        if not line.startswith("#") and re.search(r"SECRET|PASSWORD|TOKEN", name) and value:
            found.add(value.strip())
    for document in yaml.safe_load_all((ROOT / "docker" / "k8s" / "secret.example.yaml").read_text(encoding="utf-8")):
        for name, value in (document.get("stringData") or {}).items():
            if re.search(r"SECRET|PASSWORD|TOKEN", name):
                found.add(str(value))
            elif name.endswith("DATABASE_URL"):
                found.add(re.sub(r"^[^:]+://[^:]+:([^@]+)@.*$", r"\1", str(value)))
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "docker" / "k8s" / "README.md"]:
        for value in re.findall(r"KAOHE_[A-Z_]*(?:SECRET|TOKEN)[A-Z_]*[=:] *[\"']?([A-Za-z0-9_.~+/-]{6,})",
                                doc.read_text(encoding="utf-8")):
            found.add(value)
    return found


def test_every_secret_an_example_shows_is_refused_in_production() -> None:
    examples = _example_values()
    assert {"change-me", "change-me-too", "REPLACE_ME_WITH_48_RANDOM_CHARACTERS"} <= examples  # the scan works
    for value in examples:
        assert _problems(jwt_secret=value, jwt_issuer="i", jwt_audience="a"), value
        assert _problems(database_url=f"postgresql://kaohe:{value}@db/kaohe"), value


def test_development_needs_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAOHE_ENVIRONMENT", "KAOHE_SERVICE_TOKEN_SECRET", "KAOHE_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings().environment == "development"
    monkeypatch.setenv("KAOHE_JWT_SECRET", "change-me-too")  # examples are fine on a developer's machine
    assert load_settings().jwt_secret is not None
    monkeypatch.setenv("KAOHE_ENVIRONMENT", "production")
    with pytest.raises(ConfigError):
        load_settings()
