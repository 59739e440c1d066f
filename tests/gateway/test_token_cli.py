"""`kaohe token` issues development tokens the gateway accepts."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from tests.cli_helpers import clean_env, run_kaohe

SECRET = "dev-secret-for-tests-0123456789abcdef"


def test_token_carries_role_and_scope(tmp_path: Any) -> None:
    done = run_kaohe("token", "--role", "reviewer", "--role", "rater", "--scope", "city/a", "--sub", "li",
                     "--ttl", "600", env=clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path))
    assert done.returncode == 0, done.stderr
    claims = jwt.decode(done.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "li" and claims["exp"] - claims["iat"] == 600
    assert claims["grants"] == [{"role": "reviewer", "scope": "city/a"}, {"role": "rater", "scope": "city/a"}]


def test_token_without_a_secret_uses_the_one_kept_in_the_data_folder(tmp_path: Any) -> None:
    """No KAOHE_JWT_SECRET: the development key is generated once into the data folder (0600), where `kaohe up`
    finds the same one for the gateway; a second token is signed with the same key."""
    env = clean_env(KAOHE_DATA_DIR=tmp_path)
    first = run_kaohe("token", "--role", "admin", "--scope", "", env=env)
    assert first.returncode == 0, first.stderr
    kept = tmp_path / "jwt.secret"
    assert kept.stat().st_mode & 0o777 == 0o600
    secret = kept.read_text().strip()
    assert len(secret) >= 64  # 48 random bytes, URL-safe base64
    claims = jwt.decode(first.stdout.strip(), secret, algorithms=["HS256"])
    assert claims["grants"] == [{"role": "admin", "scope": ""}] and claims["sub"] == "dev-user"
    second = run_kaohe("token", "--role", "auditor", env=env)
    assert jwt.decode(second.stdout.strip(), secret, algorithms=["HS256"])["grants"] == [
        {"role": "auditor", "scope": ""}]
    assert kept.read_text().strip() == secret


def test_a_configured_secret_wins_and_no_file_is_made(tmp_path: Any) -> None:
    done = run_kaohe("token", "--role", "admin", env=clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path))
    assert jwt.decode(done.stdout.strip(), SECRET, algorithms=["HS256"])["sub"] == "dev-user"
    assert not (tmp_path / "jwt.secret").exists()


def test_no_development_token_in_production_or_with_an_identity_provider(tmp_path: Any) -> None:
    expected = ("kaohe: no development token secret: in production, or with KAOHE_JWT_JWKS_URL, user tokens come "
                "from the identity provider (docs/identity.md); set KAOHE_JWT_SECRET to sign tokens here")
    with_idp = run_kaohe("token", "--role", "admin", env=clean_env(
        KAOHE_DATA_DIR=tmp_path, KAOHE_JWT_JWKS_URL="https://idp.example/jwks"))
    assert (with_idp.returncode, with_idp.stderr.strip()) == (2, expected)
    assert not (tmp_path / "jwt.secret").exists()


def test_token_needs_known_roles() -> None:
    unknown = run_kaohe("token", "--role", "king", env=clean_env(KAOHE_JWT_SECRET=SECRET))
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "kaohe: unknown role 'king'; choose from admin, assessor, reviewer, submitter, rater, auditor, subject"
    )
    chinese = run_kaohe("--lang", "zh-CN", "token", "--role", "king", env=clean_env(KAOHE_JWT_SECRET=SECRET))
    assert chinese.stderr.strip() == (  # a Chinese list takes 、
        "kaohe: 未知的角色 'king'；可选：admin、assessor、reviewer、submitter、rater、auditor、subject"
    )


def test_token_refuses_a_scope_the_services_would_refuse(tmp_path: Any) -> None:
    """The scope follows the grammar of a grant's scope (services.common.auth.normalise_scope): `..` is no unit
    slug. Refused in the run's language, exit 2, nothing on stdout (a script piping the token gets nothing)."""
    env = clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path)
    english = run_kaohe("token", "--role", "admin", "--scope", "../x", env=env)
    assert (english.returncode, english.stdout) == (2, "")
    assert english.stderr.strip() == (
        "kaohe: scope '../x' is not a unit path: segment '..' is not a unit slug (lower-case letters, digits, '-' "
        "and '_', starting with a letter or digit; '.' and '..' are not resolved)")
    chinese = run_kaohe("--lang", "zh-CN", "token", "--role", "admin", "--scope", "city//a", env=env)
    assert (chinese.returncode, chinese.stdout) == (2, "")
    assert chinese.stderr.strip() == "kaohe: 范围 'city//a' 不是单位路径：第 2 段为空"
    slashes = run_kaohe("token", "--role", "admin", "--scope", "/city/a/", env=env)
    assert slashes.returncode == 0, slashes.stderr
    assert jwt.decode(slashes.stdout.strip(), SECRET, algorithms=["HS256"])["grants"] == [
        {"role": "admin", "scope": "city/a"}]


