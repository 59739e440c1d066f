"""`kaohe doctor`, `kaohe serve`, `kaohe healthcheck` and `kaohe config reference`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from kaohe.i18n import use_locale
from kaohe.ops_cli import (
    CONFIGURATION_DOC,
    business_clock_check,
    calendar_check,
    clock_check,
    configuration_reference,
    disk_check,
    secret_checks,
)
from migrations.runner import head_revision
from services.common.embedded import free_port
from services.common.settings import read_settings
from tests.cli_helpers import KAOHE, clean_env, run_kaohe


@pytest.fixture
def cli_language() -> Iterator[None]:
    yield
    use_locale(None)  # the CLI's language holds for the whole process


def checks(done: Any) -> dict[str, tuple[str, str]]:
    """`kaohe doctor` output as {check: (status, message)}."""
    return {line[6:26].strip(): (line[:4].strip(), line[27:]) for line in done.stdout.splitlines()}


def _clock_at(tmp_path: Path, moment: datetime) -> Path:
    """A KAOHE_CLOCK_FILE that puts business time at `moment`."""
    path = tmp_path / f"clock-{moment:%Y%m%d}"
    path.write_text(str((moment - datetime.now(UTC)).total_seconds()), encoding="utf-8")
    return path


def test_doctor_on_a_migrated_database_is_all_ok(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database()
    october = _clock_at(tmp_path, datetime(2026, 10, 15, 2, 0, tzinfo=UTC))
    done = run_kaohe("doctor", env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path,
                                             KAOHE_CLOCK_FILE=october))
    assert done.returncode == 0, done.stdout + done.stderr
    found = checks(done)
    assert found["config"] == ("ok", "settings loaded (environment development)")
    assert found["database"] == ("ok", "configured PostgreSQL")
    assert found["clock"][0] == "ok" and found["disk"][0] == "ok"
    where = url.split("@", 1)[1]
    for service in ("evidence", "scoring", "ranking"):
        assert found[f"{service} database"] == ("ok", f"connected to {where}")
        assert found[f"{service} migrations"] == ("ok", f"at head {head_revision(service)}")
    assert found["holiday calendar"] == ("ok", "arrangements for 2026")
    assert found["business clock"][0] == "warn"  # the clock file moves business time to October
    assert len(found) == 14
    # (issue 21, item 20) from 1 November, 2027 without an arrangement is a warning (the exit stays 0)
    november = _clock_at(tmp_path, datetime(2026, 11, 1, 2, 0, tzinfo=UTC))
    done = run_kaohe("doctor", env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path,
                                             KAOHE_CLOCK_FILE=november))
    assert done.returncode == 0
    status, message = checks(done)["holiday calendar"]
    assert status == "warn" and message.startswith("no holiday arrangement is loaded for 2027")


def test_doctor_fails_on_unmigrated_schemas(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database(migrate=False)
    done = run_kaohe("doctor", env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path))
    assert done.returncode == 1
    failing = {name: message for name, (status, message) in checks(done).items() if status == "fail"}
    assert failing == {f"{s} migrations": f"database at nothing, code at {head_revision(s)}; run `kaohe migrate`"
                       for s in ("evidence", "scoring", "ranking")}


def test_doctor_fails_on_an_unreachable_database(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql://kaohe@127.0.0.1:{port}/kaohe"
    done = run_kaohe("doctor", env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path))
    assert done.returncode == 1
    failing = {name: message for name, (status, message) in checks(done).items() if status == "fail"}
    assert sorted(failing) == ["evidence database", "ranking database", "scoring database"]
    assert failing["evidence database"] == f"cannot reach the database at 127.0.0.1:{port}/kaohe: connection refused"
    chinese = run_kaohe("--lang", "zh-CN", "doctor", env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path))
    refused = f"失败  evidence 数据库      无法连接数据库 127.0.0.1:{port}/kaohe：连接被拒绝"
    assert refused in chinese.stdout.splitlines()


def test_doctor_fails_on_bad_configuration(tmp_path: Path) -> None:
    done = run_kaohe("doctor", env=clean_env(KAOHE_SCORING_PORT="eighty", KAOHE_DATA_DIR=tmp_path))
    assert done.returncode == 1
    assert checks(done) == {"config": ("fail", "KAOHE_SCORING_PORT is invalid: Input should be a valid integer, "
                                              "unable to parse string as an integer")}
    chinese = run_kaohe("--lang", "zh-CN", "doctor", env=clean_env(KAOHE_SCORING_PORT="eighty",
                                                                     KAOHE_DATA_DIR=tmp_path))
    # pydantic's reason translated as the API translates it, not its English
    assert chinese.stdout.splitlines() == ["失败  配置                 KAOHE_SCORING_PORT 无效：应为整数"]


def test_doctor_requires_a_service_secret_in_production(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database()
    done = run_kaohe("doctor", env=clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path,
                                             KAOHE_ENVIRONMENT="production"))
    assert done.returncode == 1
    found = checks(done)
    # (the holiday calendar's line depends on today's date: tests/scoring/test_calendar.py)
    assert {name for name, (status, _m) in found.items() if status != "ok"} - {"holiday calendar"} == {
        "service token", "user tokens", "metrics"}
    assert found["service token"] == ("fail", "KAOHE_SERVICE_TOKEN_SECRET unset")
    assert found["user tokens"] == ("warn", "neither KAOHE_JWT_SECRET nor KAOHE_JWT_JWKS_URL is set; only API keys "
                                            "can reach the gateway")
    assert found["metrics"] == ("warn", "KAOHE_METRICS_TOKEN unset: /metrics is not served")


def test_doctor_in_chinese_and_english(fresh_database: Any, tmp_path: Path) -> None:
    """Every line of `kaohe doctor` in the language asked for: status, check and message (columns counted in terminal
    cells, a Chinese character being two)."""
    url = fresh_database()
    october = _clock_at(tmp_path, datetime(2026, 10, 15, 2, 0, tzinfo=UTC))
    env = clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path, KAOHE_CLOCK_FILE=october)
    where = url.split("@", 1)[1]
    chinese = run_kaohe("--lang", "zh-CN", "doctor", env=env)
    english = run_kaohe("--lang", "en", "doctor", env=env)
    assert chinese.returncode == english.returncode == 0, chinese.stderr + english.stderr
    lines = chinese.stdout.splitlines()
    assert re.fullmatch(rf"正常  磁盘                 {re.escape(str(tmp_path))} 剩余 \d+\.\d GiB", lines[3])
    assert re.fullmatch(rf"警告  业务时钟             KAOHE_CLOCK_FILE {re.escape(str(october))} 将业务时间移动 "
                        r"-\d+ 天 \d\d:\d\d:\d\d：期限和公示期按 2026年10月15日 10:0\d（北京时间） 计算", lines[4])
    assert re.fullmatch(r"正常  时钟                 本机时钟与数据库服务器的 now\(\) 相差 [+-]\d+\.\d 秒", lines[12])
    assert lines[:3] + lines[5:12] + lines[13:] == [
        "正常  配置                 配置已加载（运行环境 development）",
        "正常  服务令牌             未设置 KAOHE_SERVICE_TOKEN_SECRET（kaohe up 会在数据目录中生成一个）",
        f"正常  用户令牌             未设置 KAOHE_JWT_SECRET（kaohe up 会在 {tmp_path / 'jwt.secret'} 生成开发用 HS256 "
        "密钥；kaohe token 用它签发令牌）",
        "正常  数据库               已配置的 PostgreSQL",
        f"正常  evidence 数据库      已连接 {where}",
        f"正常  evidence 数据库迁移  已是最新版本 {head_revision('evidence')}",
        f"正常  scoring 数据库       已连接 {where}",
        f"正常  scoring 数据库迁移   已是最新版本 {head_revision('scoring')}",
        f"正常  ranking 数据库       已连接 {where}",
        f"正常  ranking 数据库迁移   已是最新版本 {head_revision('ranking')}",
        "正常  节假日安排           已导入 2026 年的安排",
    ]
    lines = english.stdout.splitlines()
    assert re.fullmatch(rf"ok    disk                 \d+\.\d GiB free in {re.escape(str(tmp_path))}", lines[3])
    assert re.fullmatch(rf"warn  business clock       KAOHE_CLOCK_FILE {re.escape(str(october))} moves business time "
                        r"by -\d+ d \d\d:\d\d:\d\d: deadlines and 公示 windows run at 2026-10-15 10:0\d \(UTC\+08:00\)",
                        lines[4])
    assert re.fullmatch(r"ok    clock                system clock [+-]\d+\.\d s from the database server's now\(\)",
                        lines[12])
    assert lines[:3] + lines[5:12] + lines[13:] == [
        "ok    config               settings loaded (environment development)",
        "ok    service token        KAOHE_SERVICE_TOKEN_SECRET unset (kaohe up generates one in the data folder)",
        f"ok    user tokens          KAOHE_JWT_SECRET unset (kaohe up generates a development HS256 key in "
        f"{tmp_path / 'jwt.secret'}; kaohe token signs with it)",
        "ok    database             configured PostgreSQL",
        f"ok    evidence database    connected to {where}",
        f"ok    evidence migrations  at head {head_revision('evidence')}",
        f"ok    scoring database     connected to {where}",
        f"ok    scoring migrations   at head {head_revision('scoring')}",
        f"ok    ranking database     connected to {where}",
        f"ok    ranking migrations   at head {head_revision('ranking')}",
        "ok    holiday calendar     arrangements for 2026",
    ]


def test_doctor_names_the_development_user_token_key_kaohe_up_uses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_language: None) -> None:
    """In development without KAOHE_JWT_SECRET or a JWKS URL, `kaohe up` gives the gateway the key kept in the data
    folder and `kaohe token` signs with it: doctor says so (reading the key, never making it), in both languages."""
    for name in ("KAOHE_JWT_SECRET", "KAOHE_JWT_SECRET_FILE", "KAOHE_JWT_JWKS_URL", "KAOHE_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAOHE_DATA_DIR", str(tmp_path))
    key = tmp_path / "jwt.secret"

    def user_tokens() -> str:
        [check] = [c for c in secret_checks(read_settings()) if c.name == "user tokens"]
        return check.line()

    use_locale("en")
    assert user_tokens() == (f"ok    user tokens          KAOHE_JWT_SECRET unset (kaohe up generates a development "
                             f"HS256 key in {key}; kaohe token signs with it)")
    assert not key.exists()
    key.write_text("k" * 64, encoding="utf-8")
    assert user_tokens() == (f"ok    user tokens          development HS256 key in {key} (kaohe up gives it to the "
                             "gateway, kaohe token signs with it)")
    use_locale("zh-CN")
    assert user_tokens() == (f"正常  用户令牌             开发用 HS256 密钥位于 {key}（kaohe up 把它交给网关，"
                             "kaohe token 用它签发令牌）")
    monkeypatch.setenv("KAOHE_JWT_SECRET", "s" * 40)  # a configured key wins over the file
    assert user_tokens() == "正常  用户令牌             已设置 HS256 密钥"


def test_doctor_findings_in_chinese(cli_language: None) -> None:
    """Warnings and failures read in Chinese too (the checks themselves, without a database)."""
    use_locale("zh-CN")
    gib = 1024**3
    assert clock_check(-7.3).line() == "警告  时钟                 本机时钟与数据库服务器的 now() 相差 -7.3 秒"
    # an offset that rounds to nothing reads +0.0, never -0.0
    assert clock_check(-0.04).line() == "正常  时钟                 本机时钟与数据库服务器的 now() 相差 +0.0 秒"
    assert disk_check(Path("/no/such"), SimpleNamespace(free=gib)).line() == "警告  磁盘                 / 剩余 1.0 GiB"
    assert calendar_check(date(2040, 3, 1), []).line() == (
        "警告  节假日安排           尚未导入 2040 年的节假日安排：期限按周一至周五计算；请导入国务院发布的安排"
        "（`kaohe calendar load 2040 FILE`）")
    assert calendar_check(date(2026, 3, 1), None).line() == (
        "警告  节假日安排           无法读取已导入的节假日安排（请运行 `kaohe migrate`）")
    use_locale("en")
    assert clock_check(-7.3).line() == "warn  clock                system clock -7.3 s from the database server's now()"


def test_clock_and_disk_thresholds() -> None:
    assert clock_check(5.0).status == "ok"
    assert clock_check(-5.1).status == "warn"
    assert clock_check(6.25).message == "system clock +6.2 s from the database server's now()"
    gib = 1024**3
    assert disk_check(Path("/"), SimpleNamespace(free=3 * gib)).status == "ok"
    assert disk_check(Path("/"), SimpleNamespace(free=gib)).status == "warn"
    low = disk_check(Path("/no/such/folder"), SimpleNamespace(free=100 * 1024**2))
    assert low.status == "fail" and low.message == "0.1 GiB free in /"


def test_serve_runs_one_service_until_terminated(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database()
    port = free_port()
    env = clean_env(KAOHE_DATABASE_URL=url, KAOHE_DATA_DIR=tmp_path, KAOHE_SCORING_PORT=port,
                    KAOHE_SERVICE_TOKEN_SECRET="s" * 40, **{f"KAOHE_{n}_PORT": free_port()
                                                           for n in ("GATEWAY", "EVIDENCE", "RANKING")})
    child = subprocess.Popen([*KAOHE, "serve", "scoring"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        answer = _wait_ready(f"http://127.0.0.1:{port}/readyz", child)
        assert answer == {"status": "ready", "service": "scoring"}
        probe = run_kaohe("healthcheck", env=env)
        assert probe.returncode == 0 and probe.stdout.strip() == "scoring: ok"
        named = run_kaohe("healthcheck", "gateway", "--live", env=env)
        assert named.returncode == 1 and "no kaohe process answers /healthz on 127.0.0.1" in named.stderr
    finally:
        child.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises SIGTERM so supervisors see how it ended
        assert child.wait(timeout=20) in (0, -signal.SIGTERM)
    assert b"Application shutdown complete" in (child.stderr.read() if child.stderr else b"")


def _wait_ready(url: str, child: subprocess.Popen[bytes]) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        try:
            response = httpx.get(url, timeout=1)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready in 60 s")


def test_serve_refuses_unknown_process_and_missing_settings(tmp_path: Path) -> None:
    unknown = run_kaohe("serve", "billing", env=clean_env(KAOHE_DATA_DIR=tmp_path))
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "kaohe: unknown process 'billing'; choose from gateway, evidence, scoring, ranking"
    no_db = run_kaohe("serve", "ranking", env=clean_env(KAOHE_DATA_DIR=tmp_path))
    assert no_db.returncode == 2
    assert no_db.stderr.strip() == "kaohe: ranking needs KAOHE_RANKING_DATABASE_URL or KAOHE_DATABASE_URL"
    no_secret = run_kaohe("serve", "gateway", env=clean_env(KAOHE_DATA_DIR=tmp_path))
    assert no_secret.returncode == 2
    assert no_secret.stderr.strip() == (
        "kaohe: KAOHE_SERVICE_TOKEN_SECRET is required (the same value for every process)")


def test_configuration_reference_is_current() -> None:
    assert CONFIGURATION_DOC.read_text(encoding="utf-8") == configuration_reference(), (
        "docs/configuration.md is out of date: run `kaohe config reference`")


def test_configuration_reference_lists_every_setting_with_a_description() -> None:
    from services.common.settings import Settings

    text = configuration_reference()
    shared = text.split("\n## ")[0]
    rows = [line for line in shared.splitlines() if line.startswith("| `KAOHE_")]
    assert len(rows) == len(Settings.model_fields)
    assert "| `KAOHE_GATEWAY_PORT` | integer (≥ 1, ≤ 65535) | `8000` | Port of the GraphQL gateway. |" in rows
    assert all(not row.endswith("| — |") for row in rows), [r for r in rows if r.endswith("| — |")]


def test_config_reference_check_mode(tmp_path: Path) -> None:
    out = tmp_path / "configuration.md"
    stale = run_kaohe("config", "reference", "--out", str(out), "--check", env=clean_env(KAOHE_DATA_DIR=tmp_path))
    assert stale.returncode == 1 and "is out of date" in stale.stderr
    assert run_kaohe("config", "reference", "--out", str(out), env=clean_env()).returncode == 0
    assert out.read_text(encoding="utf-8") == configuration_reference()
    assert os.path.getsize(out) > 0


def test_config_reference_prints_outside_a_source_tree(tmp_path: Path, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from kaohe import ops_cli
    from kaohe.cli import app

    monkeypatch.setattr(ops_cli, "CONFIGURATION_DOC", tmp_path / "no-docs" / "configuration.md")
    printed = CliRunner().invoke(app, ["config", "reference"])
    assert printed.exit_code == 0 and printed.stdout == configuration_reference()
    refused = CliRunner().invoke(app, ["config", "reference", "--check"])
    assert refused.exit_code == 2


def test_doctor_uses_the_embedded_server_of_a_running_kaohe(pg_server: Any, tmp_path: Path) -> None:
    import fcntl
    from urllib.parse import urlsplit

    port = urlsplit(pg_server.base_url).port
    with (tmp_path / "kaohe.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as `kaohe up` holds it while it runs
        done = run_kaohe("doctor", env=clean_env(KAOHE_DATA_DIR=tmp_path, KAOHE_EMBEDDED_PG_PORT=port))
    found = checks(done)
    assert found["database"] == ("ok", f"embedded PostgreSQL of the running kaohe in {tmp_path}")
    assert f"127.0.0.1:{port}/kaohe" in found["evidence database"][1]


def test_healthcheck_answers_without_the_cli(tmp_path: Path) -> None:
    """`kaohe healthcheck` (a container's HEALTHCHECK, 5 s timeout) imports neither typer nor SQLAlchemy,
    and probes the same ports as the settings."""
    from kaohe.probe import DEFAULT_PORTS
    from services.common.settings import Settings

    assert DEFAULT_PORTS == {p: Settings.model_fields[f"{p}_port"].default for p in DEFAULT_PORTS}
    ports = {f"KAOHE_{n}_PORT": str(free_port()) for n in ("GATEWAY", "EVIDENCE", "SCORING", "RANKING")}
    code = ("import runpy, sys; sys.argv = ['kaohe', 'healthcheck']\n"
            "try:\n    runpy.run_module('kaohe', run_name='__main__')\n"
            "except SystemExit as e:\n    print('exit', e.code, sorted(m for m in sys.modules if m in "
            "('typer', 'sqlalchemy', 'pydantic', 'kaohe.cli')))")
    done = subprocess.run([sys.executable, "-c", code], env=clean_env(**ports), capture_output=True, text=True,
                          check=False)
    assert done.stdout.strip() == "exit 1 []", done.stdout + done.stderr
    assert done.stderr.strip() == "kaohe: no kaohe process answers /readyz on 127.0.0.1"
    bad = run_kaohe("healthcheck", env=clean_env(KAOHE_SCORING_PORT="80x"))
    assert bad.returncode == 2 and bad.stderr.strip() == "kaohe: KAOHE_SCORING_PORT is invalid: '80x' is not a port"
    unknown = run_kaohe("healthcheck", "billing", env=clean_env())
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "kaohe: unknown process 'billing'; choose from gateway, evidence, scoring, ranking"
    helped = run_kaohe("healthcheck", "--help", env=clean_env())
    assert helped.returncode == 0 and "--live" in helped.stdout


def test_audit_verify_works_beside_a_running_kaohe(tmp_path: Path) -> None:
    """Issue 21, item 18: `kaohe audit verify` only reads, so it runs while `kaohe up` holds the data folder (it was
    refused with "another kaohe is already running"), on the running embedded server, as `kaohe doctor` does."""
    from migrations.runner import upgrade_all
    from services.common.embedded import EmbeddedPostgres
    from services.common.settings import SERVICES

    server = EmbeddedPostgres(tmp_path / "data", free_port())
    server.lock()  # as `kaohe up` holds it while it runs
    try:
        server.start()
        upgrade_all(dict.fromkeys(SERVICES, server.url))
        done = run_kaohe("audit", "verify", env=clean_env(KAOHE_DATA_DIR=tmp_path / "data",
                                                          KAOHE_EMBEDDED_PG_PORT=server.port))
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout.splitlines() == ["evidence: ok (0 records, 0 rows in 17 tables)",
                                            "scoring: ok (0 records, 0 rows in 9 tables)",
                                            "ranking: ok (0 records, 0 rows in 7 tables)"]
    finally:
        server.stop()
        server.unlock()


def test_healthcheck_speaks_the_clis_language_with_the_standard_library_only() -> None:
    """`kaohe healthcheck` in Chinese (KAOHE_DEFAULT_LOCALE, else the terminal's locale) from the compiled probe.mo by
    the standard library's gettext: still no typer, pydantic or Babel imported. Two processes answer on their ports
    (a gateway 200, a scoring 503); the lines are worked out by hand from the zh-CN catalogue."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.local_http import serving

    def server(status: int) -> ThreadingHTTPServer:
        class Answer(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return ThreadingHTTPServer(("127.0.0.1", 0), Answer)

    gateway, scoring = server(200), server(503)
    free = {f"KAOHE_{n}_PORT": str(free_port()) for n in ("EVIDENCE", "RANKING")}
    ports = {"KAOHE_GATEWAY_PORT": str(gateway.server_address[1]),
             "KAOHE_SCORING_PORT": str(scoring.server_address[1]), **free}
    code = ("import runpy, sys; sys.argv = ['kaohe', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('kaohe', run_name='__main__')\n"
            "except SystemExit as e:\n    print('exit', e.code, sorted(m for m in sys.modules if m in "
            "('typer', 'sqlalchemy', 'pydantic', 'babel', 'kaohe.cli')))")

    def kaohe(*args: str, **env: str) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                              check=False, env=clean_env(**{**ports, "KAOHE_DEFAULT_LOCALE": "zh-CN", **env}))
        return done.stdout.strip(), done.stderr.strip()

    def healthcheck(*args: str, **env: str) -> tuple[str, str]:
        return kaohe("healthcheck", *args, **env)

    with serving(gateway), serving(scoring):
        assert healthcheck("gateway") == ("gateway：正常\nexit 0 []", "")
        assert healthcheck() == ("exit 1 []", "kaohe: scoring 对 /readyz 返回了 503")
        assert healthcheck("gateway", KAOHE_DEFAULT_LOCALE="", LANG="zh_CN.UTF-8") == ("gateway：正常\nexit 0 []", "")
        assert healthcheck("gateway", KAOHE_DEFAULT_LOCALE="en") == ("gateway: ok\nexit 0 []", "")
        # --lang before the command wins over the settings, still without the CLI (newcomer probe)
        assert kaohe("--lang", "en", "healthcheck", "gateway") == ("gateway: ok\nexit 0 []", "")
        assert kaohe("--lang=zh-CN", "healthcheck", "gateway", KAOHE_DEFAULT_LOCALE="en") == (
            "gateway：正常\nexit 0 []", "")
        assert kaohe("--lang", "en", "healthcheck") == ("exit 1 []", "kaohe: scoring answered 503 on /readyz")
    assert healthcheck("billing") == (
        "exit 2 []", "kaohe: 未知的进程 'billing'；可选：gateway、evidence、scoring、ranking")
    assert kaohe("--lang", "en", "healthcheck", "billing") == (
        "exit 2 []", "kaohe: unknown process 'billing'; choose from gateway, evidence, scoring, ranking")
    assert healthcheck("scoring", KAOHE_SCORING_PORT="80x") == (
        "exit 2 []", "kaohe: KAOHE_SCORING_PORT 无效：'80x' 不是端口号")
    assert healthcheck("--live") == ("exit 1 []", "kaohe: 127.0.0.1 上没有 kaohe 进程响应 /healthz")


def test_doctor_says_how_far_the_clock_file_moves_business_time(tmp_path: Path) -> None:
    """A rehearsal's KAOHE_CLOCK_FILE moves every deadline and 公示 window; the system clock line does not show it
    (newcomer probe: "clock: system clock +0.0 s" while the file moved business time by 11 days)."""
    clock = tmp_path / "clock"
    clock.write_text("950430.5")  # 11 days, 30.5 seconds
    check = business_clock_check(clock)
    assert check.status == "warn"
    prefix = f"KAOHE_CLOCK_FILE {clock} moves business time by +11 d 00:00:30: deadlines and 公示 windows run at "
    # the moved now in the office's time (Asia/Shanghai, UTC+08:00), as every time people read
    assert check.message.startswith(prefix) and check.message.endswith(" (UTC+08:00)")
    shown = datetime.strptime(check.message[len(prefix):-len(" (UTC+08:00)")], "%Y-%m-%d %H:%M")
    expected = datetime.now(UTC) + timedelta(days=11, hours=8)  # the wall clock in Shanghai, 11 days on
    assert abs(shown - expected.replace(tzinfo=None)) < timedelta(minutes=2)
    clock.write_text("-5400")
    assert business_clock_check(clock).message.startswith(f"KAOHE_CLOCK_FILE {clock} moves business time by "
                                                          "-0 d 01:30:00")
    clock.write_text("")  # blank is zero: nothing moved
    assert business_clock_check(clock).status == "ok"
    clock.write_text("soon")
    bad = business_clock_check(clock)
    assert (bad.status, bad.message) == ("fail", f"KAOHE_CLOCK_FILE {clock}: the clock file must hold a number of "
                                                 "seconds, not 'soon'")
