"""What the test suite shares, once: outside services, process helpers and the test platform.

``services`` (reachability of PostgreSQL/Redis/RabbitMQ: skip locally, fail under CI=true),
``postgres`` (a private schema per test), ``moto`` (an S3 server process), ``processes``
(``heimdall serve``/``worker`` subprocesses, free ports), ``platform`` (the composition root over a
temporary SQLite file, and a real uvicorn serving it), ``events`` (a recording listener), and
``fixtures`` (the pytest fixtures over them, registered for the whole suite by tests/conftest.py).
Importable as ``support`` (pytest's ``pythonpath`` includes tests/).
"""
