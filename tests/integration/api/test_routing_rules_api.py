"""GET/PUT /routing/rules: validated, versioned, and the version travels with decisions."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient

from activities.inventory import InventoryActivities
from adapters.rules_book import RulesBook
from adapters.store import InventoryStore
from domain.checkout import ShipTo
from domain.geo import zip_point
from domain.orders import AllocationRequest
from domain.routing import prices as prices_module
from domain.routing import rules as rules_module
from domain.routing.rules import default_rules


def test_built_in_rules_are_version_zero(api: TestClient) -> None:
    body = api.get("/routing/rules").json()
    assert body["version"] == 0 and body["changed_by"] is None
    assert (
        body["rules"]["split_penalty"] == default_rules().model_dump(mode="json")["split_penalty"]
    )


def test_a_change_is_validated_and_becomes_the_next_version(api: TestClient) -> None:
    rules = api.get("/routing/rules").json()["rules"]
    rules["split_penalty"] = "9.50"
    first = api.put(
        "/routing/rules",
        content=yaml.safe_dump(rules),
        headers={"Content-Type": "application/yaml"},
    )
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["changed_by"] == "admin:bootstrap-admin"
    rules["day_cost"] = "1.25"
    second = api.put("/routing/rules", json=rules)
    assert second.json()["version"] == 2
    assert api.get("/routing/rules").json()["version"] == 2
    assert api.get("/routing/rules/1").json()["rules"]["split_penalty"] == "9.50"
    assert api.get("/routing/rules/0").json()["version"] == 0
    assert api.get("/routing/rules/7").status_code == 404


def test_a_bad_rules_file_gets_a_422_naming_the_field_and_changes_nothing(api: TestClient) -> None:
    rules = api.get("/routing/rules").json()["rules"]
    del rules["service_levels"]["ground"]["base"]["3"]
    response = api.put("/routing/rules", json=rules)
    assert response.status_code == 422
    assert "service_levels.ground.base" in response.json()["message"]
    broken = api.put(
        "/routing/rules", content=b"zones: [", headers={"Content-Type": "application/yaml"}
    )
    assert broken.status_code == 422
    assert api.get("/routing/rules").json()["version"] == 0


def test_each_decision_records_the_rules_version_it_used(store: InventoryStore) -> None:
    book = RulesBook(store)
    activities = InventoryActivities(store, rules=book.current)
    denver = zip_point("80202")

    def allocate(key: str) -> int:
        request = AllocationRequest(
            order_id=f"R-{key}",
            allocation_key=f"R-{key}:A1",
            first_fulfillment_number=1,
            lines=[{"sku": "SKIN-SERUM", "quantity": 1}],
            ship_to=ShipTo(postal_code="80202"),
            customer_name="Dana",
            dest_lat=denver.lat,
            dest_lon=denver.lon,
            service_level="ground",
            delivery="ship",
        )
        return activities.allocate(request).decision.rules_version

    assert allocate("before") == 0
    book.replace(default_rules().model_dump(mode="json"), actor="test")
    assert allocate("after") == 1


def test_a_sku_the_network_no_longer_knows_is_unfulfillable_not_a_crash(
    store: InventoryStore,
) -> None:
    activities = InventoryActivities(store)
    denver = zip_point("80202")
    allocation = activities.allocate(
        AllocationRequest(
            order_id="R-gone",
            allocation_key="R-gone:A1",
            first_fulfillment_number=1,
            lines=[{"sku": "DISCONTINUED", "quantity": 1}],
            ship_to=ShipTo(postal_code="80202"),
            customer_name="Dana",
            dest_lat=denver.lat,
            dest_lon=denver.lon,
            service_level="ground",
            delivery="ship",
        )
    )
    assert allocation.decision.status == "unfulfillable"
    assert "DISCONTINUED" in (allocation.decision.reason or "")
    assert allocation.fulfillments == []


def test_concurrent_changes_each_get_their_own_version(store: InventoryStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    book = RulesBook(store)
    rules = default_rules().model_dump(mode="json")
    with ThreadPoolExecutor(max_workers=12) as pool:
        versions = list(pool.map(lambda i: book.replace(rules, actor=f"ops{i}").version, range(12)))
    assert sorted(versions) == list(range(1, 13))
    assert book.current_version() == 12
    assert {book.version(v).changed_by for v in versions} == {f"ops{i}" for i in range(12)}


def test_lookahead_is_refused_naming_the_extra_where_the_lp_solver_is_not_installed(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `make run` installs no SciPy (the `lookahead` extra): rules that would need it are
    # refused at the door, not left to route silently as `optimal`.
    monkeypatch.setattr(rules_module, "lp_solver_installed", lambda: False)
    rules = api.get("/routing/rules").json()["rules"]
    response = api.put("/routing/rules", json={**rules, "policy": "lookahead"})
    assert response.status_code == 422, response.text
    assert "policy: the lookahead policy needs SciPy" in response.json()["message"]
    assert "switchyard[lookahead]" in response.json()["message"]
    assert api.get("/routing/rules").json()["version"] == 0  # nothing installed
    assert api.put("/routing/rules", json=rules).status_code == 200  # optimal is fine


def test_pricing_without_the_lp_solver_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(prices_module, "lp_solver_installed", lambda: False)
    with pytest.raises(prices_module.LpSolverMissing, match=r"switchyard\[lookahead\]"):
        prices_module.compute_prices(
            None,
            {},
            None,
            default_rules(),
            1,  # type: ignore[arg-type]
        )
