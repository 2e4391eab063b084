"""The order gateway: how everything outside the worker starts, finds, reads and drives
order workflows through the Temporal client (checkout, locations' events, operators).

``OrderGateway`` (orders.py) holds the order workflow's typed handles and turns Temporal's
answers into the errors the API maps; ``OrderSearch`` (search.py) reads visibility only;
views.py shapes a workflow's state for callers. Services see it through the
``services.ports.OrderGateway`` protocol.
"""
