"""``dom inventory check``: do the inventory books agree with themselves and with Temporal?

Two checks, and every difference they find is printed (exit code 1 if there is any):

* the store's own books: each balance equals the sum of its ledger, and its reserved
  units equal its open reservations (``InventoryStore.check_ledger``, one snapshot);
* the store against the orders: every open reservation belongs to an order still running
  in Temporal, and every open fulfillment of a running order holds exactly its lines,
  at its location. Orders are read as support reads them (the order workflow's state
  with each open package's live state), so a short pick's reduced lines count.

The second check compares two systems that move independently: an order between its
allocation and its next step looks different for an instant. So a difference is only
reported if it is still there after ``--recheck`` seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from adapters.store import InventoryStore, ReservationView
    from domain.orders import OrderView
    from starter.gateway.orders import OrderGateway

inventory_app = typer.Typer(
    help="Inventory: check the books against the ledger and against Temporal.",
    no_args_is_help=True,
)

ORDERS_RUNNING = "WorkflowType='OrderWorkflow' AND ExecutionStatus='Running'"
QUERY_TIMEOUT_SECONDS = 10.0
QUERIES_AT_ONCE = 16


@dataclass(frozen=True)
class Held:
    """Units of one SKU held for one fulfillment at one location."""

    location_id: str
    units: int


Key = tuple[str, str, str]  # (order_id, fulfillment_id, sku)


def compare(
    reservations: Iterable[ReservationView],
    orders: dict[str, OrderView],
    not_running: dict[str, str],
) -> list[str]:
    """Differences between open reservations and running orders (pure, so it is testable).

    ``orders``: the running orders' states by id; ``not_running``: for orders that hold
    reservations but are not running, what Temporal says about them ("completed", "no
    such order"...).
    """
    held: dict[Key, Held] = {}
    for r in reservations:
        key = (r.order_id, r.fulfillment_id, r.sku)
        before = held.get(key)
        held[key] = Held(r.location_id, r.quantity + (before.units if before else 0))
    expected: dict[Key, Held] = {}
    statuses: dict[tuple[str, str], str] = {}
    for order_id, view in orders.items():
        for f in view.fulfillments:
            statuses[(order_id, f.fulfillment_id)] = f.status.value
            if not f.status.is_open:
                continue
            for line in f.lines:
                key = (order_id, f.fulfillment_id, line.sku)
                before = expected.get(key)
                expected[key] = Held(f.location_id, line.quantity + (before.units if before else 0))
    problems: list[str] = []
    for key in sorted(held.keys() | expected.keys()):
        order_id, fulfillment_id, sku = key
        has, wants = held.get(key), expected.get(key)
        where = f"order {order_id}, {fulfillment_id}, {sku}"
        if order_id not in orders:
            assert has is not None
            state = not_running.get(order_id, "not running")
            problems.append(
                f"{where}: {has.units} reserved at {has.location_id} for an order that is "
                f"not open in Temporal ({state})"
            )
        elif wants is None:
            assert has is not None
            status = statuses.get((order_id, fulfillment_id), "not one of the order's")
            problems.append(
                f"{where}: {has.units} reserved at {has.location_id} but the fulfillment is "
                f"{status}"
            )
        elif has is None:
            problems.append(
                f"{where}: the open fulfillment should hold {wants.units} at "
                f"{wants.location_id} but holds nothing"
            )
        elif has != wants:
            problems.append(
                f"{where}: the open fulfillment should hold {wants.units} at "
                f"{wants.location_id} but holds {has.units} at {has.location_id}"
            )
    return problems


async def orders_differences(store: InventoryStore, gateway: OrderGateway) -> list[str]:
    """One pass of the store-against-Temporal check."""

    from domain.ids import order_id_from_workflow_id
    from services.repair import workflow_state
    from starter.gateway.orders import WorkflowUnavailable

    running: set[str] = set()
    async for execution in gateway.client.list_workflows(ORDERS_RUNNING):
        running.add(order_id_from_workflow_id(execution.id))
    reservations = await asyncio.to_thread(store.open_reservations)
    not_running: dict[str, str] = {}
    for order_id in sorted({r.order_id for r in reservations} - running):
        # Visibility is eventually consistent: ask the order itself before blaming it.
        state = await workflow_state(gateway, order_id)
        if state is None:
            running.add(order_id)
        else:
            not_running[order_id] = f"{state}; `dom inventory check --repair` frees it"

    orders: dict[str, OrderView] = {}
    unread: set[str] = set()
    gate = asyncio.Semaphore(QUERIES_AT_ONCE)

    async def read(order_id: str) -> None:
        async with gate:
            try:
                orders[order_id] = await asyncio.wait_for(
                    gateway.get_order(order_id), QUERY_TIMEOUT_SECONDS
                )
            except (TimeoutError, WorkflowUnavailable):  # whichever 10 s limit ends first
                unread.add(order_id)

    await asyncio.gather(*(read(order_id) for order_id in sorted(running)))
    problems = [
        f"order {order_id}: its state could not be read within {QUERY_TIMEOUT_SECONDS:g}s "
        "(is a worker running?)"
        for order_id in sorted(unread)
    ]
    readable = [r for r in reservations if r.order_id not in unread]
    return problems + compare(readable, orders, not_running)


async def run_check(
    store: InventoryStore, gateway: OrderGateway, recheck_seconds: float
) -> tuple[list[str], list[str]]:
    """(ledger differences, store-against-Temporal differences that persisted)."""
    ledger = await asyncio.to_thread(store.check_ledger)
    first = await orders_differences(store, gateway)
    if not first or recheck_seconds <= 0:
        return ledger, first
    await asyncio.sleep(recheck_seconds)
    second = set(await orders_differences(store, gateway))
    return ledger, [p for p in first if p in second]


@inventory_app.command()
def check(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where `dom up` keeps its files (default: DOM_DATA_DIR)."),
    ] = None,
    temporal_address: Annotated[
        str | None,
        typer.Option(help="Temporal frontend host:port (default: DOM_TEMPORAL_ADDRESS)."),
    ] = None,
    recheck: Annotated[
        float,
        typer.Option(help="Seconds to wait before confirming a difference with Temporal."),
    ] = 2.0,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Release the units of orders whose workflow is closed or gone (terminated), "
            "with a ledger row that says why; then check again.",
        ),
    ] = False,
) -> None:
    """Check the books: balances against the ledger, reservations against Temporal.

    Every balance must equal the sum of its ledger; every open reservation must belong to
    an order still open in Temporal, and every open fulfillment must hold its lines.
    Prints each difference; exit code 1 if there is any, 2 if the check could not run.
    With ``--repair``, units held by orders that no longer run are released first.
    """
    from adapters.store import InventoryStore
    from starter.bootstrap.keys import load_keys, personal_vault
    from starter.bootstrap.settings import mask_database_url
    from starter.bootstrap.temporal import connect
    from starter.cli.options import settings_from_flags
    from starter.gateway.orders import OrderGateway

    settings = settings_from_flags(data_dir=data_dir, temporal_address=temporal_address)
    url = settings.resolved_database_url
    address = settings.resolved_temporal_address
    store = InventoryStore(url)

    async def main() -> tuple[list[str], list[str]]:
        keys = load_keys(settings)  # the stack's: env, or the data dir's files
        client = await connect(address, settings.temporal_namespace, keys=keys.encryption)
        gateway = OrderGateway(
            client,
            settings.task_queue,
            search_hash_key=keys.search_hash,
            vault=personal_vault(store, keys),
        )
        if repair:
            from services.repair import repair_closed_orders

            for done in await repair_closed_orders(store, gateway, actor="ops:inventory-check"):
                typer.echo(
                    f"repaired order {done.order_id} ({done.workflow}): "
                    f"released {done.released_units} unit(s)"
                )
        return await run_check(store, gateway, recheck)

    try:
        ledger, orders = asyncio.run(main())
    except Exception as exc:
        typer.echo(f"cannot check: {type(exc).__name__}: {exc}", err=True)
        typer.echo(f"  store: {mask_database_url(url)}\n  Temporal: {address}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()

    typer.echo(f"store {mask_database_url(url)}, Temporal {address}")
    for title, problems in (("ledger", ledger), ("orders", orders)):
        verdict = "ok" if not problems else f"{len(problems)} difference(s)"
        typer.echo(f"{title}: {verdict}")
        for problem in problems:
            typer.echo(f"  {problem}")
    if ledger or orders:
        raise typer.Exit(1)
    typer.echo("clean")
