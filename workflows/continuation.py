"""An order that waits long starts afresh: continue-as-new, carrying what it knows.

A backordered order can wait days for stock; every stock signal, recheck and retry adds
to its history, and Temporal caps a history (51,200 events, warning from 10,240) and the
distinct updates one run may take (2,000). So when Temporal suggests it, or the history
passes ``HISTORY_LIMIT`` events, an order that is quiet (nothing in flight: every package
settled, no news waiting, no handler running, every event published) continues as new,
and the next run takes up exactly where this one stopped (``domain.orders.CarriedOrder``,
in the next run's input): the same view and timeline,
the same packages (closed, with the event ids they took, so a repeated event is still
answered ``duplicate``), the same placement counters (allocation keys and fulfillment
numbers never repeat) and the same backorder deadline.

Passed through the workflow sandbox (``workflows/runner.py``): ``HISTORY_LIMIT`` is read
at each check, so a test can lower it for every workflow on the worker.
"""

from __future__ import annotations

from temporalio import workflow

# Continue as new past this many history events (Temporal warns from 10,240).
HISTORY_LIMIT = 10_000
# Orders whose histories were recorded before continue-as-new existed never take it:
# ``workflow.patched(patch_id())`` is asked only once an order is due (so no other
# order's history changes), under an id naming the history length it was asked at.
CONTINUE_AS_NEW_PATCH = "order-continue-as-new"


def due() -> bool:
    """Temporal suggests starting afresh, or the history is past ``HISTORY_LIMIT``."""
    info = workflow.info()
    return info.is_continue_as_new_suggested() or info.get_current_history_length() > HISTORY_LIMIT


def patch_id() -> str:
    """The patch marking this continue-as-new: ``order-continue-as-new@<history length>``.

    One id per point asked, not one for the run: the SDK remembers a patch's first
    answer, and a replay (after a workflow task failed, say, to a signal that came while
    it continued as new) may ask at a point the first execution never did, where the
    answer is rightly "no"; under a single id that "no" would stick, and the order would
    never continue as new again. Where the first execution did, the id is the same and
    its marker answers "yes"."""
    return f"{CONTINUE_AS_NEW_PATCH}@{workflow.info().get_current_history_length()}"
