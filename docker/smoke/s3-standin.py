#!/opt/moto/bin/python
"""`minio server DIR [--console-address ADDR]` as compose.yaml runs it, on this stand-in: moto's S3 server
on port 9000 behind a check of what MinIO checks of each request, with botocore's own SigV4 code:

- the Authorization header is AWS4-HMAC-SHA256 by MINIO_ROOT_USER, and its signature is the one
  MINIO_ROOT_PASSWORD gives over the signed headers (else 403 SignatureDoesNotMatch / InvalidAccessKeyId);
- a signed payload hash (x-amz-content-sha256) is that of the body received (else 400).

Requests without credentials are refused (403), as MinIO refuses anonymous ones. Objects live in memory.
"""

import hashlib
import hmac
import io
import os
import re
import sys
from typing import Any

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

ACCESS_KEY = os.environ["MINIO_ROOT_USER"]
SECRET_KEY = os.environ["MINIO_ROOT_PASSWORD"]
AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
                  r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")
UNHASHED = ("UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")


def refusal(environ: dict[str, Any]) -> tuple[str, str, str] | None:
    """(status, S3 error code, message) when the request is not one MinIO would accept, else None."""
    found = AUTH.match(environ.get("HTTP_AUTHORIZATION", ""))
    if not found:
        return "403 Forbidden", "AccessDenied", "no AWS4-HMAC-SHA256 credentials"
    access_key, day, region, signed, signature = found.groups()
    if access_key != ACCESS_KEY:
        return "403 Forbidden", "InvalidAccessKeyId", f"unknown access key {access_key}"
    headers = {}
    for name in signed.split(";"):
        value = environ.get("HTTP_" + name.upper().replace("-", "_"))
        if name == "content-length":
            value = environ.get("CONTENT_LENGTH")
        if value is None:
            return "403 Forbidden", "SignatureDoesNotMatch", f"signed header {name} is missing"
        headers[name] = value
    query = environ.get("QUERY_STRING", "")
    url = f"http://{environ['HTTP_HOST']}{environ.get('RAW_URI') or environ['PATH_INFO']}"
    request = AWSRequest(method=environ["REQUEST_METHOD"], url=url if "?" in url or not query else f"{url}?{query}",
                         headers=headers)
    request.context["timestamp"] = headers.get("x-amz-date", "")
    if request.context["timestamp"][:8] != day:
        return "403 Forbidden", "SignatureDoesNotMatch", "x-amz-date is not the credential's day"
    signer = S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, signature):
        return "403 Forbidden", "SignatureDoesNotMatch", "the request signature does not match"
    return None


def checked(app: Any) -> Any:
    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        refused = refusal(environ)
        claimed = environ.get("HTTP_X_AMZ_CONTENT_SHA256", "")
        if refused is None and environ["REQUEST_METHOD"] in ("PUT", "POST") and claimed not in UNHASHED:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            if hashlib.sha256(body).hexdigest() != claimed:
                refused = ("400 Bad Request", "XAmzContentSHA256Mismatch", "the body's SHA-256 is not the signed one")
        if refused is None:
            return app(environ, start_response)
        status, code, message = refused
        print(f"s3 stand-in: {environ['REQUEST_METHOD']} {environ['PATH_INFO']} refused: {code} ({message})",
              file=sys.stderr, flush=True)
        start_response(status, [("Content-Type", "application/xml")])
        return [f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()]

    return wsgi


if __name__ == "__main__":
    if sys.argv[1:2] != ["server"]:
        sys.exit(f"minio stand-in: only 'server DIR' is known, not: {' '.join(sys.argv[1:])}")
    app = checked(DomainDispatcherApplication(create_backend_app))
    # a container's server, reached on the compose network
    run_simple("0.0.0.0", 9000, app, threaded=True, request_handler=MotoRequestHandler)  # noqa: S104
