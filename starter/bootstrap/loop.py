"""The event loop Switchyard's processes run on: uvloop where it is installed.

uvloop (libuv under asyncio's interface) does the same work as the standard loop for
less CPU per socket event and per wake-up from a thread, which is most of what the API
and the worker do between requests. ``DOM_EVENT_LOOP=asyncio`` keeps the standard loop
(to rule uvloop out when chasing a problem). uvicorn picks uvloop by itself when it is
installed; ``dom worker``, ``python worker.py`` and ``dom up`` ask for it here.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "DOM_EVENT_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, unless ``DOM_EVENT_LOOP=asyncio`` or (``auto``) it is not installed."""
    choice = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if choice not in ("auto", "uvloop", "asyncio"):
        raise SystemExit(f"{ENV} must be auto, uvloop or asyncio (it is set to something else)")
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:  # e.g. Windows, where uvloop does not build
        if choice == "uvloop":
            raise SystemExit(f"{ENV}=uvloop, but uvloop is not installed") from None
        return None
    return uvloop.new_event_loop


def uvicorn_loop() -> str:
    """uvicorn's ``loop`` setting for the same choice."""
    return "uvloop" if loop_factory() is not None else "asyncio"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the loop ``loop_factory`` chooses."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
