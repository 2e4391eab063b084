"""``python worker.py``: run one Switchyard worker until stopped, as ``dom worker`` does.

Run as many copies as the load needs, against ``DOM_TEMPORAL_ADDRESS`` and
``DOM_DATABASE_URL``; the worker itself is built by ``starter.bootstrap.worker``.
"""

from __future__ import annotations

import contextlib

from starter.bootstrap import start
from starter.bootstrap.keys import MissingKeys, UnusableKeys
from starter.bootstrap.loop import run as run_on_loop
from starter.bootstrap.settings import get_settings
from starter.bootstrap.worker import run_worker


def main() -> None:
    """Settings and keys from the environment (or the data dir's key files), then the worker."""
    settings = get_settings()
    try:
        keys = start(settings)
    except (MissingKeys, UnusableKeys) as exc:
        raise SystemExit(str(exc)) from None
    with contextlib.suppress(KeyboardInterrupt):
        run_on_loop(run_worker(settings, keys))


if __name__ == "__main__":
    main()
