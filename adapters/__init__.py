"""The outside world behind small interfaces: locations, the database, Temporal."""
