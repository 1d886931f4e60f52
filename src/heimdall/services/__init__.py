"""Application services: the use-cases, over the store, the domain, the event publisher and the job engine.

One module or folder per use-case: ``receivers``, ``networks``, ``localizations`` (with ``exports``),
``datasets/`` and ``models/``; a use-case that runs a job owns its job kind (``datasets/generation_job``,
``models/training_job``). ``counting_job`` is the job engine's demonstration kind (``test.count``),
used by the engine's tests and platform demos. Each service takes what it needs (a session factory,
``publish(topic, event, data)``, the blob store, the job engine, other services) from the
composition root (``heimdall.platform``), validates its input with the error tree of
``heimdall.errors`` and publishes an event after each committed change. Routes, the CLI and jobs call
these; none of them touches tables directly, and no service reads the job engine's tables.
"""
