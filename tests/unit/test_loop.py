"""Which event loop the processes run on (starter/bootstrap/loop.py)."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from starter.bootstrap import loop


def test_uvloop_runs_the_processes_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(loop.ENV, raising=False)
    assert loop.loop_factory() is uvloop.new_event_loop
    assert loop.uvicorn_loop() == "uvloop"

    async def which() -> type:
        return type(asyncio.get_running_loop())

    assert loop.run(which()) is uvloop.Loop


def test_dom_event_loop_asyncio_keeps_the_standard_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(loop.ENV, "asyncio")
    assert loop.loop_factory() is None
    assert loop.uvicorn_loop() == "asyncio"

    async def which() -> bool:
        return isinstance(asyncio.get_running_loop(), uvloop.Loop)

    assert loop.run(which()) is False


def test_an_unknown_choice_stops_the_process_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(loop.ENV, "uvlop")
    with pytest.raises(SystemExit, match="DOM_EVENT_LOOP must be auto, uvloop or asyncio"):
        loop.loop_factory()
