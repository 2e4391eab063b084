"""Replay recorded histories: a workflow change that breaks orders in flight fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from adapters.encryption import KeyRing, new_key
from domain.checkout import OrderRequest
from domain.errors import UnknownPostalCode
from starter.bootstrap.temporal import data_converter
from tests.support.builders import DENVER
from tests.support.keys import TEST_KEYS
from tests.support.payloads import clear_payloads, raw_bytes
from workflows.runner import WORKFLOWS, workflow_runner

ROOT = Path(__file__).parent.parent / "histories"
# The newest recordings, and in a folder per commit those of earlier workflow code that
# orders may still be running on (their replay proves the change compatible).
HISTORIES = sorted(ROOT.rglob("*.json"))
CURRENT = [path for path in HISTORIES if path.parent == ROOT]
# Recorded before payloads were encrypted: orders in flight then must still finish.
BEFORE_ENCRYPTION = ROOT / "18384f4"
# Recorded before allocate and commit_shipment ran as local activities.
BEFORE_LOCAL_STORE = ROOT / "fc42b6e"


def test_there_are_histories_of_every_scenario() -> None:
    names = {path.stem for path in CURRENT}
    assert len(names) >= 9, sorted(names)
    # One workflow per order: no history of a package workflow is kept (or needed).
    assert all("-F" not in name for name in names), sorted(names)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: str(p.relative_to(ROOT)))
async def test_history_replays_deterministically(path: Path) -> None:
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(TEST_KEYS.encryption),
        workflow_runner=workflow_runner(),
    )
    text = path.read_text()  # noqa: ASYNC240 (a small local file)
    result = await replayer.replay_workflow(WorkflowHistory.from_json(path.stem, text))
    assert result.replay_failure is None


def test_the_current_histories_were_recorded_encrypted_and_hold_no_customer_data() -> None:
    for path in CURRENT:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        assert clear_payloads(history.events) == [], path.name
        raw = raw_bytes(history.events)
        assert b"Dana" not in raw and b"dana@example.com" not in raw, path.name


def test_histories_from_before_encryption_are_kept_and_in_clear() -> None:
    """What proves that decoding passes unencrypted payloads through (they replay above)."""
    before = sorted(BEFORE_ENCRYPTION.glob("*.json"))
    assert len(before) >= 9
    history = WorkflowHistory.from_json(before[0].stem, before[0].read_text())
    assert clear_payloads(history.events) != []


async def test_encrypted_histories_replay_after_a_newer_key_is_added() -> None:
    """Rotation: the workers' newest key is one the histories never saw; the old one
    stays in the ring, so the orders recorded under it still load."""
    rotated = KeyRing([new_key("k-next"), TEST_KEYS.encryption.newest])
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(rotated),
        workflow_runner=workflow_runner(),
    )
    for path in CURRENT:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, (path.name, result.replay_failure)


async def test_histories_replay_after_the_data_file_validators_tighten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An upgrade of ``zipcodes`` or ``email-validator`` that would refuse what an order
    was accepted with must not stop that order from loading: those checks ran at the edge."""
    import email_validator

    import domain.checkout
    import domain.models

    def no_zip_is_known(postal_code: str) -> None:
        raise UnknownPostalCode(f"unknown US ZIP {postal_code!r} (tightened for the test)")

    def no_email_is_valid(*args: object, **kwargs: object) -> None:
        raise email_validator.EmailNotValidError("tightened for the test")

    monkeypatch.setattr(domain.models, "zip_point", no_zip_is_known)  # what a history reads
    monkeypatch.setattr(domain.checkout, "zip_point", no_zip_is_known)  # what the edge checks
    monkeypatch.setattr(email_validator, "validate_email", no_email_is_valid)
    with pytest.raises(ValueError, match="tightened"):  # the edge does refuse it now
        order_request_body()
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(TEST_KEYS.encryption),
        workflow_runner=workflow_runner(),
    )
    for path in CURRENT:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, (path.name, result.replay_failure)


def order_request_body() -> OrderRequest:
    return OrderRequest.model_validate(
        {
            "order_id": "T1",
            "customer": {"name": "Dana", "email": "dana@example.com"},
            "ship_to": DENVER,
            "lines": [{"line_id": "1", "sku": "A", "quantity": 1}],
        }
    )


def _activity_types(path: Path) -> set[str]:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    return {
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    }


def test_current_orders_reserve_and_commit_in_local_activities_and_older_ones_replay() -> None:
    store_calls = {"allocate", "commit_shipment"}
    assert all(not _activity_types(path) & store_calls for path in CURRENT)
    before = sorted(BEFORE_LOCAL_STORE.glob("*.json"))
    assert len(before) >= 9  # each replays above, through the unpatched branch
    assert any(_activity_types(path) >= store_calls for path in before)
