"""Secrets from files (`KAOHE_<NAME>_FILE`, as Docker and Kubernetes mount them) instead of variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.common.settings import ConfigError, Settings
from services.evidence.config import EvidenceSettings
from tests.cli_helpers import clean_env, run_kaohe


def _no_kaohe_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("KAOHE_")]:
        monkeypatch.delenv(name)


def test_a_secret_comes_from_its_file_and_the_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_kaohe_env(monkeypatch)
    secret = tmp_path / "jwt"
    secret.write_text("  s3cret-from-a-mounted-file\n", encoding="utf-8")  # editors and `echo` add the newline
    monkeypatch.setenv("KAOHE_JWT_SECRET_FILE", str(secret))
    monkeypatch.setenv("KAOHE_EVIDENCE_S3_SECRET_KEY_FILE", str(secret))
    settings = Settings()
    assert settings.jwt_secret is not None and settings.jwt_secret.get_secret_value() == "s3cret-from-a-mounted-file"
    evidence = EvidenceSettings()
    assert evidence.s3_secret_key is not None
    assert evidence.s3_secret_key.get_secret_value() == "s3cret-from-a-mounted-file"
    monkeypatch.setenv("KAOHE_JWT_SECRET", "the-variable")
    assert Settings().jwt_secret.get_secret_value() == "the-variable"  # type: ignore[union-attr]


def test_only_secret_settings_read_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KAOHE_GATEWAY_PERSISTED_QUERIES_FILE is a setting of its own (a path), not the file of another."""
    _no_kaohe_env(monkeypatch)
    manifest = tmp_path / "m.json"
    manifest.write_text("{}", encoding="utf-8")
    monkeypatch.setenv("KAOHE_GATEWAY_PERSISTED_QUERIES_FILE", str(manifest))
    settings = Settings()
    assert settings.gateway_persisted_queries_file == manifest
    assert settings.gateway_persisted_queries != "{}"
    fields = set(Settings.secret_file_fields)
    assert "gateway_persisted_queries" not in fields and "environment" not in fields
    assert {"database_url", "service_token_secret", "jwt_secret"} <= fields
    assert set(EvidenceSettings.secret_file_fields) == {"s3_access_key", "s3_secret_key"}


def test_an_unreadable_file_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_kaohe_env(monkeypatch)
    missing = tmp_path / "absent"
    monkeypatch.setenv("KAOHE_SERVICE_TOKEN_SECRET_FILE", str(missing))
    with pytest.raises(ConfigError) as caught:
        Settings()
    assert str(caught.value) == f"KAOHE_SERVICE_TOKEN_SECRET_FILE: cannot read {missing}: No such file or directory"


def test_the_database_url_with_its_password_from_a_file(tmp_path: Path, fresh_database: Any) -> None:
    url_file = tmp_path / "database-url"
    url_file.write_text(fresh_database(migrate=False) + "\n", encoding="utf-8")
    done = run_kaohe("migrate", env=clean_env(KAOHE_DATA_DIR=tmp_path, KAOHE_DATABASE_URL_FILE=url_file))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "migrations at head: evidence, scoring, ranking"
    unreadable = run_kaohe("migrate", env=clean_env(KAOHE_DATA_DIR=tmp_path,
                                                    KAOHE_DATABASE_URL_FILE=tmp_path / "nope"))
    assert unreadable.returncode == 2 and "Traceback" not in unreadable.stderr
    assert unreadable.stderr.strip() == (
        f"kaohe: KAOHE_DATABASE_URL_FILE: cannot read {tmp_path / 'nope'}: No such file or directory")
