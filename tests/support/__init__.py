"""The test kit: what tests share, each thing once.

- ``builders``: orders, requests, networks and views, one builder per shape.
- ``fakes``: one typed fake per port (the order gateway, the workflow activities, locations).
- ``stack``: the real stack (``dom up``), the API in process, database helpers.
- ``workflows``: workers on a test server, with fake or real activities.
- ``tcp``: a relay that can be cut, a round-robin balancer.
- ``http``: driving the stack and the console over HTTP as a person would.
- ``data``: shared sample payloads and network files.
- ``routing``: the routing engine's reference cost and scenario strategies.
- ``keys``, ``payloads``: the test keys and tokens; reading a raw history's payloads.

Test modules import from here, never from each other nor from a ``conftest``; fixtures
stay in ``conftest.py`` files."""
