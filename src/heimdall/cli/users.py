"""``heimdall users add|list|disable|enable|passwd|link`` and ``heimdall tokens create|list|revoke``.

They work on the data directory's database directly (as an operator with shell access may), so they
also recover a server whose admins are all locked out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from heimdall.cli.local import data_dir_option, local_platform, settings_option

ROLE = click.Choice(["viewer", "operator", "admin"])


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("password", hide_input=True, confirmation_prompt=True))


@click.group()
def users() -> None:
    """Users and their roles (viewer < operator < admin)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=ROLE, required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (else a prompt).")
@click.option("--no-password", is_flag=True, help="No password: sign in through `heimdall users link`.")
@data_dir_option
@settings_option
def add(name: str, role: str, password_stdin: bool, no_password: bool, data_dir: Path | None,
        settings_file: Path | None) -> None:
    """Create a user."""
    password = None if no_password else _read_password(password_stdin)
    with local_platform(data_dir, settings_file) as platform:
        user = platform.identity.users.create(name, role, password)
    click.echo(f"created user {user['name']} ({user['role']})")


@users.command("list")
@data_dir_option
@settings_option
def list_users(data_dir: Path | None, settings_file: Path | None) -> None:
    """Every user, with role and state."""
    with local_platform(data_dir, settings_file) as platform:
        items = platform.identity.users.list(limit=1000)["items"]
    for user in items:
        state = "disabled" if user["disabled"] else "enabled"
        click.echo(f"{user['name']}\t{user['role']}\t{state}\tlast login {user['last_login_at'] or '-'}")


def _set_disabled(name: str, disabled: bool, data_dir: Path | None, settings_file: Path | None) -> None:
    with local_platform(data_dir, settings_file) as platform:
        platform.identity.users.update(name, disabled=disabled)
    click.echo(f"{'disabled' if disabled else 'enabled'} user {name}")


@users.command("disable")
@click.argument("name")
@data_dir_option
@settings_option
def disable(name: str, data_dir: Path | None, settings_file: Path | None) -> None:
    """Disable a user: their sessions and tokens stop working at once."""
    _set_disabled(name, True, data_dir, settings_file)


@users.command("enable")
@click.argument("name")
@data_dir_option
@settings_option
def enable(name: str, data_dir: Path | None, settings_file: Path | None) -> None:
    """Enable a disabled user again."""
    _set_disabled(name, False, data_dir, settings_file)


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (else a prompt).")
@data_dir_option
@settings_option
def passwd(name: str, password_stdin: bool, data_dir: Path | None, settings_file: Path | None) -> None:
    """Set a user's password."""
    password = _read_password(password_stdin)
    with local_platform(data_dir, settings_file) as platform:
        platform.identity.users.update(name, password=password)
    click.echo(f"password set for {name}")


@users.command("link")
@click.argument("name")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True)
@data_dir_option
@settings_option
def link(name: str, base_url: str, data_dir: Path | None, settings_file: Path | None) -> None:
    """Print a one-time login link for a user (valid one hour)."""
    with local_platform(data_dir, settings_file) as platform:
        secret = platform.identity.sessions.create_link(name)
    click.echo(f"{base_url.rstrip('/')}/api/v1/auth/link?token={secret}")


@click.group()
def tokens() -> None:
    """API tokens for scripts (shown once, stored as a digest)."""


@tokens.command("create")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--user", "user_name", required=True, help="Whose token.")
@click.option("--role", type=ROLE, required=True, help="At most the user's own role.")
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=90.0, show_default=True)
@click.option("--never-expires", is_flag=True)
@data_dir_option
@settings_option
def create(name: str, user_name: str, role: str, expires_days: float, never_expires: bool,
           data_dir: Path | None, settings_file: Path | None) -> None:
    """Create a token; it is printed once, on stdout."""
    expires_in_s = None if never_expires else expires_days * 86400.0
    with local_platform(data_dir, settings_file) as platform:
        token, secret = platform.identity.tokens.create(user_name, name, role, expires_in_s)
    click.echo(f"token {token['id']} ({token['role']}, expires {token['expires_at'] or 'never'}):", err=True)
    click.echo(secret)


@tokens.command("list")
@data_dir_option
@settings_option
def list_tokens(data_dir: Path | None, settings_file: Path | None) -> None:
    """Every token (never the token itself)."""
    with local_platform(data_dir, settings_file) as platform:
        items = platform.identity.tokens.list(limit=1000)["items"]
    for token in items:
        state = "revoked" if token["revoked_at"] else f"expires {token['expires_at'] or 'never'}"
        click.echo(f"{token['id']}\t{token['name']}\t{token['user']}\t{token['role']}\t{token['prefix']}…\t{state}"
                   f"\tlast used {token['last_used_at'] or '-'}")


@tokens.command("revoke")
@click.argument("token_id")
@data_dir_option
@settings_option
def revoke(token_id: str, data_dir: Path | None, settings_file: Path | None) -> None:
    """Revoke a token at once."""
    with local_platform(data_dir, settings_file) as platform:
        platform.identity.tokens.revoke(token_id)
    click.echo(f"revoked token {token_id}")
