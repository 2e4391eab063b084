"""Webhook signatures: the timestamp signed with the body, refused when wrong or stale."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from adapters.signatures import InvalidSignature, sign, signature, verify

BODY = b'{"type":"fulfillment.requested"}'
NOW = 1_750_000_000


def test_the_header_is_the_timestamp_and_the_hmac_of_timestamp_dot_body() -> None:
    header = sign(BODY, "s3cret", now=NOW)
    expected = hmac.new(b"s3cret", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"
    assert verify(header, BODY, "s3cret", now=NOW + 10) == NOW


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha256=abc", "not t=<unix time>,v1=<hex>"),
        (f"t={NOW}", "not t=<unix time>,v1=<hex>"),
        (f"v1={signature(BODY, 's3cret', NOW)}", "not t=<unix time>,v1=<hex>"),
        (f"t={NOW},v1={signature(BODY, 'other', NOW)}", "does not match"),
        (f"t={NOW + 1},v1={signature(BODY, 's3cret', NOW)}", "does not match"),  # t altered
        (f"t={NOW - 301},v1={signature(BODY, 's3cret', NOW - 301)}", "301s old"),
        (f"t={NOW + 301},v1={signature(BODY, 's3cret', NOW + 301)}", "in the future"),
    ],
)
def test_a_missing_malformed_wrong_or_stale_signature_is_refused(
    header: str | None, says: str
) -> None:
    with pytest.raises(InvalidSignature, match=says):
        verify(header, BODY, "s3cret", now=NOW)


def test_a_changed_body_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(sign(BODY, "s3cret", now=NOW), BODY + b" ", "s3cret", now=NOW)


def test_the_tolerance_is_the_receivers_choice() -> None:
    old = sign(BODY, "s3cret", now=NOW - 60)
    assert verify(old, BODY, "s3cret", now=NOW, tolerance=120) == NOW - 60
    with pytest.raises(InvalidSignature, match="limit is 30s"):
        verify(old, BODY, "s3cret", now=NOW, tolerance=30)


def test_rotation_either_side_holds_several_secrets() -> None:
    """While a secret is replaced the sender may sign with both, and the receiver may
    accept both: any v1 matching any secret will do."""
    both = sign(BODY, ["new", "old"], now=NOW)
    assert both.count("v1=") == 2
    assert verify(both, BODY, "old", now=NOW) == NOW
    assert verify(sign(BODY, "old", now=NOW), BODY, ["new", "old"], now=NOW) == NOW
    with pytest.raises(InvalidSignature, match="no secret"):
        verify(both, BODY, ["", ""], now=NOW)


GOOD = signature(BODY, "s3cret", NOW)

# Headers a hostile or broken sender writes: each must be InvalidSignature, never a
# ValueError or OverflowError that a receiver turns into a 500.
MALFORMED = [
    f"t=²,v1={GOOD}",  # str.isdigit() says yes; int() says no
    f"t={chr(0x661) * 10},v1={GOOD}",  # Arabic-Indic digits: int() reads them
    f"t={'9' * 5000},v1={GOOD}",  # over int()'s 4300-digit limit
    f"t={'9' * 400},v1={GOOD}",  # an int no float clock can subtract
    f"t=-{NOW},v1={GOOD}",
    f"t=+{NOW},v1={GOOD}",
    f"t={NOW}.5,v1={GOOD}",
    f"t=1e9,v1={GOOD}",
    f"t= {NOW},v1={GOOD}",
    f"t=,v1={GOOD}",
    f"t={NOW},t={NOW + 1},v1={GOOD}",  # which one was signed?
    f"t={NOW},v1=",
    f"t={NOW},v1=zz{GOOD[2:]}",  # not hex
    f"t={NOW},v1={GOOD[:-1]}",  # too short
    f"t={NOW},v1={GOOD}00",  # too long
    f"t={NOW},v1=é{GOOD[1:]}",
    f"t={NOW},v1={GOOD},v1=junk",
    "t",
    ",,,",
    "=",
    "\x00",
]


@pytest.mark.parametrize("header", MALFORMED)
def test_a_malformed_header_is_only_ever_invalid_signature(header: str) -> None:
    with pytest.raises(InvalidSignature, match="not t=<unix time>,v1=<hex>"):
        verify(header, BODY, "s3cret", now=NOW)


def test_an_upper_case_signature_is_the_same_hex() -> None:
    assert verify(f"t={NOW},v1={GOOD.upper()}", BODY, "s3cret", now=NOW) == NOW
