"""Radio physics: propagation models, fading, receiver impairments, signal generators and
measurement extraction from IQ (``heimdall.rf.measure``). Pure numpy/scipy, seeded explicitly."""
