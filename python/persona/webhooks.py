"""Verifying webhook deliveries: `X-Persona-Signature: sha256=<hex HMAC-SHA256 of the body>`."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign", "verify"]

PREFIX = "sha256="


def sign(secret: str | bytes, body: str | bytes) -> str:
    """The `X-Persona-Signature` value persona sends for `body` signed with `secret`."""
    key = secret.encode() if isinstance(secret, str) else secret
    data = body.encode() if isinstance(body, str) else body
    return PREFIX + hmac.new(key, data, hashlib.sha256).hexdigest()


def verify(secret: str | bytes, body: str | bytes, signature_header: str | None) -> bool:
    """True when `signature_header` is the signature of the exact `body` bytes under `secret`.

    Compares in constant time. Pass the raw request body, not re-serialised JSON: any change of
    whitespace or key order breaks the signature. A missing or malformed header is False.
    """
    if not signature_header:
        return False
    header = signature_header.strip()
    if not header.startswith(PREFIX):
        return False
    given = header[len(PREFIX) :].lower()
    return hmac.compare_digest(sign(secret, body)[len(PREFIX) :], given)
