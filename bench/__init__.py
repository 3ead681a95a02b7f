"""Benchmarks: `make bench` (full) and `make bench-quick` (small data, under 2 minutes)."""
