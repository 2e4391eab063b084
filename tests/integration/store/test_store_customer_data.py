"""The store keeps the plan, not the customer (issue 21): after an order is allocated,
neither the database file nor any text column holds the customer's name or street."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from adapters.store import InventoryStore
from adapters.store.tables import metadata
from domain.checkout import ShipTo
from domain.geo import zip_point
from domain.models import DeliveryType, ServiceLevel
from domain.orders import AllocationRequest
from domain.routing import RoutingLine
from services.inventory import allocate
from services.stored_allocations import forget_customers_in_stored_answers

NAME = "Zebulon Quartermaine"
STREET = "742 Evergreen Terrace"
CITY = "Springfieldia"
# What must never reach the store, in any form a search would find.
SECRETS = [NAME, STREET, CITY, "Evergreen", "Quartermaine"]


def request(
    order_id: str = "PII-1", *, name: str = NAME, street: str = STREET
) -> AllocationRequest:
    point = zip_point("10001")
    return AllocationRequest(
        order_id=order_id,
        allocation_key=f"{order_id}:A1",
        first_fulfillment_number=1,
        lines=[RoutingLine(sku="WIDGET", quantity=2)],
        ship_to=ShipTo(
            postal_code="10001",
            name=name,
            address1=street,
            city=CITY,
            region="NY",
            lat=40.750742,
            lon=-73.996530,
        ),
        customer_name=name,
        dest_lat=point.lat,
        dest_lon=point.lon,
        service_level=ServiceLevel.GROUND,
        delivery=DeliveryType.SHIP,
    )


def every_text_in_the_store(store: InventoryStore) -> str:
    """Every row of every store table, as text (a search across every column)."""
    engine = sa.create_engine(store.database_url)
    try:
        with engine.connect() as db:
            return "\n".join(
                repr(tuple(row)) for table in metadata.sorted_tables
                for row in db.execute(sa.select(table))
            )  # fmt: skip
    finally:
        engine.dispose()


def test_an_allocated_order_leaves_no_name_or_street_in_the_store(store: InventoryStore) -> None:
    allocation = allocate(store, store, None, request())

    [package] = allocation.fulfillments
    assert (package.customer_name, package.ship_to.address1) == (NAME, STREET)  # the caller's
    stored = every_text_in_the_store(store)
    assert "PII-1" in stored and "10001" in stored  # the plan is kept, at ZIP level
    for secret in SECRETS:
        assert secret not in stored
    assert "40.750742" not in stored and "-73.99653" not in stored  # nor the exact point
    assert allocation.decision.explanation
    assert all(secret not in allocation.decision.explanation for secret in SECRETS)


def test_the_database_file_holds_no_name_or_street(tmp_path: Path, store: InventoryStore) -> None:
    url = make_url(store.database_url)
    if url.get_backend_name() != "sqlite":
        return  # PostgreSQL's files are the server's; the columns are checked above
    allocate(store, store, None, request())
    store.close()  # a checkpoint: the WAL's pages reach the main file

    for path in Path(str(url.database)).parent.glob("store.db*"):
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, (secret, path.name)


def test_a_retry_gets_the_same_plan_with_its_own_customer(store: InventoryStore) -> None:
    first = allocate(store, store, None, request())
    again = allocate(store, store, None, request(name="Ada Other", street="1 Elsewhere Way"))

    assert again.decision == first.decision
    assert [f.fulfillment_id for f in again.fulfillments] == [
        f.fulfillment_id for f in first.fulfillments
    ]
    [package] = again.fulfillments
    assert (package.customer_name, package.ship_to.address1) == ("Ada Other", "1 Elsewhere Way")
    assert package.ship_to.lat == 40.750742


def test_answers_stored_by_an_older_version_are_rewritten_once(store: InventoryStore) -> None:
    """Before for_storage, the whole allocation was stored: a store opened by this version
    rewrites those rows once, and SQLite zeroes what they held (secure_delete)."""
    clear = allocate(store, store, None, request("PII-1"))
    store.reserve_plan("PII-2", "PII-2:A1", [], clear.model_dump_json())  # the old way
    assert NAME in every_text_in_the_store(store)

    assert forget_customers_in_stored_answers(store) == 1
    assert forget_customers_in_stored_answers(store) == 0  # done once, for good

    stored = every_text_in_the_store(store)
    for secret in SECRETS:
        assert secret not in stored
    url = make_url(store.database_url)
    store.close()
    if url.get_backend_name() == "sqlite":
        for path in Path(str(url.database)).parent.glob("store.db*"):
            assert NAME.encode() not in path.read_bytes(), path.name
