"""`kaohe token` issues development tokens the gateway accepts."""

from __future__ import annotations

from typing import Any

import jwt

from tests.cli_helpers import clean_env, run_kaohe

SECRET = "dev-secret-for-tests-0123456789abcdef"


def test_token_carries_role_and_scope(tmp_path: Any) -> None:
    done = run_kaohe("token", "--role", "reviewer", "--role", "rater", "--scope", "city/a", "--sub", "li",
                     "--ttl", "600", env=clean_env(KAOHE_JWT_SECRET=SECRET, KAOHE_DATA_DIR=tmp_path))
    assert done.returncode == 0, done.stderr
    claims = jwt.decode(done.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "li" and claims["exp"] - claims["iat"] == 600
    assert claims["grants"] == [{"role": "reviewer", "scope": "city/a"}, {"role": "rater", "scope": "city/a"}]


def test_token_needs_the_secret_and_known_roles(tmp_path: Any) -> None:
    missing = run_kaohe("token", "--role", "admin", env=clean_env(KAOHE_DATA_DIR=tmp_path))
    assert missing.returncode == 2
    assert missing.stderr.strip() == "kaohe: KAOHE_JWT_SECRET is not set; development tokens need the HS256 secret"
    unknown = run_kaohe("token", "--role", "king", env=clean_env(KAOHE_JWT_SECRET=SECRET))
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "kaohe: unknown role 'king'; choose from admin, assessor, reviewer, submitter, rater, auditor, subject"
    )
