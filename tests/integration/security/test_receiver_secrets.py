"""Receiver passwords: encrypted at rest with the settings' key, never returned, logged, evented or audited."""

from __future__ import annotations

import json
import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from heimdall.errors import StorageError

PASSWORD = "kiwi-pa55-word"
RECEIVER = {"name": "kiwi", "kind": "kiwisdr", "lat": 45.0, "lon": 7.5, "url": "http://kiwi.example:8073"}


def test_a_password_is_write_only_over_the_api(secured, expect_error, caplog):
    caplog.set_level(logging.DEBUG)
    with secured.client("operator") as operator, secured.client("viewer") as viewer:
        receiver = operator.post("/receivers", json=RECEIVER).json()
        url = f"/receivers/{receiver['id']}/password"
        assert operator.get(url).json() == {"has_password": False, "updated_at": None}
        expect_error(viewer.put(url, json={"password": PASSWORD}), 403, "forbidden")
        assert operator.put(url, json={"password": PASSWORD}).json()["has_password"] is True
        assert viewer.get(url).json()["has_password"] is True
        seen = [operator.get(f"/receivers/{receiver['id']}").text, operator.get("/receivers").text, viewer.get(url).text]
        expect_error(operator.put(url, json={"password": ""}), 422, "invalid_input")
        expect_error(operator.put("/receivers/00000000-0000-4000-8000-000000000000/password",
                                  json={"password": PASSWORD}), 404, "not_found")
    assert all(PASSWORD not in answer for answer in seen)
    assert secured.platform.receiver_secrets.password_of(receiver["id"]) == PASSWORD
    with secured.platform.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_encrypted FROM receiver_secrets")).scalar_one()
        dump = repr(connection.exec_driver_sql("SELECT * FROM audit").all())
    assert PASSWORD not in stored and PASSWORD not in dump
    events = json.dumps(secured.platform.publish.log.read_after(0))
    assert PASSWORD not in events and PASSWORD not in caplog.text


def test_credentials_in_a_receiver_url_are_refused(secured, expect_error):
    with secured.client("operator") as operator:
        for url in ("http://admin:kiwi-pa55-word@kiwi.example:8073", "http://token@kiwi.example"):
            error = expect_error(operator.post("/receivers", json={**RECEIVER, "url": url}), 422, "invalid_input")
            assert error["details"]["field"] == "url" and PASSWORD not in error["message"]


def test_the_key_comes_from_the_settings_and_another_key_cannot_read(make_platform):
    key = Fernet.generate_key().decode()
    first = make_platform(secret_key=key)
    receiver = first.receivers.create(RECEIVER)
    first.receiver_secrets.set_password(receiver["id"], PASSWORD)
    data_dir = first.settings.data_dir
    assert not (data_dir / "secret.key").exists()  # the configured key, no key file
    same = make_platform(data_dir=data_dir, secret_key=key)
    assert same.receiver_secrets.password_of(receiver["id"]) == PASSWORD
    other = make_platform(data_dir=data_dir, secret_key=Fernet.generate_key().decode())
    with pytest.raises(StorageError):
        other.receiver_secrets.password_of(receiver["id"])


def test_without_a_key_one_is_made_once_with_owner_only_access(make_platform):
    platform = make_platform()
    receiver = platform.receivers.create(RECEIVER)
    platform.receiver_secrets.set_password(receiver["id"], PASSWORD)
    key_file = platform.settings.data_dir / "secret.key"
    assert key_file.stat().st_mode & 0o077 == 0
    again = make_platform(data_dir=platform.settings.data_dir)
    assert again.receiver_secrets.password_of(receiver["id"]) == PASSWORD
    platform.receivers.delete(receiver["id"])
    with platform.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM receiver_secrets")).scalar_one() == 0
