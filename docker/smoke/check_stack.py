"""docker/smoke.sh's look at the running stack through the published gateway, as a client would.

    python check_stack.py ranking URL     the gateway is healthy (all three services up) and one period the
                                          demo loaded has a ranking (ranks from 1, every subject totalled)
    python check_stack.py prepare URL F   a period of 3 units to change while ranking is down (state in F)
    python check_stack.py submit URL F    approved evidence for each unit (evidence and scoring only)
    python check_stack.py verify URL F    ranking's totals equal scoring's for every unit, and are not 0
    python check_stack.py attachment URL F  a file attached to a new submission of the period's first unit
                                          (gateway upload, evidence's attachment store) comes back byte for
                                          byte through the gateway's download, with its SHA-256

Reads KAOHE_JWT_SECRET, KAOHE_JWT_ISSUER and KAOHE_JWT_AUDIENCE (the stack's) to sign an admin token as
bench/load.py does. Prints one line; exits 1 with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

sys.path.append(str(Path(__file__).resolve().parents[2]))  # bench/ and the project's packages

from bench.load import REVIEW, SUBMIT, Run, token


def gql(client: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    bearer = token(os.environ["KAOHE_JWT_SECRET"], "admin", "")
    answer = client.post("/graphql", json={"query": query, "variables": variables},
                         headers={"Authorization": f"Bearer {bearer}"})
    body = answer.json()
    if answer.status_code != 200 or body.get("errors"):
        sys.exit(f"check_stack: {answer.status_code} {body.get('errors')}")
    return body["data"]


def ranking(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        ready = client.get("/readyz")
        if ready.status_code != 200:
            sys.exit(f"check_stack: gateway /readyz answered {ready.status_code}: {ready.text[:200]}")
        health = gql(client, "{ health { service status } }")["health"]
        if sorted(h["service"] for h in health) != ["evidence", "ranking", "scoring"] or any(
                h["status"] not in ("ok", "ready") for h in health):
            sys.exit(f"check_stack: health {health}")
        periods = gql(client, "{ periods(first: 50) { nodes { id } } }")["periods"]["nodes"]
        for period in periods:
            nodes = gql(client, "query($p: ID!) { ranking(periodId: $p, first: 100) { nodes { subjectId total "
                                "rank } } }", p=period["id"])["ranking"]["nodes"]
            ranks = sorted(n["rank"] for n in nodes if n["rank"] is not None)
            if nodes and ranks and ranks[0] == 1 and all(n["total"] is not None for n in nodes):
                print(f"check_stack: health ok; period {period['id']}: {len(nodes)} ranked, first rank 1")
                return
        sys.exit(f"check_stack: no ranked period among {len(periods)}")


def prepare(url: str, state: Path) -> None:
    run = Run(gateway=url, secret=os.environ["KAOHE_JWT_SECRET"])
    asyncio.run(_with_client(url, lambda client: run.setup(client, 3)))
    state.write_text(json.dumps({"period": run.period, "units": run.units}), encoding="utf-8")
    print(f"check_stack: period {run.period} with {len(run.units)} units")


def submit(url: str, state: Path) -> None:
    saved = json.loads(state.read_text(encoding="utf-8"))
    with httpx.Client(base_url=url, timeout=30) as client:
        for points, unit in zip((41, 47, 44), saved["units"], strict=True):
            bearer = token(os.environ["KAOHE_JWT_SECRET"], "assessor", unit["path"])
            made = _must(client, bearer, SUBMIT, input={
                "periodId": saved["period"], "subjectId": unit["id"], "indicator": "work", "fact": "score",
                "content": {"points": str(points), "assessor": "考核办"}})["submitEvidence"]
            _must(client, token(os.environ["KAOHE_JWT_SECRET"], "reviewer", ""), REVIEW, id=made["id"],
                  v=made["version"])
    print(f"check_stack: evidence approved for {len(saved['units'])} units")


def verify(url: str, state: Path, seconds: float = 180) -> None:
    """Scoring's totals are 41, 47 and 44 (manual points, the only fact) once the evidence events arrived;
    ranking must show the same totals once the events scoring held for it while it was down arrive."""
    saved = json.loads(state.read_text(encoding="utf-8"))
    expected = {unit["id"]: points for points, unit in zip(("41", "47", "44"), saved["units"], strict=True)}
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=30) as client:
        while True:
            auditor = token(os.environ["KAOHE_JWT_SECRET"], "auditor", "")
            scores = _must(client, auditor, "query($p: ID!) { subjects(periodId: $p, first: 20) { nodes { id score "
                                            "{ total } } } }", p=saved["period"])["subjects"]["nodes"]
            ranked = _must(client, token(os.environ["KAOHE_JWT_SECRET"], "assessor", ""),
                           "query($p: ID!) { ranking(periodId: $p, first: 20) { nodes { subjectId total rank } } }",
                           p=saved["period"])["ranking"]["nodes"]
            scored = {n["id"]: _whole(n["score"]["total"]) for n in scores if n.get("score")}
            ranking_totals = {n["subjectId"]: _whole(n["total"]) for n in ranked}
            if scored == expected and ranking_totals == expected:
                ranks = sorted((n["rank"], n["subjectId"]) for n in ranked)
                order = [expected[s] for _r, s in ranks]
                if order != ["47", "44", "41"]:
                    sys.exit(f"check_stack: ranks {ranks} do not order the totals")
                print("check_stack: ranking caught up: totals 47, 44, 41 ranked 1, 2, 3")
                return
            if time.monotonic() > deadline:
                sys.exit(f"check_stack: after {seconds:.0f} s scoring has {scored}, ranking {ranking_totals}, "
                         f"expected {expected}")
            time.sleep(1)


def attachment(url: str, state: Path) -> None:
    """Upload through `POST /uploads/submissions/{id}/attachments` and download through `GET /attachments/{id}`:
    both go gateway → evidence → the attachment store (the volume or the object store the stack configures)."""
    saved = json.loads(state.read_text(encoding="utf-8"))
    unit = saved["units"][0]
    secret = os.environ["KAOHE_JWT_SECRET"]
    content = ("考核办 smoke 附件\n" * 2000).encode("utf-8")  # 46 KB: one chunk is not the whole file
    with httpx.Client(base_url=url, timeout=60) as client:
        assessor = token(secret, "assessor", unit["path"])
        made = _must(client, assessor, SUBMIT, input={
            "periodId": saved["period"], "subjectId": unit["id"], "indicator": "work", "fact": "score",
            "content": {"points": "40", "assessor": "考核办"}})["submitEvidence"]
        uploaded = client.post(f"/uploads/submissions/{made['id']}/attachments",
                               files={"file": ("说明.txt", content, "text/plain")},
                               headers={"Authorization": f"Bearer {assessor}"})
        if uploaded.status_code != 201:
            sys.exit(f"check_stack: upload answered {uploaded.status_code}: {uploaded.text[:300]}")
        answer = uploaded.json()
        if answer.get("size") != len(content) or answer.get("sha256") != hashlib.sha256(content).hexdigest():
            sys.exit(f"check_stack: the upload's answer {answer} does not describe the file sent")
        downloaded = client.get(answer["downloadPath"], headers={"Authorization": f"Bearer {assessor}"})
        if downloaded.status_code != 200:
            sys.exit(f"check_stack: download answered {downloaded.status_code}: {downloaded.text[:300]}")
        if downloaded.content != content:
            sys.exit(f"check_stack: the download has {len(downloaded.content)} bytes that differ from the "
                     f"{len(content)} uploaded")
        if downloaded.headers.get("x-content-sha256") != answer["sha256"]:
            sys.exit(f"check_stack: the download's X-Content-SHA256 is {downloaded.headers.get('x-content-sha256')}")
    print(f"check_stack: attachment of {len(content)} bytes uploaded and downloaded unchanged")


def _whole(total: Any) -> str | None:
    return None if total is None else str(Decimal(str(total)).normalize())


def _must(client: httpx.Client, bearer: str, query: str, **variables: Any) -> dict[str, Any]:
    answer = client.post("/graphql", json={"query": query, "variables": variables},
                         headers={"Authorization": f"Bearer {bearer}"})
    body = answer.json()
    if answer.status_code != 200 or body.get("errors"):
        sys.exit(f"check_stack: {answer.status_code} {body.get('errors')}")
    return body["data"]


async def _with_client(url: str, step: Any) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await step(client)


if __name__ == "__main__":
    commands = {"ranking": 3, "prepare": 4, "submit": 4, "verify": 4, "attachment": 4}
    if len(sys.argv) not in (3, 4) or commands.get(sys.argv[1]) != len(sys.argv):
        sys.exit(__doc__)
    if sys.argv[1] == "ranking":
        ranking(sys.argv[2])
    else:
        steps = {"prepare": prepare, "submit": submit, "verify": verify, "attachment": attachment}
        steps[sys.argv[1]](sys.argv[2], Path(sys.argv[3]))
