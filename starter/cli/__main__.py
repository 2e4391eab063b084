"""``python -m starter.cli``: the ``dom`` command from this interpreter (tests, benchmarks)."""

from starter.cli import main

main()
