"""Heimdall: locate radio transmitters from what a network of receivers measures."""

__version__ = "0.1.0"
