"""What every Switchyard process is built from, built one way: settings, keys, logging,
the store, the Temporal client and the worker.

Every entry point starts here: ``python worker.py`` and ``dom worker``
(``start``, then ``worker.run_worker``), ``dom api`` (``start``, then the API's app
factory), ``dom up`` (``start``, ``temporal.client_for``, ``worker.assembled_worker``
beside the API). Its modules, one job each:

* ``settings``: every ``DOM_*`` setting, in one pydantic-settings class;
* ``keys``: the payload and search hash keys, from the environment or the data dir;
* ``log_format``: one log format (text or JSON lines) carrying the order's ids;
* ``loop``: the event loop (uvloop unless ``DOM_EVENT_LOOP=asyncio``);
* ``temporal``: the client factory and its data converter;
* ``worker``: the worker's assembly, once;
* ``dev_server``: the embedded Temporal dev server of ``dom up`` and the tests' stacks.

It imports nothing from the API, the console or the command line: they import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starter.bootstrap.keys import Keys, load_keys
from starter.bootstrap.log_format import configure_logging
from starter.bootstrap.settings import Settings

if TYPE_CHECKING:
    from adapters.store import InventoryStore


def start(settings: Settings, *, create_keys: bool = False) -> Keys:
    """Begin a process: its keys, then its logging (``DOM_LOG_LEVEL``, ``DOM_LOG_FORMAT``).

    ``create_keys``: write missing key files to the data dir (``dom up`` only: a worker or
    an API that invented keys could not read the others' payloads). ``MissingKeys`` or
    ``UnusableKeys`` say what to set, before anything starts."""
    keys = load_keys(settings, create=create_keys)
    configure_logging(settings.log_level, settings.log_format)
    return keys


def open_store(settings: Settings) -> InventoryStore:
    """The store at ``DOM_DATABASE_URL`` (default: the data dir's SQLite file), migrated."""
    from adapters.store import InventoryStore
    from services.stored_allocations import forget_customers_in_stored_answers

    store = InventoryStore(settings.resolved_database_url)
    store.migrate()
    # Once per store: answers stored by versions that kept customers' names and addresses.
    forget_customers_in_stored_answers(store)
    return store
