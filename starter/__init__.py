"""Entry points: the HTTP API, the ``dom`` command line, and what they share."""
