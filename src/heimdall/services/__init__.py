"""Application services: use-cases over the store, the domain and the event publisher.

Each service takes a session factory (``heimdall.store.db.make_session_factory``) and a
``publish(topic, event, data)`` callable, validates its input with the error tree of
``heimdall.errors`` and publishes an event after each committed change. Routes, the CLI and jobs
call these; none of them touches tables directly.
"""
