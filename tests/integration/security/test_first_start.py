"""Secure by default, still one command: ``heimdall serve`` with a fresh data dir, then the CLI."""

from __future__ import annotations

import re
import subprocess
import time

import httpx

from support.processes import BIN, heimdall_env

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/api/v1/auth/link\?token=[A-Za-z0-9_-]+)")
TIMEOUT_S = 120


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "heimdall"), *args], check=False, env=env, input=stdin, capture_output=True,
                          text=True, timeout=TIMEOUT_S)


def _link(log_tail) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = LINK.search(log_tail())
        if found:
            return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no login link printed:\n{log_tail()}")


def test_first_start_prints_a_one_time_link_and_the_cli_manages_users_and_tokens(processes, tmp_path):
    env = heimdall_env(data_dir=tmp_path / "data", auth_enabled="true", demo_network="false")
    server = processes("serve", "serve", env).wait_ready()
    link = _link(server.tail)
    with httpx.Client(timeout=60) as browser:
        assert httpx.get(f"{server.http_url}/api/v1/receivers", timeout=60).status_code == 401
        used = browser.get(link)
        assert used.status_code == 303 and used.headers["location"] == "/"
        me = browser.get(f"{server.http_url}/api/v1/auth/me")
        assert me.json()["name"] == "admin" and me.json()["role"] == "admin"
        assert browser.get(link).status_code == 401  # consumed once
    added = _cli(env, "users", "add", "ops", "--role", "operator", "--password-stdin", stdin="ten chars at least\n")
    assert added.returncode == 0, added.stderr
    created = _cli(env, "tokens", "create", "--name", "script", "--user", "ops", "--role", "operator")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    auth = {"Authorization": f"Bearer {secret}"}
    assert httpx.post(f"{server.http_url}/api/v1/networks", json={"name": "n"}, headers=auth,
                      timeout=60).status_code == 201
    listed = _cli(env, "tokens", "list")
    assert "script" in listed.stdout and secret not in listed.stdout
    token_id = listed.stdout.split("\t")[0]
    assert _cli(env, "tokens", "revoke", token_id).returncode == 0
    assert httpx.get(f"{server.http_url}/api/v1/networks", headers=auth, timeout=60).status_code == 401
    assert _cli(env, "users", "disable", "ops").returncode == 0
    assert "ops\toperator\tdisabled" in _cli(env, "users", "list").stdout


def test_the_cli_refuses_bad_input_with_exit_2(tmp_path):
    env = heimdall_env(data_dir=tmp_path / "data")
    bad_role = _cli(env, "users", "add", "x", "--role", "root", "--no-password")
    assert bad_role.returncode == 2 and "Traceback" not in bad_role.stderr
    missing = _cli(env, "users", "disable", "nobody")
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0
    short = _cli(env, "users", "add", "y", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "password" in short.stderr


def test_serve_refuses_a_public_address_with_authentication_off(tmp_path):
    env = heimdall_env(data_dir=tmp_path / "data", auth_enabled="false")
    refused = _cli(env, "serve", "--host", "0.0.0.0", "--port", "1")
    assert refused.returncode == 2 and "authentication off" in refused.stderr


def test_the_link_is_printed_at_every_start_until_the_admin_has_signed_in(make_platform, capsys):
    from heimdall.cli.serve import _first_admin

    platform = make_platform(auth_enabled=True)
    _first_admin(platform, "http://127.0.0.1:8000")
    _first_admin(platform, "http://127.0.0.1:8000")  # restarted before anyone used the first link
    links = [line.strip().split("token=")[1] for line in capsys.readouterr().err.splitlines() if "token=" in line]
    assert len(links) == 2 and links[0] != links[1]
    assert platform.identity.users.count() == 1
    assert platform.identity.sessions.consume_link(links[1]) is not None
    _first_admin(platform, "http://127.0.0.1:8000")
    assert "token=" not in capsys.readouterr().err
