"""The service layer: what the business does, over the ports, in one place.

API routes, console pages, CLI commands and activities call these functions; none of
them talks to the store for business behaviour on its own (cosmicpython's
``service_layer``). Services depend on the ports in ``services.ports``, never on the
concrete adapters: ``inventory`` (allocate, release, ship), ``stock`` (movements and
reads), ``backorders`` (who waits, and the one handler that wakes them when stock is
freed), ``orders``, ``network``, ``repair``, ``work_queue``, ``access``, ``pricing``,
``dry_run``."""
