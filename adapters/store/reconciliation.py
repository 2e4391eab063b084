"""Checking the books: every balance must be explained by its ledger and its reservations."""

from __future__ import annotations

from adapters.store import returns
from adapters.store.unit_of_work import UnitOfWork


def discrepancies(uow: UnitOfWork) -> list[str]:
    """One line per difference found; an empty list when the books balance.

    - on_hand and reserved of each balance equal the sums of its ledger rows' deltas;
    - reserved equals the units of its open reservations;
    - no balance is negative or reserves more than is on hand;
    - the units returns put back on hand (their lines' sellable units) equal the ledger's
      ``return`` rows, so no returned unit is missing from stock or counted twice.
    """
    balances = {
        (r.location_id, r.sku): (r.on_hand, r.reserved) for r in uow.inventory.all_balances()
    }
    ledger = uow.inventory.ledger_totals()
    held = uow.inventory.open_reserved_totals()
    problems: list[str] = []
    for key in sorted(balances.keys() | ledger.keys() | held.keys()):
        location_id, sku = key
        on_hand, reserved = balances.get(key, (0, 0))
        ledger_on_hand, ledger_reserved = ledger.get(key, (0, 0))
        where = f"{location_id}/{sku}"
        if key not in balances:
            problems.append(f"{where}: ledger or reservations but no balance row")
        if on_hand != ledger_on_hand:
            problems.append(f"{where}: on_hand {on_hand} but the ledger sums to {ledger_on_hand}")
        if reserved != ledger_reserved:
            problems.append(
                f"{where}: reserved {reserved} but the ledger sums to {ledger_reserved}"
            )
        if reserved != held.get(key, 0):
            problems.append(
                f"{where}: reserved {reserved} but open reservations hold {held.get(key, 0)}"
            )
        if reserved < 0 or on_hand < reserved:
            problems.append(f"{where}: on_hand {on_hand} with reserved {reserved}")
    problems += _returns_match_the_ledger(uow)
    return problems


def _returns_match_the_ledger(uow: UnitOfWork) -> list[str]:
    received = returns.returned_totals(uow)
    ledger = returns.ledger_returned(uow)
    return [
        f"{location_id}/{sku}: returns received {received.get(key, 0)} sellable unit(s) "
        f"but the ledger's return rows add {ledger.get(key, 0)}"
        for key in sorted(received.keys() | ledger.keys())
        if received.get(key, 0) != ledger.get(key, 0)
        for location_id, sku in [key]
    ]
