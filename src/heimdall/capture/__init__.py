"""Capturing signals and turning recordings into measurements (``heimdall.capture.recordings``)."""
