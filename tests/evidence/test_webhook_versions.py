"""Newcomer probe: a webhook's `version` is the submission's version after the event, the one the next write
needs. A portal that takes it from the webhook and corrects a returned submission succeeds (it got CONFLICT
`{"version": 1, "current": 3}` when webhooks carried the content version number instead)."""

from __future__ import annotations

from typing import Any

from tests.conftest import auth
from tests.evidence.conftest import SCORE, Stack
from tests.evidence.receiver import Receiver
from tests.evidence.webhook_stack import dispatcher, subscribe, until

ASSESSOR = auth(("assessor", "city/a"), subject="assessor-a")
REVIEWER = auth(("reviewer", "city/a"), subject="chief")


async def test_a_portal_corrects_a_returned_submission_with_the_webhooks_version(stack: Stack) -> None:
    receiver = await Receiver().start()
    sender = dispatcher(stack.db)
    sender.start()
    client = stack.client

    def received(kind: str) -> list[dict[str, Any]]:
        return [c.json["data"] for c in receiver.calls if c.json["type"] == kind]

    try:
        await subscribe(stack, receiver.url)
        created = (await client.post("/v1/submissions", json=SCORE, headers=ASSESSOR)).json()
        await until(lambda: len(received("submission.submitted")) == 1)
        submitted = received("submission.submitted")[0]
        assert (submitted["version"], submitted["current_version"]) == (1, 1)

        # the reviewer returns it, naming the version the webhook gave
        answer = await client.post(f"/v1/submissions/{created['id']}/decisions", headers=REVIEWER,
                                   json={"action": "return", "reason": "补充材料", "version": submitted["version"]})
        assert answer.status_code == 201, answer.text
        await until(lambda: len(received("submission.returned")) == 1)
        returned = received("submission.returned")[0]
        # "return" moved the version from 1 to 2; the content is still its first version
        assert (returned["version"], returned["current_version"], returned["status"]) == (2, 1, "returned")

        # the portal corrects with the webhook's version: accepted, a second content version, version 3
        corrected = await client.patch(f"/v1/submissions/{created['id']}", headers=ASSESSOR, json={
            "content": {"points": "47", "assessor": "科室负责人"}, "justification": "更正",
            "version": returned["version"]})
        assert corrected.status_code == 200, corrected.text
        assert (corrected.json()["version"], corrected.json()["current_version"]) == (3, 2)
        await until(lambda: len(received("submission.submitted")) == 2)
        resubmitted = received("submission.submitted")[1]
        assert (resubmitted["version"], resubmitted["current_version"]) == (3, 2)

        # and the reviewer approves with that one: version 4, announced as such
        approved = await client.post(f"/v1/submissions/{created['id']}/decisions", headers=REVIEWER,
                                     json={"action": "approve", "version": resubmitted["version"]})
        assert approved.status_code == 201, approved.text
        await until(lambda: len(received("submission.approved")) == 1)
        assert received("submission.approved")[0]["version"] == approved.json()["version"] == 4
    finally:
        await sender.stop()
        await receiver.stop()
