"""The payload codec: what it seals, what it opens, and what it refuses."""

from __future__ import annotations

import base64

import pytest
from temporalio.api.common.v1 import Payload

from adapters.encryption import (
    ENCODING,
    KEY_ID,
    EncryptionCodec,
    InvalidEncryptionKeys,
    KeyRing,
    UndecryptablePayload,
    UnknownEncryptionKey,
    format_keys,
    new_key,
)

OLD = new_key("k1")
NEW = new_key("k2")


def plain(text: str = '{"name": "Dana Denver"}') -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_a_payload_round_trips_and_is_not_readable_sealed() -> None:
    codec = EncryptionCodec(KeyRing([OLD]))
    [sealed] = await codec.encode([plain()])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"k1"
    assert b"Dana" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [plain()]


async def test_the_same_payload_seals_differently_each_time() -> None:
    codec = EncryptionCodec(KeyRing([OLD]))
    first, second = await codec.encode([plain(), plain()])
    assert first.data != second.data  # a fresh nonce per payload


async def test_after_rotation_new_payloads_use_the_newest_key_and_old_ones_still_open() -> None:
    [before] = await EncryptionCodec(KeyRing([OLD])).encode([plain("before")])
    rotated = EncryptionCodec(KeyRing.parse(format_keys([NEW, OLD])))  # newest first
    [after] = await rotated.encode([plain("after")])
    assert after.metadata[KEY_ID] == b"k2"
    assert await rotated.decode([before, after]) == [plain("before"), plain("after")]


async def test_a_payload_sealed_with_a_key_no_longer_held_says_which_key() -> None:
    [sealed] = await EncryptionCodec(KeyRing([OLD])).encode([plain()])
    with pytest.raises(UnknownEncryptionKey, match=r"key 'k1'.*\(k2\)"):
        await EncryptionCodec(KeyRing([NEW])).decode([sealed])


async def test_an_altered_payload_is_refused() -> None:
    codec = EncryptionCodec(KeyRing([OLD]))
    [sealed] = await codec.encode([plain()])
    flipped = bytearray(sealed.data)
    flipped[-1] ^= 1
    tampered = Payload(metadata=dict(sealed.metadata), data=bytes(flipped))
    with pytest.raises(UndecryptablePayload, match="altered"):
        await codec.decode([tampered])


async def test_a_payload_under_the_right_id_but_another_key_is_refused() -> None:
    [sealed] = await EncryptionCodec(KeyRing([OLD])).encode([plain()])
    impostor = EncryptionCodec(KeyRing([new_key("k1")]))
    with pytest.raises(UndecryptablePayload):
        await impostor.decode([sealed])


async def test_an_unencrypted_payload_passes_through_decode() -> None:
    """Histories recorded before encryption was turned on still replay."""
    codec = EncryptionCodec(KeyRing([OLD]))
    binary = Payload(metadata={"encoding": b"binary/null"})
    assert await codec.decode([plain(), binary]) == [plain(), binary]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no encryption key"),
        ("k1", "no ':'"),
        ("k1:not base64!", "not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "must be 32 bytes"),
        (f"bad id:{base64.b64encode(bytes(32)).decode()}", "key id"),
        (f"k1:{base64.b64encode(bytes(32)).decode()},k1:{base64.b64encode(bytes(32)).decode()}",
         "given twice"),
    ],
)  # fmt: skip
def test_unusable_key_lists_are_refused_without_quoting_the_key(text: str, problem: str) -> None:
    with pytest.raises(InvalidEncryptionKeys, match=problem) as refused:
        KeyRing.parse(text)
    secret = text.partition(":")[2]
    assert not secret or secret.split(",")[0] not in str(refused.value)


def test_the_key_file_format_reads_back_with_comments_and_blank_lines() -> None:
    text = "# newest first\n\n" + format_keys([NEW, OLD]) + "  # trailing comment\n"
    ring = KeyRing.parse(text)
    assert ring.key_ids == ["k2", "k1"] and ring.newest.key_id == "k2"


def test_keys_never_print() -> None:
    ring = KeyRing([OLD])
    material = base64.b64encode(OLD.secret.get_secret_value()).decode()
    for shown in (repr(ring), str(ring), repr(OLD), str(OLD)):
        assert material not in shown and "k1" in shown
