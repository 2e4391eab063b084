"""Deterministic orchestration only: the order workflow and one child per fulfillment."""
