"""Signed webhooks, both ways: ``X-Switchyard-Signature: t=<unix seconds>,v1=<hex>``.

``v1`` is the HMAC-SHA256, keyed with the shared secret, of ``f"{t}."`` followed by the
raw body: the timestamp is signed with the body, so a receiver that refuses old
timestamps refuses replays of a captured request too (the scheme Stripe uses). A header
may carry several ``v1`` values (one per secret while a secret is being rotated); a
request is genuine when any of them matches any secret the receiver holds.

Switchyard signs what it sends to locations with ``sign`` and checks what partners send
to it with ``verify``; docs/webhooks.md shows partners the same few lines.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Switchyard-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
"""How far a signed timestamp may be from the receiver's clock, either way."""


# What a field may be, exactly: ASCII digits (not "²", which str.isdigit takes and int()
# refuses), few enough for a clock (a 5,000-digit t is a ValueError in int(), a 400-digit
# one an OverflowError against a float clock), and 64 hex digits for a SHA-256.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class InvalidSignature(Exception):
    """A webhook whose signature is missing, malformed, wrong or too old to trust."""


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The ``v1`` value: hex HMAC-SHA256 of ``f"{timestamp}."`` + ``body`` under ``secret``."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str | Sequence[str], now: float | None = None) -> str:
    """The header value for ``body`` sent at ``now`` (Unix seconds; default: the clock).

    Several secrets (the new one first, while rotating) give one ``v1`` each."""
    timestamp = int(time.time() if now is None else now)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    return ",".join([f"t={timestamp}", *(f"v1={signature(body, s, timestamp)}" for s in secrets)])


def verify(
    header: str | None,
    body: bytes,
    secrets: str | Sequence[str],
    now: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check a signature header against the raw ``body``; returns its timestamp.

    Raises ``InvalidSignature``, and only that, when the header is missing or malformed
    (not exactly one ``t`` of at most 12 ASCII digits, or a ``v1`` that is not 64 hex
    digits), when no ``v1`` matches any of ``secrets``, or when its timestamp is more
    than ``tolerance`` seconds from ``now``. Comparisons take constant time."""
    if not header or not isinstance(header, str):
        raise InvalidSignature(f"the {SIGNATURE_HEADER} header is missing")
    malformed = InvalidSignature(f"the {SIGNATURE_HEADER} header is not t=<unix time>,v1=<hex>")
    stamps: list[str] = []
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            stamps.append(value)
        elif key == "v1" and value:
            candidates.append(value.lower())
    # One timestamp, a number; every v1 a hex SHA-256: anything else is not a signature.
    if len(stamps) != 1 or not _TIMESTAMP.fullmatch(stamps[0]) or not candidates:
        raise malformed
    if not all(_HEX_DIGEST.fullmatch(candidate) for candidate in candidates):
        raise malformed
    timestamp = int(stamps[0])
    keys = [secrets] if isinstance(secrets, str) else [s for s in secrets if s]
    if not keys:
        raise InvalidSignature("no secret to check the signature against")
    expected = [signature(body, key, timestamp) for key in keys]
    # Every pair is compared (no early exit), so timing says nothing about which matched.
    matched = False
    for candidate in candidates:
        for want in expected:
            matched |= hmac.compare_digest(candidate.encode(), want.encode())
    if not matched:
        raise InvalidSignature("the signature does not match the body")
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > tolerance:
        raise InvalidSignature(
            f"the signature's timestamp is {abs(age):.0f}s "
            f"{'old' if age > 0 else 'in the future'}; the limit is {tolerance:g}s"
        )
    return timestamp
