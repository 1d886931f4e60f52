"""The composition root, in the top layer beside ``cli`` and ``api``.

``heimdall.platform.root``: ``Platform`` (settings, database, blobs, events, the job engine and every
use-case service, typed) and ``build_platform(settings)``, which builds it for the API, the CLI and the
tests. ``heimdall.platform.worker``: ``open_job_runtime(settings)``, what a worker process runs jobs
with. This package module imports neither, so a worker process never loads the services it does not run.
"""
