"""A partner's webhook reaches its route only when signed, fresh and unchanged; else 401."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

from adapters.signatures import sign
from starter.api.errors import install_error_handlers
from starter.api.webhook_auth import signed_webhook

NOW = 1_750_000_000.0
BODY = json.dumps({"event_id": "evt-1", "type": "order.created"}).encode()


def partner_secrets(request: Request) -> list[str]:
    return ["new-secret", "old-secret"]  # a rotation under way: both accepted


# At module level: the route's annotations are strings (``from __future__``), resolved here.
verified = signed_webhook(partner_secrets, tolerance=300, clock=lambda: NOW)


@pytest.fixture
def client() -> Iterator[tuple[TestClient, list[dict[str, object]]]]:
    app = FastAPI()
    install_error_handlers(app)
    taken: list[dict[str, object]] = []

    @app.post("/webhooks/test")
    async def take(body: Annotated[bytes, Depends(verified)]) -> dict[str, bool]:
        taken.append(json.loads(body))
        return {"received": True}

    with TestClient(app) as test_client:
        yield test_client, taken


def post(client: TestClient, body: bytes, signature: str | None):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Switchyard-Signature"] = signature
    return client.post("/webhooks/test", content=body, headers=headers)


def test_a_signed_fresh_webhook_reaches_the_route(client) -> None:  # type: ignore[no-untyped-def]
    api, taken = client
    for secret in ("new-secret", "old-secret"):
        answer = post(api, BODY, sign(BODY, secret, now=NOW - 30))
        assert answer.status_code == 200, answer.text
    assert taken == [json.loads(BODY)] * 2


@pytest.mark.parametrize(
    ("signature", "body", "says"),
    [
        (None, BODY, "missing"),
        ("sha256=0123", BODY, "not t=<unix time>,v1=<hex>"),
        (sign(BODY, "guessed", now=NOW), BODY, "does not match"),
        (sign(BODY, "new-secret", now=NOW), BODY.replace(b"evt-1", b"evt-2"), "does not match"),
        (sign(BODY, "new-secret", now=NOW - 301), BODY, "old"),  # a replay, too late
        (sign(BODY, "new-secret", now=NOW + 600), BODY, "in the future"),
    ],
)
def test_a_wrong_missing_or_stale_signature_is_refused_with_401(  # type: ignore[no-untyped-def]
    client, signature: str | None, body: bytes, says: str
) -> None:
    api, taken = client
    answer = post(api, body, signature)
    assert answer.status_code == 401
    assert answer.json()["error"] == "InvalidSignature" and says in answer.json()["message"]
    assert answer.headers["WWW-Authenticate"] == "X-Switchyard-Signature"
    assert "secret" not in answer.json()["message"].replace("no secret", "")
    assert taken == []  # the route never ran


@pytest.mark.parametrize(
    "signature",
    [
        "t=²,v1=" + "0" * 64,
        f"t={'9' * 5000},v1=" + "0" * 64,
        f"t={'9' * 400},v1=" + "0" * 64,
        f"t={int(NOW)},v1=not-hex",
    ],
)
def test_a_malformed_signature_is_a_401_not_a_500(client, signature: str) -> None:  # type: ignore[no-untyped-def]
    api, taken = client
    # The bytes as sent (UTF-8); the server reads a header as Latin-1, as HTTP says.
    headers = {"Content-Type": "application/json", "X-Switchyard-Signature": signature.encode()}
    answer = api.post("/webhooks/test", content=BODY, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "InvalidSignature"
    assert taken == []
