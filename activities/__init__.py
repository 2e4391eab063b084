"""Side effects, each idempotent: inventory, routing, dispatch to locations."""
