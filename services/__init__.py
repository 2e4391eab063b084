"""The service layer: what the business does, over the store, in one place.

Activities, API routes and the CLI call these functions; none of them talks to the store
for business behaviour on its own (cosmicpython's ``service_layer``)."""
