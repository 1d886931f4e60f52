"""The suite's shared fixtures live in tests/support (one PostgreSQL schema fixture, one moto server,
one process helper, one test platform built by the composition root)."""

pytest_plugins = ["support.fixtures"]