@pytest.mark.parametrize("scope", [" ", "/", "//", "\t"])
def test_token_refuses_a_scope_that_names_no_unit(tmp_path: Any, scope: str) -> None:
    """Regression (attacker probe): blanks or slashes alone were signed as '' (the whole organisation): an empty
    variable or a typo must not widen a token. Leaving --scope out still means everything."""
    env = clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path)
    english = run_kaohe("--lang", "en", "token", "--role", "admin", "--scope", scope, env=env)
    assert (english.returncode, english.stdout) == (2, "")
    assert english.stderr.strip() == (
        f"kaohe: scope {scope!r} names no unit; to cover the whole organisation leave --scope out")
    chinese = run_kaohe("--lang", "zh-CN", "token", "--role", "admin", "--scope", scope, env=env)
    assert (chinese.returncode, chinese.stdout) == (2, "")
    assert chinese.stderr.strip() == f"kaohe: 范围 {scope!r} 未指明任何单位；如需覆盖整个组织，请不要给出 --scope"


@pytest.mark.parametrize(("sub", "message"), [
    ("system:deadline", "the token's sub claim 'system:deadline' starts with 'system:', which kaohe reserves for its "
                        "own actors"),
    ("api-key:7", "the token's sub claim 'api-key:7' starts with 'api-key:', which kaohe reserves for its own actors"),
    ("x" * 201, "the token's sub claim is longer than 200 characters"),
    ("li\u202ewei", "the token's sub claim contains the control or formatting character U+202E"),
    (" system", "the token's sub claim starts or ends with a blank"),
    ("\u0455ystem:deadline", "the token's sub claim '\u0455ystem:deadline' starts with 'system:', which kaohe "
                             "reserves for its own actors"),
    ("migration:0007", "the token's sub claim 'migration:0007' starts with 'migration:', which kaohe reserves for "
                       "its own actors"),
])
def test_token_refuses_a_subject_the_gateway_would_refuse(tmp_path: Any, sub: str, message: str) -> None:
    done = run_kaohe("--lang", "en", "token", "--role", "admin", "--sub", sub,
                     env=clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == f"kaohe: {message}"


def test_token_refuses_a_lifetime_the_gateway_would_refuse(tmp_path: Any) -> None:
    """KAOHE_JWT_MAX_LIFETIME_SECONDS (a day by default) bounds `--ttl` as it bounds the gateway's tokens."""
    done = run_kaohe("--lang", "en", "token", "--role", "admin", "--ttl", "86401",
                     env=clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == "kaohe: --ttl 86401 is longer than KAOHE_JWT_MAX_LIFETIME_SECONDS (86400)"
    longer = run_kaohe("--lang", "en", "token", "--role", "admin", "--ttl", "172800",
                       env=clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path,
                                     KAOHE_JWT_MAX_LIFETIME_SECONDS="172800"))
    assert longer.returncode == 0, longer.stderr


def test_the_help_and_the_limit_of_ttl_agree(tmp_path: Any) -> None:
    """(newcomer probe) `--help` showed --ttl up to 604800 while anything over 86400 exited 2: the bound is the
    setting's alone, which the help names, and a setting above a week lets a longer token through."""
    shown = run_kaohe("--lang", "en", "token", "--help", env=clean_env(KAOHE_DATA_DIR=tmp_path))
    assert shown.returncode == 0, shown.stderr
    flat = " ".join(shown.stdout.replace("│", " ").split())  # the help panel's lines, joined
    assert "604800" not in flat
    assert "at most KAOHE_JWT_MAX_LIFETIME_SECONDS (86400, a day, unless set)" in flat
    fortnight = run_kaohe("--lang", "en", "token", "--role", "admin", "--ttl", "1209600",
                          env=clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path,
                                        KAOHE_JWT_MAX_LIFETIME_SECONDS="1209600"))
    assert fortnight.returncode == 0, fortnight.stderr
    too_short = run_kaohe("--lang", "en", "token", "--role", "admin", "--ttl", "59",
                          env=clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path))
    assert too_short.returncode == 2
