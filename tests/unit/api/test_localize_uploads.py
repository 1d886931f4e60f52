"""Recordings uploaded over HTTP and a result's overlays, in process over a temporary SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from heimdall.api.app import create_app
from heimdall.cli import heimdall as heimdall_cli
from heimdall.platform.root import Platform

DCF77 = Path(__file__).resolve().parents[2] / "fixtures" / "kiwi-dcf77"
WAVS = sorted(DCF77.glob("*.wav"))


@pytest.fixture
def make_client(make_platform):
    """``make_client(tmp_path, **settings)`` -> (an in-process client, its platform)."""
    def make(tmp_path, **settings) -> tuple[TestClient, Platform]:
        platform = make_platform(data_dir=tmp_path, **settings)
        client = TestClient(create_app(platform.settings, platform=platform, static_dir=None),
                            base_url="http://testserver/api/v1")
        return client, platform
    return make


@pytest.fixture
def client(tmp_path, make_client):
    http, _ = make_client(tmp_path)
    with http:
        yield http


def files(paths, **extra):
    return [("recordings", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths] + \
        [(key, (None, value)) for key, value in extra.items()]


def test_the_dcf77_recordings_give_the_clis_fix_stored_and_drawable(client, tmp_path):
    response = client.post("/localize/recordings", files=files(WAVS, receivers=(DCF77 / "receivers.json").read_text()))
    assert response.status_code == 200, response.text
    body = response.json()
    cli = CliRunner().invoke(heimdall_cli, ["locate", *map(str, WAVS), "--receivers", str(DCF77 / "receivers.json"), "--json"])
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.output)
    assert (body["lat"], body["lon"]) == pytest.approx((expected["lat"], expected["lon"]), abs=1e-9)
    assert body["method"] == "classical:tdoa" and body["used"]["tdoa"] == 3
    assert [r["path"] for r in body["recordings"]["receivers"]] == [p.name for p in WAVS]
    stored = client.get(f"/localizations/{body['id']}").json()
    assert stored["request"]["tdoa"] and stored["lat"] == body["lat"]
    overlays = client.get(f"/localizations/{body['id']}/overlays")
    assert overlays.status_code == 200 and overlays.headers["content-type"] == "application/geo+json"
    kinds = [f["properties"]["kind"] for f in overlays.json()["features"]]
    assert kinds.count("tdoa") == 3 and kinds.count("receiver") == 3
    assert not list((tmp_path / "uploads").iterdir()), "the upload's work directory was left behind"


def test_an_upload_is_published_like_a_localization(tmp_path, make_client):
    http, platform = make_client(tmp_path)
    with http:
        body = http.post("/localize/recordings", files=files(WAVS, receivers=(DCF77 / "receivers.json").read_text())).json()
    events = [e for e in platform.publish.log.read_after(0) if e["event"] == "localization.result"]
    assert [(e["topic"], e["data"]["id"]) for e in events] == [("localizations", body["id"])]
    listed = http.get("/localizations").json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]


@pytest.mark.parametrize(("upload", "field", "message"), [
    (lambda: files(WAVS[:1]), None, "at least two"),
    (lambda: files(WAVS, receivers="{not json"), "receivers", "not valid JSON"),
    (lambda: files(WAVS, receivers='{"receivers": [1]}'), "receivers", "expected"),
    (lambda: [("recordings", ("../../etc/passwd", b"x", "text/plain"))] * 2, "recordings", "the same file twice"),
    (lambda: [("recordings", ("a b.wav", b"x", "audio/wav")), ("recordings", ("c.wav", b"x", "audio/wav"))],
     "recordings", "letters, digits"),
    (lambda: [("recordings", ("x.sigmf-meta", b"{}", "application/json")), *files(WAVS[:1])], "recordings",
     "lacks its .sigmf-data"),
    (lambda: [("recordings", ("a.txt", b"hello", "text/plain")), ("recordings", ("b.txt", b"there", "text/plain"))],
     None, "not a KiwiSDR"),
])
def test_bad_uploads_are_refused_with_a_reason(client, tmp_path, upload, field, message):
    response = client.post("/localize/recordings", files=upload())
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert message in error["message"]
    if field:
        assert error["details"]["field"] == field
    assert not any((tmp_path / "uploads").glob("*")), "the upload's work directory was left behind"


def test_the_upload_limit(tmp_path, make_client):
    http, _ = make_client(tmp_path, max_upload_bytes=1_000_000)
    with http:
        response = http.post("/localize/recordings", files=files(WAVS))
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_overlays_of_an_unknown_localization(client):
    response = client.get("/localizations/nope/overlays")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
