"""Protocol-faithful fake receivers on loopback (real HTTP and WebSocket servers), driven by signal callbacks, for tests, demos and benchmarks."""
