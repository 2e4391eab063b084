"""docs/webhooks.md's snippets for partners agree with Switchyard's own signatures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.signatures import InvalidSignature, sign, verify
from tests.unit.test_signatures import BODY, MALFORMED, NOW

DOC = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()


def snippet(name: str):  # type: ignore[no-untyped-def]
    """The function ``name`` defined in one of the doc's Python blocks."""
    for block in re.findall(r"```python\n(.*?)```", DOC, re.S):
        if f"def {name}(" in block:
            namespace: dict[str, object] = {}
            exec(block, namespace)
            return namespace[name]
    raise AssertionError(f"docs/webhooks.md no longer defines {name}")


def test_the_partners_check_accepts_what_switchyard_signs_and_refuses_the_rest() -> None:
    verify_switchyard = snippet("verify_switchyard")
    body, now = b'{"type":"fulfillment.requested"}', 1_767_225_600
    header = sign(body, "s3cret", now=now)
    assert verify_switchyard(header, body, ["s3cret"], now=now + 299)
    assert verify_switchyard(header, body, ["new", "s3cret"], now=now)  # rotating
    assert not verify_switchyard(header, body, ["s3cret"], now=now + 301)  # stale
    assert not verify_switchyard(header, body + b" ", ["s3cret"], now=now)  # changed
    assert not verify_switchyard(header, body, ["other"], now=now)
    assert not verify_switchyard("", body, ["s3cret"], now=now)


def test_what_a_partner_signs_is_what_switchyard_accepts() -> None:
    sign_for_switchyard = snippet("sign_for_switchyard")
    body = b'{"event_id":"evt-1"}'
    verify(sign_for_switchyard(body, "partner-secret"), body, ["partner-secret"])
    with pytest.raises(InvalidSignature):
        verify(sign_for_switchyard(body, "partner-secret"), body, ["another"])


@pytest.mark.parametrize("header", MALFORMED)
def test_the_partners_check_says_false_to_a_malformed_header_and_never_raises(
    header: str,
) -> None:
    verify_switchyard = snippet("verify_switchyard")
    assert verify_switchyard(header, BODY, ["s3cret"], now=NOW) is False
