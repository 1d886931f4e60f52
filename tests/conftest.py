"""The suite's shared fixtures live in tests/support (one PostgreSQL schema fixture, one moto server,
one process helper, one test platform built by the composition root).

Authentication: the suite runs with it off unless a test turns it on (``auth_enabled=True``; the
security tests in tests/integration/security do). ``Settings()`` built anywhere in a test reads these
defaults from the environment; ``support.platform`` and ``support.processes.heimdall_env`` set them
explicitly. ``testserver`` (Starlette's TestClient) joins the allowed Host names.
"""

import os

os.environ.setdefault("HEIMDALL_AUTH_ENABLED", "false")
os.environ.setdefault("HEIMDALL_ALLOWED_HOSTS", "localhost,127.0.0.1,::1,testserver")

pytest_plugins = ["support.fixtures"]
