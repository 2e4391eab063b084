"""Activity names, so workflows can call activities without importing their implementations."""

ALLOCATE = "allocate"
DISPATCH = "dispatch_fulfillment"
CANCEL_AT_LOCATION = "cancel_fulfillment_at_location"
RELEASE_RESERVATIONS = "release_reservations"
COMMIT_SHIPMENT = "commit_shipment"
RECORD_SHORTFALL = "record_shortfall"
RECORD_BACKORDER = "record_backorder"
