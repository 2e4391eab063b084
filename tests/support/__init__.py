"""The test kit: what tests share, each thing once."""
