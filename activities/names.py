"""Activity names on the wire: the activity classes' decorators and the tests' fakes use them.

Workflows call activities by typed reference (``InventoryActivities.allocate``), never by
these strings; changing one would break every order in flight (tests/workflows/test_wire_names.py).
"""

ALLOCATE = "allocate"
DISPATCH = "dispatch_fulfillment"
CANCEL_AT_LOCATION = "cancel_fulfillment_at_location"
RELEASE_RESERVATIONS = "release_reservations"
COMMIT_SHIPMENT = "commit_shipment"
RECORD_SHORTFALL = "record_shortfall"
RECORD_BACKORDER = "record_backorder"
PUBLISH_EVENT = "publish_event"
RECEIVE_RETURN = "receive_return"
SET_RETURN_STATUS = "set_return_status"
