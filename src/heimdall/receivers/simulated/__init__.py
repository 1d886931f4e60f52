"""Protocol-faithful fake receivers of each kind on loopback (real HTTP and WebSocket servers), driven by
recordings or signal callbacks, for tests, demos and benchmarks."""
