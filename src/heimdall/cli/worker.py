"""``heimdall worker``: a Celery worker that runs jobs from the configured broker."""

from __future__ import annotations

import os

import click


@click.command()
@click.option("--queues", default="cpu,gpu", show_default=True, help="Comma list of job queues to consume.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=None,
              help="Jobs run at once (default: one per CPU core).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="YAML config file (below CLI flags, above the environment).")
def worker(queues: str, concurrency: int | None, config_file: str | None) -> None:
    """Run jobs from the broker (HEIMDALL_BROKER_URL: redis://... or amqp://...)."""
    from pathlib import Path

    from heimdall.jobs.executors.celery_executor import make_celery_app
    from heimdall.jobs.registry import import_job_modules
    from heimdall.platform.worker import open_job_runtime
    from heimdall.settings import load_settings
    from heimdall.store.schema import upgrade_database

    settings = load_settings(Path(config_file) if config_file else None)
    if not settings.broker_url:
        raise click.UsageError("heimdall worker needs a broker: set HEIMDALL_BROKER_URL (redis://... or amqp://...)")
    names = [name.strip() for name in queues.split(",") if name.strip()]
    if not names:
        raise click.UsageError("--queues needs at least one queue name")
    upgrade_database(settings.resolved_database_url)
    import_job_modules(settings.all_job_modules)
    # Each pool process opens its database, blobs and publisher through the composition root.
    app = make_celery_app(settings, open_job_runtime)
    argv = [
        "worker",
        f"--queues={','.join(settings.job_queue_prefix + name for name in names)}",
        f"--loglevel={settings.log_level.upper()}",
        f"--hostname=heimdall-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle",
    ]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    app.worker_main(argv)
