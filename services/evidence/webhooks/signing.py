"""Standard Webhooks signatures (HMAC-SHA256 over `id.timestamp.body`, secrets `whsec_` + base64)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """One `v1,<base64 signature>` entry of the `webhook-signature` header."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    mac = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_header(secrets_in_force: list[str], message_id: str, timestamp: int, body: str) -> str:
    """Every secret in force signs (the new one and, during a rotation's overlap, the old one)."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_in_force)
