"""A held order that waits long for stock continues as new and keeps its holds and the
package they keep back: released in a later run, that package goes out as reserved,
and the order ships. A real Temporal dev server (the time-skipping one does not answer
queries to a run that continued as new), the real store, ``HISTORY_LIMIT`` lowered."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.holds import HoldReason, HoldRelease, HoldRequest
from domain.ids import order_workflow_id
from domain.models import FulfillmentStatus, OrderStatus
from starter.bootstrap.temporal import ensure_search_attributes
from tests.support.builders import order_request as order
from tests.support.workflows import rig, settle, until
from tests.workflows.test_continue_as_new import LOW_LIMIT, runs_of
from workflows import continuation

S = FulfillmentStatus


async def test_a_held_backorder_continues_as_new_holding_its_package_then_ships(
    dev_env: WorkflowEnvironment, task_queue: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(continuation, "HISTORY_LIMIT", LOW_LIMIT)
    await ensure_search_attributes(dev_env.client)
    workflow_id = order_workflow_id("CANH")
    async with rig(dev_env, task_queue, tmp_path) as r:
        await r.place(order("CANH", lines=[{"line_id": "1", "sku": "A", "quantity": 12}]))
        first, second = await r.package("CANH", 1), await r.package("CANH", 2)
        views = {f: await r.gateway.fulfillment(f) for f in (first, second)}
        short = next(f for f, v in views.items() if v.location_id == "WH-EAST")
        other = second if short == first else first
        # WH-EAST finds none of its units and nobody has enough: backordered.
        await r.event(short, "accepted")
        await r.event(short, "short", lines=[{"sku": "A", "quantity": 0}])
        await until(dev_env, "CANH", lambda v: bool(v.backordered), "backordered")
        await r.gateway.hold("CANH", HoldRequest(reason=HoldReason.ADDRESS_CHECK, actor="ana"))
        # The other location refuses its package: placed again (a store has some now, not
        # enough for the backorder), reserved, kept back.
        r.store.receive("STORE-PHX", "A", 3, reference="PO-0", actor="test")
        await r.event(other, "rejected", reason="no staff")
        held = await until(dev_env, "CANH", lambda v: bool(v.held), "holding a package")
        first_run = (await r.gateway.client.get_workflow_handle(workflow_id).describe()).run_id
        assert first_run is not None

        runs = [first_run]
        for sent in range(1, 401):  # stock signals that find too little: history grows
            await r.gateway.stock_arrived(["CANH"], ["A"])
            await until(dev_env, "CANH", lambda v: True, "answering")
            if sent % 10 == 0:
                runs = await runs_of(dev_env, workflow_id, first_run)
                if len(runs) >= 2:
                    break
        assert len(runs) >= 2, runs
        after = await r.gateway.get_order("CANH")

        released = await r.gateway.release_hold(
            "CANH", HoldRelease(reason=HoldReason.ADDRESS_CHECK, actor="ana")
        )
        kept = [await r.package("CANH", n) for n in range(3, 3 + len(held.held))]
        r.store.receive("STORE-PHX", "A", 20, reference="PO-1", actor="test")
        await r.gateway.stock_arrived(["CANH"], ["A"])
        last = await r.package("CANH", 3 + len(held.held))
        for package in [*kept, last]:
            await r.ship(package)
        await until(dev_env, "CANH", lambda v: v.status.is_final, "shipped")
        final = await settle(dev_env, "CANH")
    assert after.status is OrderStatus.ON_HOLD
    assert after.holds == held.holds and after.held == held.held
    assert [p.fulfillment_id for p in held.held] == kept  # reserved in the first run
    assert sum(p.lines[0].quantity for p in held.held) == views[other].lines[0].quantity
    assert [e.type for e in after.events].count("held") == 1
    assert [p.fulfillment_id for p in released.already_dispatched] == kept
    assert final.status is OrderStatus.SHIPPED
    assert {f.fulfillment_id: f.status for f in final.fulfillments} == {
        short: S.SHORT,
        other: S.REJECTED,
        **{f: S.SHIPPED for f in [*kept, last]},
    }
    r.assert_books_balance(final)
