"""Switchyard's domain: plain Python that reads like the business.

Nothing in this package imports Temporal, HTTP or SQL, so it can be tested and
reused alone (and passed through the workflow sandbox unchanged).
"""
