"""``heimdall serve``: API, web app, events and the embedded job executor in one process.

Ctrl-C / SIGTERM stop cleanly: localizations in flight stop at once (503 ``cancelled``), uvicorn
stops accepting and closes every WebSocket, then the app's
shutdown asks running jobs to pause (they checkpoint and resume on the next start), stops the
worker processes and closes the database.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default 8000).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where SQLite and blobs live in embedded mode (default ./heimdall-data).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="YAML config file (below CLI flags, above the environment).")
def serve(host: str | None, port: int | None, data_dir: Path | None, config_file: Path | None) -> None:
    """Serve the API, the web app and /ws, and run jobs (embedded unless URLs say otherwise)."""
    from heimdall.api.app import create_app
    from heimdall.api.logs import configure_logging
    from heimdall.api.server import ForegroundServer, uvicorn_config
    from heimdall.platform.root import build_platform
    from heimdall.settings import load_settings

    settings = load_settings(config_file, host=host, port=port, data_dir=data_dir)
    configure_logging(settings.log_level)
    with build_platform(settings) as platform:
        app = create_app(settings, platform=platform)
        click.echo(f"heimdall: serving on http://{settings.host}:{settings.port} (data in {settings.data_dir})",
                   err=True)
        ForegroundServer(uvicorn_config(app, settings.host, settings.port, log_level=settings.log_level),
                         on_exit=app.state.localization_runner.cancel_all).run()
