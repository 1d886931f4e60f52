"""Protocol-faithful fake servers of each receiver kind, for tests, demos and benchmarks (loopback only)."""
