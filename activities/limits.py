"""Figures the activities and the workflow's activity options must agree on.

They live on the activities' side, as the activities' own contract: the order workflow
reads them to set its timeouts and retries (``workflows.options``).
"""

# A location call heartbeats this often, so a worker that died mid-call is noticed within
# the heartbeat timeout and the call retried, instead of waiting out the whole try.
HEARTBEAT_EVERY_SECONDS = 2.0

# Telling subscribers about an order's events: this many tries, then the delivery is given
# up and shown as failed in the subscription's deliveries (the last try knows it is last).
EVENT_DELIVERY_ATTEMPTS = 12
