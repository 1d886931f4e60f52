"""The job engine: every long-running operation, with one lifecycle, one event stream and one set of
controls. It knows no use-case.

The database row is the source of truth (``heimdall.store.tables.jobs``); ``JobService`` (the engine's
API: create, inspect, control, reap, recover) changes it with compare-and-set updates; executors
(inline, local processes, Celery) only run jobs; a job kind is a function registered with
``@job_kind`` that receives a ``JobContext``. Job kinds live with their use-case, in
``heimdall.services.<case>`` (e.g. ``heimdall.services.datasets.generation_job``). See docs/jobs.md.
"""
