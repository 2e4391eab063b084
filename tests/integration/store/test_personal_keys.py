"""Customers' own keys (SQLite and PostgreSQL): personal data sealed under them opens
while the key lives and never after the customer is erased; keys are kept only wrapped,
rotate with the payload keys, and two first orders at once share one key."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from adapters.encryption import KeyRing, UnknownEncryptionKey, new_key
from adapters.personal_keys import PersonalVault, UnreadablePersonalData
from adapters.store import InventoryStore
from domain.models import Contact, Destination
from domain.personal import Personal, SealedPersonal, impersonal, personal_of, rejoined
from tests.support.keys import TEST_KEYS

ADA = Personal(
    customer=Contact(name="Ada Quenby", email="Ada@Example.org"),
    recipient="Ada Quenby",
    address1="1 Larkspur Way",
    city="Denver",
    region="CO",
    lat=39.7525,
    lon=-104.9995,
)


def _vault(store: InventoryStore, ring: KeyRing = TEST_KEYS.encryption) -> PersonalVault:
    return PersonalVault(store, ring, TEST_KEYS.search_hash, cache_seconds=0)


async def test_sealed_data_opens_until_the_customer_is_erased(store: InventoryStore) -> None:
    vault = _vault(store)
    sealed = await vault.seal("ada@example.org", ADA)
    assert "Ada" not in sealed.model_dump_json() and "Larkspur" not in sealed.model_dump_json()
    assert await vault.open(sealed) == ADA
    # The same customer, however the address is written, has one key and one search value.
    again = await vault.seal("  ADA@example.ORG ", ADA)
    assert again.key_id == sealed.key_id and again.data != sealed.data
    searched = await vault.search_value("ada@example.org")
    assert searched is not None and searched == await vault.search_value("Ada@Example.org")

    assert await vault.erase("ada@example.org") == [sealed.key_id]
    assert await vault.open(sealed) is None
    assert await vault.open(again) is None
    assert await vault.search_value("ada@example.org") is None
    assert await vault.erase("ada@example.org") == []  # twice: harmless
    # Another order afterwards gets a new key; the old data stays unreadable.
    fresh = await vault.seal("ada@example.org", ADA)
    assert fresh.key_id != sealed.key_id and await vault.open(sealed) is None


async def test_the_store_keeps_only_wrapped_keys_and_no_e_mail(store: InventoryStore) -> None:
    vault = _vault(store)
    sealed = await vault.seal("ada@example.org", ADA)
    with store._engine.connect() as db:  # the raw table, on purpose
        [row] = db.execute(sa.text("SELECT * FROM customer_keys")).all()
    assert row.key_id == sealed.key_id
    # No e-mail and no name in it (words with letters beyond hex and base64 noise).
    assert "ada@" not in str(row).lower() and "quenby" not in str(row).lower()
    assert row.wrapped.startswith(TEST_KEYS.encryption.newest.key_id + ":")


async def test_keys_rotate_with_the_payload_keys(store: InventoryStore) -> None:
    sealed = await _vault(store).seal("ada@example.org", ADA)
    rotated = KeyRing([new_key("k2"), *[TEST_KEYS.encryption.newest]])
    assert await _vault(store, rotated).open(sealed) == ADA  # the old ring key still opens
    newcomer = await _vault(store, rotated).seal("bo@example.org", ADA)
    with store._engine.connect() as db:
        wrapped = db.execute(
            sa.text("SELECT wrapped FROM customer_keys WHERE key_id = :k"), {"k": newcomer.key_id}
        ).scalar_one()
    assert wrapped.startswith("k2:")
    with pytest.raises(UnknownEncryptionKey):  # a ring without k2 cannot unwrap it
        await _vault(store).open(newcomer)


async def test_altered_data_is_refused_not_misread(store: InventoryStore) -> None:
    vault = _vault(store)
    sealed = await vault.seal("ada@example.org", ADA)
    other = await vault.seal("bo@example.org", ADA)
    flipped = sealed.data[:-6] + ("A" if sealed.data[-6] != "A" else "B") + sealed.data[-5:]
    for altered in (
        SealedPersonal(key_id=sealed.key_id, data=flipped),
        SealedPersonal(key_id=other.key_id, data=sealed.data),  # moved under another key
        SealedPersonal(key_id=sealed.key_id, data="not base64!"),
    ):
        with pytest.raises(UnreadablePersonalData):
            await vault.open(altered)


async def test_two_first_orders_at_once_share_one_key(store: InventoryStore) -> None:
    vaults = [_vault(store) for _ in range(6)]  # as if six API processes
    sealed = await asyncio.gather(*(v.seal("new@example.org", ADA) for v in vaults))
    assert len({s.key_id for s in sealed}) == 1
    for s in sealed:
        assert await vaults[0].open(s) == ADA


def test_what_stays_in_clear_is_the_zip_and_a_rounded_point() -> None:
    full = Destination(
        postal_code="80202", name="Ada Quenby", address1="1 Larkspur Way", address2="Apt 4",
        city="Denver", region="CO", lat=39.752512, lon=-104.999531,
    )  # fmt: skip
    clear = impersonal(full)
    assert clear.model_dump(exclude_none=True) == {
        "postal_code": "80202",
        "country": "US",
        "lat": 39.75,
        "lon": -105.0,
    }
    personal = personal_of(Contact(name="Ada Quenby", email="ada@example.org"), full)
    assert rejoined(clear, personal) == full


async def test_rewrap_moves_every_key_to_the_newest_ring_key(store: InventoryStore) -> None:
    old_ring = TEST_KEYS.encryption
    sealed = [await _vault(store).seal(f"c{i}@example.org", ADA) for i in range(3)]
    rotated = KeyRing([new_key("k9"), old_ring.newest])
    assert _vault(store, rotated).rewrap() == 3
    assert _vault(store, rotated).rewrap() == 0  # done: a second pass changes nothing
    retired = KeyRing([rotated.newest])  # the old ring key is gone now
    for s in sealed:
        assert await _vault(store, retired).open(s) == ADA


async def test_customers_are_found_by_part_of_a_name_until_erased(store: InventoryStore) -> None:
    vault = _vault(store)
    await vault.seal("ada@example.org", ADA)
    bo = ADA.model_copy(
        update={"customer": Contact(name="Bo Quenby", email="bo@example.org"), "recipient": None}
    )
    await vault.seal("bo@example.org", bo)
    ada_value = await vault.search_value("ada@example.org")
    bo_value = await vault.search_value("bo@example.org")

    assert await vault.search_values_matching("ADA QUEN") == [ada_value]
    assert sorted(await vault.search_values_matching("quenby")) == sorted([ada_value, bo_value])
    assert await vault.search_values_matching("bo@ex") == [bo_value]
    assert await vault.search_values_matching("qu") == []  # under 3 characters: no search
    with store._engine.connect() as db:  # the index holds hashes, no piece of a name
        terms = [t for (t,) in db.execute(sa.text("SELECT term FROM customer_terms"))]
    assert terms and not any("que" in t or "nby" in t for t in terms)  # not hex digits

    await vault.erase("ada@example.org")
    assert await vault.search_values_matching("ada quen") == []
    assert await vault.search_values_matching("quenby") == [bo_value]


async def test_a_process_remembers_a_bounded_number_of_customers(
    store: InventoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("adapters.personal_keys.CACHE_ENTRIES", 3)
    vault = PersonalVault(store, TEST_KEYS.encryption, TEST_KEYS.search_hash)
    sealed = [await vault.seal(f"c{i}@example.org", ADA) for i in range(6)]
    assert max(len(vault._by_id), len(vault._by_ref), len(vault._indexed)) <= 3
    assert await vault.open(sealed[0]) == ADA  # forgotten here, read from the store again
