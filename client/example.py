"""The typed client (kaohe_client) in a few lines: who you are, then the organisation's top units and how many
units each has directly under it.

    pip install 'kaohe[client]'
    KAOHE_GATEWAY_URL=http://127.0.0.1:8000 KAOHE_TOKEN=<a JWT, or KAOHE_API_KEY=<a key>> python client/example.py

Every answer is a typed object (pydantic) named after the operation in client/operations/; a GraphQL error
raises `GraphQLClientGraphQLMultiError` with each error's message and `extensions.code`; a refusal by HTTP status
(401 without a valid token) raises `KaoheHttpError`, one of those too, with its `status_code`, `code` and `message`."""

from __future__ import annotations

import os

from kaohe_client import KaoheClient


def main() -> None:
    url = os.environ.get("KAOHE_GATEWAY_URL", "http://127.0.0.1:8000").rstrip("/")
    key = os.environ.get("KAOHE_API_KEY")
    headers = {"X-API-Key": key} if key else {"Authorization": f"Bearer {os.environ['KAOHE_TOKEN']}"}
    with KaoheClient(url=f"{url}/graphql", headers=headers) as client:
        me = client.me().me
        if me is None:  # root fields are nullable: a failed one raises, so this is a gateway without `me`
            raise SystemExit("the gateway gave no `me`")
        print(f"{me.subject} ({me.kind}): " + ", ".join(f"{g.role}@{g.scope or '*'}" for g in me.grants))
        roots = client.units(first=100).units
        for unit in roots.nodes if roots is not None else []:
            under = client.units(parent_id=unit.id, first=0).units
            print(f"{unit.path}\t{unit.name}\t{under.total_count if under is not None else '?'} units under it")


if __name__ == "__main__":
    main()
