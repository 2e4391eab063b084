"""Who may do what, over HTTP against the real stack with the tokens ``dom up`` wrote.

A test per role: what it may do, what it is refused (403), and for a location, that
another location's queue, fulfillments and stock do not exist for it (404). Plus the
tokens file itself, 401s with their challenge, issuing and revoking through the API, and
the actor each caller leaves on the timeline and the ledger.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator

import httpx
import pytest

from tests.support.builders import order_body
from tests.support.data import E2E
from tests.support.http import wait_for
from tests.support.stack import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

LOCATIONS = ["NWK-DC", "SLC-3PL", "CHI-STORE", "PHX-STORE"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("access")
    process, running = start_stack(tmp, E2E / "network.yaml")
    yield running
    stop_stack(process, running)


def fulfilling(stack: Stack, order_id: str) -> dict:
    """Place ``order_id`` as checkout; its only package once dispatched (read as admin)."""
    with stack.client("checkout") as checkout:
        assert (
            checkout.post("/orders", json=order_body(order_id, skus=["SKIN-CLEANSER"])).status_code
            == 202
        )
    with stack.client() as admin:
        placed = wait_for(admin, order_id, lambda o: o["status"] == "fulfilling", "fulfilling")
    [package] = placed["fulfillments"]
    return package


def test_dom_up_writes_a_token_per_role_and_location_readable_by_its_owner_only(
    stack: Stack,
) -> None:
    path = stack.data_dir / "tokens.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    labels = [line.split()[0] for line in path.read_text().splitlines()]
    assert labels == ["checkout", "support", "ops", "admin", "metrics"] + [
        f"location:{lid}" for lid in LOCATIONS
    ]
    tokens = [line.split()[1] for line in path.read_text().splitlines()]
    assert len(set(tokens)) == len(tokens) and all(len(t) >= 43 for t in tokens)
    assert str(path) in stack.log.read_text()  # dom up says where they are


def test_no_token_or_an_unknown_one_is_401_with_a_bearer_challenge(stack: Stack) -> None:
    bare = httpx.get(f"{stack.api_url}/orders/ANY", timeout=10)
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == "Bearer"
    guessed = httpx.get(
        f"{stack.api_url}/orders/ANY",
        headers={"Authorization": "Bearer sy_" + "A" * 43},
        timeout=10,
    )
    assert guessed.status_code == 401
    assert guessed.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    # The health check and the API's own documentation stay open.
    assert httpx.get(f"{stack.api_url}/health", timeout=10).status_code == 200
    schema = httpx.get(f"{stack.api_url}/openapi.json", timeout=10).json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_checkout_places_orders_and_asks_for_promises_and_nothing_else(stack: Stack) -> None:
    with stack.client("checkout") as http:
        assert (
            http.post("/orders", json=order_body("ACC-CHK-1", skus=["SKIN-CLEANSER"])).status_code
            == 202
        )
        promise = {
            "lines": [{"sku": "SKIN-CLEANSER", "quantity": 1}],
            "ship_to": {"postal_code": "80202", "country": "US"},
        }
        assert http.post("/promise", json=promise).status_code == 200
        for refused in (
            http.get("/orders/ACC-CHK-1"),
            http.get("/orders"),
            http.get("/inventory/SKIN-CLEANSER"),
            http.post("/orders/ACC-CHK-1/cancel", json={"reason": "changed my mind"}),
            http.get("/locations"),
            http.get("/routing/rules"),
        ):
            assert refused.status_code == 403, refused.text
            assert "checkout role may not" in refused.json()["message"]


def test_support_reads_and_cancels_but_may_not_reroute_or_change_stock(stack: Stack) -> None:
    fulfilling(stack, "ACC-SUP-1")
    with stack.client("support") as http:
        assert http.get("/orders/ACC-SUP-1").status_code == 200
        assert http.get("/inventory/SKIN-CLEANSER").status_code == 200
        assert http.get("/locations/SLC-3PL/fulfillments").status_code == 200
        reroute = http.post(
            "/orders/ACC-SUP-1/reroute",
            json={"exclude_location_ids": ["SLC-3PL"], "reason": "3PL is down"},
        )
        assert reroute.status_code == 403
        assert "support role may not" in reroute.json()["message"]
        adjust = {"location_id": "SLC-3PL", "sku": "SKIN-CLEANSER", "delta": 5, "reason": "found"}
        assert http.post("/inventory/adjustments", json=adjust).status_code == 403
        assert http.put("/routing/rules", json={}).status_code == 403
        assert http.get("/tokens").status_code == 403
        cancelled = http.post("/orders/ACC-SUP-1/cancel", json={"reason": "customer called"})
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        entry = next(e for e in cancelled.json()["events"] if e["type"] == "cancel_requested")
        assert entry["actor"] == "support:dev-support"


def test_ops_reroutes_and_adjusts_stock_but_may_not_manage_tokens(stack: Stack) -> None:
    package = fulfilling(stack, "ACC-OPS-1")
    with stack.client("ops") as http:
        moved = http.post(
            "/orders/ACC-OPS-1/reroute",
            json={"exclude_location_ids": [package["location_id"]], "reason": "closing early"},
        )
        assert moved.status_code == 200, moved.text
        adjust = {
            "location_id": "NWK-DC",
            "sku": "SKIN-CLEANSER",
            "delta": 1,
            "reason": "found one",
        }
        assert http.post("/inventory/adjustments", json=adjust).status_code == 200
        ledger = http.get("/inventory/NWK-DC/SKIN-CLEANSER/ledger").json()["entries"]
        assert ledger[0]["actor"] == "ops:dev-ops"
        assert http.get("/tokens").status_code == 403
        view = http.get("/orders/ACC-OPS-1").json()
        assert any(
            e["type"] == "reroute_requested" and e["actor"] == "ops:dev-ops" for e in view["events"]
        ), view["events"]


def test_a_location_works_its_own_fulfillments_and_cannot_see_another_locations(
    stack: Stack,
) -> None:
    package = fulfilling(stack, "ACC-LOC-1")
    mine = package["location_id"]
    other = next(lid for lid in LOCATIONS if lid != mine)
    fid = package["fulfillment_id"]
    with stack.client(f"location:{mine}") as http:
        queue = http.get(f"/locations/{mine}/fulfillments").json()
        assert fid in [f["fulfillment_id"] for f in queue]
        accepted = http.post(
            f"/locations/{mine}/fulfillments/{fid}/events", json={"type": "accepted"}
        )
        assert accepted.status_code == 202, accepted.text
        assert http.get(f"/locations/{mine}").status_code == 200
        assert [loc["id"] for loc in http.get("/locations").json()] == [mine]
        # Another location's work, stock and settings do not exist for this token...
        for hidden in (
            http.get(f"/locations/{other}/fulfillments"),
            http.post(f"/locations/{other}/fulfillments/{fid}/events", json={"type": "picked"}),
            http.get(f"/locations/{other}"),
            http.get(f"/inventory/{other}/SKIN-CLEANSER/ledger"),
            http.get("/inventory", params={"location_id": other}),
            http.put(f"/inventory/{other}/SKIN-CLEANSER", json={"on_hand": 0, "reason": "count"}),
            http.post(
                "/inventory/receipts",
                json={"location_id": other, "sku": "SKIN-CLEANSER", "quantity": 1},
            ),
        ):
            assert hidden.status_code == 404, hidden.text
            assert hidden.json()["message"] == f"unknown location {other!r}"
        # ...answered exactly as a location that does not exist at all.
        ghost = http.get("/locations/NO-SUCH-PLACE/fulfillments")
        assert ghost.status_code == 404 and ghost.json()["error"] == "UnknownLocation"
        # Network-wide reads and other roles' work are refused outright.
        for refused in (
            http.get("/orders/ACC-LOC-1"),
            http.get("/inventory/SKIN-CLEANSER"),
            http.post("/orders", json=order_body("ACC-LOC-X", skus=["SKIN-CLEANSER"])),
        ):
            assert refused.status_code == 403, refused.text
        # Its own stock: counted and received, under its name in the ledger.
        counted = http.put(
            f"/inventory/{mine}/SKIN-CLEANSER", json={"on_hand": 40, "reason": "count"}
        )
        assert counted.status_code == 200, counted.text
        receipt = {"location_id": mine, "sku": "SKIN-CLEANSER", "quantity": 2}
        assert http.post("/inventory/receipts", json=receipt).status_code == 200
        ledger = http.get(f"/inventory/{mine}/SKIN-CLEANSER/ledger").json()["entries"]
        assert {e["actor"] for e in ledger[:2]} == {f"location:dev-location-{mine}"}
    with stack.client("support") as support:
        view = support.get("/orders/ACC-LOC-1").json()
    events = view["fulfillments"][0]["events"]
    assert any(
        e["type"] == "accepted" and e["actor"] == f"location:dev-location-{mine}" for e in events
    ), events
    assert view["events"][0]["type"] == "received"
    assert view["events"][0]["actor"] == "checkout:dev-checkout"


def test_an_event_for_another_locations_fulfillment_is_404_even_under_its_own_path(
    stack: Stack,
) -> None:
    package = fulfilling(stack, "ACC-LOC-2")
    other = next(lid for lid in LOCATIONS if lid != package["location_id"])
    with stack.client(f"location:{other}") as http:
        url = f"/locations/{other}/fulfillments/{package['fulfillment_id']}/events"
        answer = http.post(url, json={"type": "accepted"})
    assert answer.status_code == 404, answer.text


def test_admin_issues_a_token_that_works_at_once_and_revokes_it(stack: Stack) -> None:
    with stack.client("admin") as admin:
        issued = admin.post("/tokens", json={"name": "desk-kim", "role": "support"})
        assert issued.status_code == 201, issued.text
        token = issued.json()["token"]
        assert token.startswith("sy_")
        again = admin.post("/tokens", json={"name": "desk-kim", "role": "support"})
        assert again.status_code == 422  # a live token already has the name
        unbound = admin.post("/tokens", json={"name": "bad-loc", "role": "location"})
        assert unbound.status_code == 422
        listed = admin.get("/tokens").json()
        assert "desk-kim" in [t["name"] for t in listed]
        assert all("token" not in t and "token_digest" not in t for t in listed)
        kim = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{stack.api_url}/orders", headers=kim, timeout=10).status_code == 200
        assert admin.delete("/tokens/desk-kim").status_code == 200
        after = httpx.get(f"{stack.api_url}/orders", headers=kim, timeout=10)
        assert after.status_code == 401 and "revoked" in after.json()["message"]
        assert admin.delete("/tokens/desk-kim").status_code == 404
        # The name can be issued again after its token was revoked (rotation).
        assert (
            admin.post("/tokens", json={"name": "desk-kim", "role": "support"}).status_code == 201
        )


def test_location_settings_changes_carry_their_actor(stack: Stack) -> None:
    with stack.client("ops") as http:
        changed = http.patch("/locations/PHX-STORE", json={"daily_capacity": 120})
        assert changed.status_code == 200, changed.text
        history = http.get("/locations/PHX-STORE/history").json()
    assert history[0]["actor"] == "ops:dev-ops"
    assert history[0]["changes"] == {"daily_capacity": 120}
    assert history[-1]["actor"] == "system:dom-up"  # created with the network
