"""Jobs: every long-running operation, with one lifecycle, one event stream and one set of controls.

The database row is the source of truth (``heimdall.store.tables.jobs``); ``JobService`` changes it
with compare-and-set updates; executors (inline, local processes, Celery) only run jobs; a job kind is
a function registered with ``@job_kind`` that receives a ``JobContext``. See docs/jobs.md.
"""
