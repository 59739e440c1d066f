#!/opt/moto/bin/python
"""The `mc` commands compose.yaml uses, against the S3 stand-in:

    mc ready ALIAS                          exit 0 once the alias's server answers HTTP (`local`: this container)
    mc alias set ALIAS URL ACCESS SECRET    remember an alias (in ~/.mc-standin.json)
    mc mb [--ignore-existing] ALIAS/BUCKET  create a bucket
"""

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

SAVED = Path.home() / ".mc-standin.json"


def aliases() -> dict:
    known = json.loads(SAVED.read_text()) if SAVED.exists() else {}
    return {"local": {"url": "http://127.0.0.1:9000", "access": "", "secret": ""}, **known}


def main(args: list[str]) -> int:
    if args[:1] == ["ready"] and len(args) == 2:
        try:
            url = aliases()[args[1]]["url"]
            if not url.startswith(("http://", "https://")):
                raise OSError(f"{url} is not an http(s) URL")
            urllib.request.urlopen(url + "/", timeout=4)  # noqa: S310 - the scheme is checked above
        except urllib.error.HTTPError:
            pass  # an S3 error answer: the server is up
        except (OSError, KeyError) as exc:
            print(f"mc: {args[1]} not ready: {exc}", file=sys.stderr)
            return 1
        return 0
    if args[:2] == ["alias", "set"] and len(args) == 6:
        known = json.loads(SAVED.read_text()) if SAVED.exists() else {}
        known[args[2]] = {"url": args[3], "access": args[4], "secret": args[5]}
        SAVED.write_text(json.dumps(known))
        print(f"Added `{args[2]}` successfully.")
        return 0
    if args[:1] == ["mb"] and len(args) in (2, 3):
        import boto3  # here: `mc ready`, the healthcheck, stays quick
        import botocore.exceptions

        ignore = "--ignore-existing" in args
        target = args[-1]
        alias, _, bucket = target.partition("/")
        where = aliases()[alias]
        s3 = boto3.client("s3", endpoint_url=where["url"], aws_access_key_id=where["access"] or "x",
                          aws_secret_access_key=where["secret"] or "x", region_name="us-east-1")
        try:
            s3.create_bucket(Bucket=bucket)
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if not (ignore and code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists")):
                raise
        print(f"Bucket created successfully `{target}`.")
        return 0
    print(f"mc stand-in: not known: {' '.join(args)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
