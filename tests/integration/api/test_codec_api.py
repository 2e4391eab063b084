"""The remote codec endpoint the Temporal UI calls: Temporal's Payloads JSON in and out,
CORS for the UI's origin only, a body cap, and 422s that name the field."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from temporalio.api.common.v1 import Payload

from adapters.encryption import ENCODING, KEY_ID
from adapters.store import InventoryStore
from domain.access import Role, TokenGrant
from domain.checkout import Customer
from services.access import issue_token
from starter.api.limits import MAX_BODY_BYTES, MAX_CODEC_BODY_BYTES
from starter.app import create_app
from starter.bootstrap.settings import Settings
from starter.bootstrap.temporal import data_converter
from tests.support.fakes import FakeOrderGateway
from tests.support.keys import TEST_KEY_ID, TEST_KEYS

UI = "http://127.0.0.1:8233"  # the embedded UI's origin for the default Temporal port


@pytest.fixture
def codec_api(tmp_path: Path) -> Iterator[TestClient]:
    store = InventoryStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    support, _ = issue_token(store, TokenGrant("desk", Role.SUPPORT), created_by="test")
    checkout, _ = issue_token(store, TokenGrant("shop", Role.CHECKOUT), created_by="test")
    TOKENS.update(support=support, checkout=checkout)
    settings = Settings(allowed_hosts=["testserver"])  # TestClient's host, allowed here only
    app = create_app(settings, gateway=FakeOrderGateway(), store=store, keys=TEST_KEYS)  # type: ignore[arg-type]
    with TestClient(app, headers={"Authorization": f"Bearer {support}"}) as client:
        yield client
    store.close()


TOKENS: dict[str, str] = {}


async def test_only_support_and_above_may_decode(codec_api: TestClient) -> None:
    [sealed] = await data_converter(TEST_KEYS.encryption).encode(["Dana Denver"])
    body = {"payloads": [as_json(sealed)]}
    anonymous = codec_api.post(
        "/codec/decode", json=body, headers={"Authorization": "", "Origin": UI}
    )
    assert anonymous.status_code == 401
    assert anonymous.headers["access-control-allow-origin"] == UI  # the UI can read why
    assert "Dana" not in anonymous.text
    shop = {"Authorization": f"Bearer {TOKENS['checkout']}"}
    refused = codec_api.post("/codec/decode", json=body, headers=shop)
    assert refused.status_code == 403 and "Dana" not in refused.text
    assert codec_api.post("/codec/decode", json=body).status_code == 200  # support


def as_json(payload: Payload) -> dict[str, object]:
    """A payload as the Temporal UI sends it (protobuf JSON: bytes in base64)."""
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


def from_json(body: dict[str, object]) -> Payload:
    return Payload(
        metadata={k: base64.b64decode(v) for k, v in body["metadata"].items()},  # type: ignore[attr-defined]
        data=base64.b64decode(body["data"]),  # type: ignore[arg-type]
    )


async def test_the_ui_decodes_what_the_worker_encrypted(codec_api: TestClient) -> None:
    customer = Customer(name="Dana Denver", email="dana@example.com")
    [sealed] = await data_converter(TEST_KEYS.encryption).encode([customer])
    assert b"Dana" not in sealed.SerializeToString()
    response = codec_api.post("/codec/decode", json={"payloads": [as_json(sealed)]})
    assert response.status_code == 200, response.text
    [opened] = [from_json(p) for p in response.json()["payloads"]]
    assert opened.metadata["encoding"] == b"json/plain"
    assert b'"Dana Denver"' in opened.data


def test_encode_then_decode_round_trips_and_unencrypted_payloads_pass(
    codec_api: TestClient,
) -> None:
    original = Payload(metadata={"encoding": b"json/plain"}, data=b'{"street": "1 Elm"}')
    encoded = codec_api.post("/codec/encode", json={"payloads": [as_json(original)]})
    assert encoded.status_code == 200, encoded.text
    [sealed] = [from_json(p) for p in encoded.json()["payloads"]]
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == TEST_KEY_ID.encode()
    assert b"Elm" not in sealed.data
    decoded = codec_api.post(
        "/codec/decode", json={"payloads": [as_json(sealed), as_json(original)]}
    )
    assert [from_json(p) for p in decoded.json()["payloads"]] == [original, original]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "payloads: Field required"),
        ({"payloads": [{"data": "not base64!"}]}, "payloads[0].data: is not valid base64"),
        ({"payloads": [{"metadata": {"encoding": 7}}]}, "payloads[0].metadata.encoding"),
    ],
)
def test_a_body_that_is_not_payloads_json_is_422_naming_the_field(
    codec_api: TestClient, body: dict[str, object], named: str
) -> None:
    response = codec_api.post("/codec/decode", json=body)
    assert response.status_code == 422
    assert named in response.json()["message"]


def test_a_payload_that_does_not_decrypt_is_422_naming_it(codec_api: TestClient) -> None:
    foreign = Payload(metadata={"encoding": ENCODING, KEY_ID: b"k-elsewhere"}, data=b"x" * 40)
    response = codec_api.post(
        "/codec/decode", json={"payloads": [as_json(Payload()), as_json(foreign)]}
    )
    assert response.status_code == 422
    assert response.json()["message"].startswith("payloads[1]: ")
    assert "'k-elsewhere'" in response.json()["message"]


def test_the_ui_preflight_is_answered_for_its_origin_with_its_headers(
    codec_api: TestClient,
) -> None:
    response = codec_api.options(
        "/codec/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == UI
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"content-type", "x-namespace", "authorization"} <= set(allowed.split(", "))
    posted = codec_api.post("/codec/decode", json={"payloads": []}, headers={"Origin": UI})
    assert posted.status_code == 200 and posted.headers["access-control-allow-origin"] == UI


def test_other_origins_and_other_routes_get_no_cors(codec_api: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    elsewhere = codec_api.options(
        "/codec/decode", headers={"Origin": "https://evil.example", **preflight}
    )
    assert elsewhere.status_code == 400
    assert "access-control-allow-origin" not in elsewhere.headers
    orders = codec_api.options("/orders", headers={"Origin": UI, **preflight})
    assert "access-control-allow-origin" not in orders.headers


def test_the_cors_origins_are_configurable() -> None:
    settings = Settings(codec_cors_origins="https://temporal.example.com/, http://ui:8080")  # type: ignore[call-arg]
    assert settings.resolved_codec_cors_origins == [
        "https://temporal.example.com",
        "http://ui:8080",
    ]
    assert Settings(temporal_port=7300).resolved_codec_cors_origins == [
        "http://localhost:8300",
        "http://127.0.0.1:8300",
    ]


def test_the_body_is_capped_above_an_order_but_below_grpc(codec_api: TestClient) -> None:
    big = Payload(metadata={"encoding": b"binary/plain"}, data=b"x" * (2 * MAX_BODY_BYTES))
    response = codec_api.post("/codec/encode", json={"payloads": [as_json(big)]})
    assert response.status_code == 200
    huge = Payload(data=b"x" * MAX_CODEC_BODY_BYTES)
    refused = codec_api.post(
        "/codec/decode", json={"payloads": [as_json(huge)]}, headers={"Origin": UI}
    )
    assert refused.status_code == 413
    assert refused.headers["access-control-allow-origin"] == UI  # the UI can read why
