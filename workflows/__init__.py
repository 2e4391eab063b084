"""Deterministic orchestration only: one workflow per order, its packages inside it."""
