"""docs/api.md "Receiving events": the Python receiver and the openssl check, run as written against requests
signed by kaohe's own webhook sender (issue 18)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from services.common.embedded import free_port
from services.evidence.webhooks.dispatcher import Dispatcher, Timing
from services.evidence.webhooks.signing import new_secret, sign
from services.evidence.webhooks.ssrf import UrlPolicy, parse_networks

API = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _block(language: str) -> str:
    section = API.read_text(encoding="utf-8").split("## Receiving events", 1)[1].split("\n## ", 1)[0]
    found = re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert len(found) == 1, f"one {language} block expected in the section"
    return str(found[0])


async def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError("the example receiver did not start")


PAYLOAD: dict[str, Any] = {"type": "submission.approved", "timestamp": "2026-06-01T02:00:00+00:00",
                           "data": {"id": "s-1", "node_id": "U3VibWlzc2lvbjpzLTE=", "unit_path": "city/a"}}


async def test_the_python_receiver_accepts_kaohes_signature_once_and_refuses_another(tmp_path: Path) -> None:
    script = tmp_path / "receiver.py"
    script.write_text(_block("python"), encoding="utf-8")
    secret, port = new_secret(), free_port()
    env = {**os.environ, "KAOHE_WEBHOOK_SECRET": secret, "PORT": str(port)}
    process = await asyncio.create_subprocess_exec(sys.executable, str(script), env=env,
                                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sender = Dispatcher(None, policy=UrlPolicy(networks=parse_networks("127.0.0.1/32")),  # type: ignore[arg-type]
                        timing=Timing(timeout=5))
    try:
        await _wait_for(port)
        url = f"http://127.0.0.1:{port}/hook"
        first = await sender.send(url, "msg_0123abcd", PAYLOAD, [secret])
        repeat = await sender.send(url, "msg_0123abcd", PAYLOAD, [new_secret(), secret])  # a rotation's two
        forged = await sender.send(url, "msg_0123abcd", PAYLOAD, [new_secret()])
        assert (first.status, repeat.status, forged.status) == (204, 204, 401)
    finally:
        process.terminate()  # first: the receiver never outlives the test
        output, _ = await asyncio.wait_for(process.communicate(), 10)
        await sender.stop()
    assert output.decode().splitlines() == ["submission.approved U3VibWlzc2lvbjpzLTE="]  # the repeat was dropped


@pytest.mark.parametrize(("change", "expected"), [
    ("none", "valid"), ("body", "invalid"), ("secret", "invalid"), ("old", "stale")])
def test_the_openssl_check(tmp_path: Path, change: str, expected: str) -> None:
    secret = new_secret()
    body = '{"type":"appeal.filed","timestamp":"2026-06-01T02:00:00+00:00","data":{"id":"申诉-1"}}'
    timestamp = int(time.time()) - (600 if change == "old" else 0)
    signatures = f"v1,bm90IGl0 {sign(secret, 'msg_77', timestamp, body)}"
    (tmp_path / "body.json").write_text(body + (" " if change == "body" else ""), encoding="utf-8")
    env = {**os.environ, "ID": "msg_77", "TS": str(timestamp), "SIGNATURES": signatures,
           "KAOHE_WEBHOOK_SECRET": new_secret() if change == "secret" else secret}
    done = subprocess.run(["bash", "-c", _block("sh")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.stdout.strip() == expected, done.stderr
    assert done.returncode == (0 if expected == "valid" else 1)
