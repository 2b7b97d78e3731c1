"""Worked examples: see docs/models-and-data.md."""
