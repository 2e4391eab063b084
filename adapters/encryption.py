"""AES-256-GCM encryption of Temporal payloads, so customer data is never stored in clear.

Each encrypted payload names the key that sealed it (``encryption-key-id`` in its
metadata), so keys rotate: new payloads use the newest key of the ring, and payloads
sealed with an older key still open as long as that key stays in the ring. A payload
without our encoding (recorded before encryption was turned on) passes through as it is.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretBytes
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"  # the encoding Temporal's samples and tools use for this
KEY_ID = "encryption-key-id"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
_KEY_ID_SHAPE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class InvalidEncryptionKeys(ValueError):
    """A key list that cannot be used; the message never contains key material."""


class UnknownEncryptionKey(LookupError):
    """A payload was sealed with a key this ring does not hold."""


class UndecryptablePayload(ValueError):
    """A payload names a key we hold but does not open with it: altered or truncated."""


@dataclass(frozen=True)
class EncryptionKey:
    """One AES-256 key and the id payloads name it by; the key never prints."""

    key_id: str
    secret: SecretBytes = field(repr=False)


class KeyRing:
    """The encryption keys, newest first: the first seals, all of them open."""

    def __init__(self, keys: Sequence[EncryptionKey]) -> None:
        if not keys:
            raise InvalidEncryptionKeys("no encryption key given")
        ids = [key.key_id for key in keys]
        for key in keys:
            if not _KEY_ID_SHAPE.match(key.key_id):
                raise InvalidEncryptionKeys(
                    f"key id {key.key_id[:70]!r} must be 1-64 letters, digits, '.', '_' or '-'"
                )
            if len(key.secret.get_secret_value()) != KEY_BYTES:
                raise InvalidEncryptionKeys(
                    f"key {key.key_id!r} must be {KEY_BYTES} bytes (base64 of 32 random bytes)"
                )
        repeated = sorted({key_id for key_id in ids if ids.count(key_id) > 1})
        if repeated:
            raise InvalidEncryptionKeys(f"key id(s) given twice: {', '.join(repeated)}")
        self._keys = list(keys)
        self._ciphers = {key.key_id: AESGCM(key.secret.get_secret_value()) for key in keys}

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """``"k2:<base64>,k1:<base64>"`` (commas or new lines; ``#`` starts a comment)."""
        keys = []
        for entry in _entries(text):
            key_id, colon, encoded = entry.partition(":")
            if not colon:
                raise InvalidEncryptionKeys(
                    "each key must read <key id>:<base64 of 32 bytes>, e.g. k1:...; "
                    "one entry has no ':'"
                )
            try:
                secret = base64.b64decode(encoded.strip(), validate=True)
            except binascii.Error:
                raise InvalidEncryptionKeys(f"key {key_id.strip()!r} is not valid base64") from None
            keys.append(EncryptionKey(key_id.strip(), SecretBytes(secret)))
        return cls(keys)

    @property
    def newest(self) -> EncryptionKey:
        return self._keys[0]

    @property
    def key_ids(self) -> list[str]:
        return [key.key_id for key in self._keys]

    def cipher(self, key_id: str) -> AESGCM:
        try:
            return self._ciphers[key_id]
        except KeyError:
            raise UnknownEncryptionKey(
                f"the payload was encrypted with key {key_id!r}, which is not among the "
                f"configured keys ({', '.join(self.key_ids)}); add it back to "
                "DOM_ENCRYPTION_KEYS or the encryption-keys file"
            ) from None

    def __repr__(self) -> str:
        return f"KeyRing({', '.join(self.key_ids)})"


def new_key(key_id: str) -> EncryptionKey:
    """A fresh random key."""
    return EncryptionKey(key_id, SecretBytes(os.urandom(KEY_BYTES)))


def format_keys(keys: Iterable[EncryptionKey]) -> str:
    """The keys as ``parse`` reads them, one per line, in the order given (newest first)."""
    return "".join(
        f"{key.key_id}:{base64.b64encode(key.secret.get_secret_value()).decode()}\n" for key in keys
    )


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


class EncryptionCodec(PayloadCodec):
    """Seals each payload whole (its metadata too) with the newest key; opens with the
    key the payload names. Payloads not in our encoding pass through on decode."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(payload) for payload in payloads]

    def seal(self, payload: Payload) -> Payload:
        key = self.ring.newest
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.ring.cipher(key.key_id).encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key.key_id.encode()},
            data=nonce + sealed,
        )

    def open(self, payload: Payload) -> Payload:
        if not is_encrypted(payload):
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self.ring.cipher(key_id)
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            return Payload.FromString(cipher.decrypt(nonce, sealed, None))
        except InvalidTag:
            raise UndecryptablePayload(
                f"a payload sealed with key {key_id!r} does not open: it was altered, or the "
                f"key {key_id!r} configured here is not the one that sealed it"
            ) from None


def _entries(text: str) -> list[str]:
    lines = (line.split("#", 1)[0] for line in text.splitlines())
    return [entry.strip() for line in lines for entry in line.split(",") if entry.strip()]
