"""Per-customer data keys: seal a customer's personal data, open it, forget it for good.

Each customer (by e-mail) has a random AES-256 key of their own. The store keeps it only
wrapped, sealed by the payload key ring (``adapters/encryption.py``: the same keys as the
histories, so it rotates with them: wrapped by the newest, opened by whichever wrapped
it). Personal data is sealed under the customer's key with AES-GCM, the key's id bound in
as associated data. Erasing the customer deletes their key: every copy of their data,
in any history, store row, backup of a history or export, stays ciphertext for good
(crypto-shredding).

A customer is found by a keyed hash of their normalized e-mail (HMAC-SHA256 under the
search hash key, with a label of its own), never by the e-mail itself. An API or worker
process remembers a key for ``CACHE_SECONDS``: an erasure reaches every process within
that time (at once in the one that erased).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import secrets
import time
from collections import OrderedDict
from typing import Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretBytes, ValidationError

from adapters.encryption import KEY_BYTES, NONCE_BYTES, KeyRing, UnknownEncryptionKey
from adapters.store.views import CustomerKeyRecord
from domain.personal import Personal, SealedPersonal, search_terms

CACHE_SECONDS = 5.0
# How many customers a process remembers at most (keys, and whose search terms it wrote):
# a day of checkouts must not grow the API without bound. One forgotten costs a store read.
CACHE_ENTRIES = 10_000
_REF_LABEL = b"switchyard customer ref\x00"
_SEARCH_LABEL = b"switchyard customer search\x00"
_TERM_LABEL = b"switchyard customer term\x00"
K = TypeVar("K")
V = TypeVar("V")


class CustomerKeyStore(Protocol):
    """Where wrapped customer keys live (``adapters/store``)."""

    def customer_key(self, customer_ref: str) -> CustomerKeyRecord | None: ...

    def customer_key_by_id(self, key_id: str) -> CustomerKeyRecord | None: ...

    def add_customer_key(
        self, key: CustomerKeyRecord, terms: set[str] | None = ...
    ) -> CustomerKeyRecord: ...

    def erase_customer_key(self, customer_ref: str) -> list[str]: ...

    def customer_keys_wrapped_by_other_than(
        self, ring_key_id: str, limit: int = ...
    ) -> list[CustomerKeyRecord]: ...

    def rewrap_customer_key(self, key_id: str, old: str, new: str) -> bool: ...

    def index_customer(self, key_id: str, terms: set[str]) -> None: ...

    def customers_with_terms(self, terms: set[str], limit: int = ...) -> list[str]: ...


class UnreadablePersonalData(ValueError):
    """Sealed data that names a live key but does not open with it: altered or truncated."""


def normalized_email(email: str) -> bytes:
    return email.strip().lower().encode()


def _search_value(key: bytes) -> str:
    """What the e-mail search attribute of the customer's orders holds: derived from
    their key alone, so it is found from the key (a search by part of a name) and lost
    with it (erasure)."""
    return hmac.new(key, _SEARCH_LABEL, hashlib.sha256).hexdigest()


class PersonalVault:
    """Seals and opens customers' personal data under their own keys; erases customers."""

    def __init__(
        self,
        store: CustomerKeyStore,
        ring: KeyRing,
        search_hash_key: SecretBytes,
        *,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._store = store
        self._ring = ring
        self._hash_key = search_hash_key
        self._cache_seconds = cache_seconds
        self._by_id: _Recent[str, tuple[float, bytes]] = _Recent()
        self._by_ref: _Recent[str, tuple[float, str]] = _Recent()
        # (key id, its terms) this process has indexed: a repeat customer costs no write.
        self._indexed: _Recent[tuple[str, frozenset[str]], bool] = _Recent()

    def customer_ref(self, email: str) -> str:
        """The customer's reference: a keyed hash of their e-mail, hex."""
        key = self._hash_key.get_secret_value()
        return hmac.new(key, _REF_LABEL + normalized_email(email), hashlib.sha256).hexdigest()

    async def seal(self, email: str, personal: Personal) -> SealedPersonal:
        """``personal`` sealed under the customer's key (made on their first order); the
        customer's name and e-mail are indexed for searches by part of them."""
        terms = self._terms(personal)
        key_id, key = await self._key_for(email, create=True, terms=terms)
        assert key is not None
        if (key_id, frozenset(terms)) not in self._indexed:  # a name not seen here yet
            await asyncio.to_thread(self._store.index_customer, key_id, terms)
            self._indexed.put((key_id, frozenset(terms)), True)
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, personal.model_dump_json().encode(), key_id.encode())
        return SealedPersonal(key_id=key_id, data=base64.b64encode(nonce + sealed).decode())

    async def open(self, sealed: SealedPersonal) -> Personal | None:
        """What ``sealed`` holds; None once its customer was erased."""
        key = await self._key_by_id(sealed.key_id)
        if key is None:
            return None
        try:
            raw = base64.b64decode(sealed.data, validate=True)
            plain = AESGCM(key).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], sealed.key_id.encode()
            )
            return Personal.model_validate_json(plain)
        except (binascii.Error, InvalidTag, ValidationError):
            raise UnreadablePersonalData(
                f"personal data sealed with customer key {sealed.key_id!r} does not open: "
                "it was altered"
            ) from None

    async def search_value(self, email: str) -> str | None:
        """What an order of this customer holds in its e-mail search attribute: a hash
        under the customer's own key, so no search finds them once they are erased.
        None if the customer has no key (never ordered since keys came in, or erased)."""
        _, key = await self._key_for(email, create=False)
        return _search_value(key) if key is not None else None

    async def search_values_matching(self, text: str, limit: int = 200) -> list[str]:
        """The search values of up to ``limit`` customers whose name or e-mail may
        contain ``text`` (3 characters at least; a blind index, so some may not: open
        what is found and check)."""
        wanted = search_terms(text)
        if not wanted:
            return []
        hashed = {self._term(term) for term in wanted}
        key_ids = await asyncio.to_thread(self._store.customers_with_terms, hashed, limit)
        keys = [await self._key_by_id(key_id) for key_id in key_ids]
        return [_search_value(key) for key in keys if key is not None]

    async def erase(self, email: str) -> list[str]:
        """Destroy the customer's key; the key ids destroyed ([] if there was none)."""
        ref = self.customer_ref(email)
        erased = await asyncio.to_thread(self._store.erase_customer_key, ref)
        self._by_ref.pop(ref, None)
        for key_id in erased:
            self._by_id.pop(key_id, None)
        return erased

    def rewrap(self) -> int:
        """Wrap every customer key under the ring's newest key (after a rotation, so the
        older ring key can be retired); how many were rewrapped. Safe beside running
        processes and twins: each swap checks the wrapping it replaces."""
        newest = self._ring.newest.key_id
        done = 0
        while True:
            batch = self._store.customer_keys_wrapped_by_other_than(newest)
            if not batch:
                return done
            for record in batch:
                fresh = self._wrap(record.key_id, self._unwrap(record))
                done += self._store.rewrap_customer_key(record.key_id, record.wrapped, fresh)

    # --- keys ----------------------------------------------------------------------

    def _term(self, piece: str) -> str:
        key = self._hash_key.get_secret_value()
        return hmac.new(key, _TERM_LABEL + piece.encode(), hashlib.sha256).hexdigest()[:32]

    def _terms(self, personal: Personal) -> set[str]:
        names = (personal.customer.name, personal.customer.email, personal.recipient or "")
        return {self._term(piece) for name in names for piece in search_terms(name)}

    async def _key_for(
        self, email: str, *, create: bool, terms: set[str] | None = None
    ) -> tuple[str, bytes | None]:
        ref = self.customer_ref(email)
        cached = self._by_ref.get(ref)
        if cached and cached[0] > time.monotonic():
            key = await self._key_by_id(cached[1])
            if key is not None:
                return cached[1], key
        record = await asyncio.to_thread(self._store.customer_key, ref)
        if record is None:
            if not create:
                return "", None
            key_id, key = "ck_" + secrets.token_hex(16), os.urandom(KEY_BYTES)
            wrapped = self._wrap(key_id, key)
            new = CustomerKeyRecord(key_id=key_id, customer_ref=ref, wrapped=wrapped)
            record = await asyncio.to_thread(self._store.add_customer_key, new, terms)
            if record.key_id == key_id:
                self._indexed.put((key_id, frozenset(terms or ())), True)
        key = self._unwrap(record)
        self._remember(record.key_id, key, ref)
        return record.key_id, key

    async def _key_by_id(self, key_id: str) -> bytes | None:
        cached = self._by_id.get(key_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        record = await asyncio.to_thread(self._store.customer_key_by_id, key_id)
        if record is None:
            self._by_id.pop(key_id, None)
            return None
        key = self._unwrap(record)
        self._remember(key_id, key, record.customer_ref)
        return key

    def _remember(self, key_id: str, key: bytes, ref: str) -> None:
        until = time.monotonic() + self._cache_seconds
        self._by_id.put(key_id, (until, key))
        self._by_ref.put(ref, (until, key_id))

    def _wrap(self, key_id: str, key: bytes) -> str:
        """``<ring key id>:<base64 of nonce + sealed key>``, the customer key's id bound in."""
        master = self._ring.newest
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ring.cipher(master.key_id).encrypt(nonce, key, key_id.encode())
        return f"{master.key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def _unwrap(self, record: CustomerKeyRecord) -> bytes:
        master_id, _, encoded = record.wrapped.partition(":")
        try:
            raw = base64.b64decode(encoded, validate=True)
            return self._ring.cipher(master_id).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], record.key_id.encode()
            )
        except UnknownEncryptionKey:
            raise
        except (binascii.Error, InvalidTag):
            raise UnreadablePersonalData(
                f"customer key {record.key_id!r} does not unwrap with ring key {master_id!r}"
            ) from None


class _Recent(OrderedDict[K, V]):
    """A mapping that keeps the ``CACHE_ENTRIES`` most recently put entries."""

    def put(self, key: K, value: V) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_ENTRIES:
            self.popitem(last=False)
