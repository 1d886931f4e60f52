"""``heimdall serve``: API, web app, events and the embedded job executor in one process.

Secure by default (docs/security.md): authentication is on; the first start on an empty user table
creates the ``admin`` user and prints a one-time login link; the server listens on 127.0.0.1 unless
told otherwise and refuses any other address with authentication turned off.

Ctrl-C / SIGTERM stop cleanly: localizations in flight stop at once (503 ``cancelled``), uvicorn
stops accepting and closes every WebSocket, then the app's
shutdown asks running jobs to pause (they checkpoint and resume on the next start), stops the
worker processes and closes the database.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING

import click

from heimdall.errors import InvalidInput

if TYPE_CHECKING:
    from heimdall.platform.root import Platform


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
    check_binding(settings.host, auth_enabled=settings.auth_enabled)
    configure_logging(settings.log_level)
    with build_platform(settings) as platform:
        app = create_app(settings, platform=platform)
        click.echo(f"heimdall: serving on http://{settings.host}:{settings.port} (data in {settings.data_dir})",
                   err=True)
        if not is_loopback(settings.host) and "*" not in settings.allowed_hosts:
            click.echo(f"heimdall: answering to the Host names {', '.join(settings.allowed_hosts)} only: add the "
                       "names users type to HEIMDALL_ALLOWED_HOSTS", err=True)
        if settings.auth_enabled:
            _first_admin(platform, f"http://{_browser_host(settings.host)}:{settings.port}")
        else:
            click.echo("heimdall: authentication is OFF (loopback only): anyone on this machine has full access",
                       err=True)
        ForegroundServer(uvicorn_config(app, settings.host, settings.port, log_level=settings.log_level),
                         on_exit=app.state.localization_runner.cancel_all).run()


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, *, auth_enabled: bool) -> None:
    """InvalidInput (exit 2) for a non-loopback address with authentication off."""
    if not auth_enabled and not is_loopback(host):
        raise InvalidInput(f"refusing to listen on {host} with authentication off: "
                           "turn it on (HEIMDALL_AUTH_ENABLED=true) or listen on 127.0.0.1")


def _first_admin(platform: Platform, base_url: str) -> None:
    """On an empty user table, create ``admin``; until that admin has signed in once, print a link."""
    from heimdall.errors import NotFound
    from heimdall.services.users.accounts import FIRST_ADMIN_NAME

    users = platform.identity.users
    if users.count() == 0:
        users.create(FIRST_ADMIN_NAME, "admin")
        click.echo(f"heimdall: created the user '{FIRST_ADMIN_NAME}' (role admin).", err=True)
    try:
        admin = users.get(FIRST_ADMIN_NAME)
    except NotFound:
        return
    if admin["has_password"] or admin["last_login_at"] is not None or admin["disabled"]:
        return
    secret = platform.identity.sessions.create_link(FIRST_ADMIN_NAME)
    click.echo(f"heimdall: sign in as '{FIRST_ADMIN_NAME}' once, within an hour, at:\n"
               f"\n    {base_url}/api/v1/auth/link?token={secret}\n\n"
               "heimdall: then set a password (the web app's Password menu, or `heimdall users passwd admin`); "
               "`heimdall users link admin` prints a new link.", err=True)


def _browser_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
