"""GET /datasets/{id}/samples/{sample_id}/spectrogram over a real server and a tiny generated dataset."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import generate


@pytest.fixture
def iq_dataset(client, iq_network):
    return generate(client, iq_network["network_id"], "iq-tiny", iq={"enabled": True})


def test_spectrogram_of_a_stored_capture(client, iq_network, iq_dataset):
    sample = client.get(f"/datasets/{iq_dataset['id']}/samples", params={"limit": 5}).json()["items"][2]
    receiver = sample["measurement_set"]["receivers"][1]["id"]
    response = client.get(f"/datasets/{iq_dataset['id']}/samples/2/spectrogram",
                          params={"receiver": receiver, "nfft": 128})
    assert response.status_code == 200, response.text
    body = response.json()
    power_db = np.array(body["power_db"])
    frames = len(body["time_s"])
    assert power_db.shape == (frames, 128) and frames >= 1
    assert body["nfft"] == 128 and body["receiver"] == receiver and body["sample_id"] == 2
    capture = next(c for c in sample["iq"]["captures"] if c["receiver"] == receiver)
    assert body["sample_rate_hz"] == pytest.approx(sample["iq"]["sample_rate_hz"])
    assert body["start_time_s"] == pytest.approx(capture["start_time_s"])
    assert body["frequency_hz"][0] == pytest.approx(-body["sample_rate_hz"] / 2)
    assert np.all(np.diff(body["frequency_hz"]) > 0)
    # The spectrogram's mean bin power is the capture's mean power (Parseval, up to frame coverage).
    mean_db = 10 * np.log10(np.mean(10 ** (power_db / 10)))
    assert mean_db == pytest.approx(capture["power_dbfs"], abs=1.5)
    default = client.get(f"/datasets/{iq_dataset['id']}/samples/2/spectrogram", params={"receiver": receiver})
    assert default.status_code == 200 and default.json()["nfft"] == 256


def test_unknown_things_are_404_and_bad_nfft_422(client, iq_dataset):
    base = f"/datasets/{iq_dataset['id']}/samples"
    receiver = client.get(base, params={"limit": 1}).json()["items"][0]["measurement_set"]["receivers"][0]["id"]
    cases = [
        ("/datasets/nope/samples/0/spectrogram", {"receiver": receiver}, 404),
        (f"{base}/99/spectrogram", {"receiver": receiver}, 404),
        (f"{base}/0/spectrogram", {"receiver": "nobody"}, 404),
        (f"{base}/0/spectrogram", {"receiver": receiver, "nfft": 100}, 422),
        (f"{base}/0/spectrogram", {"receiver": receiver, "nfft": 2}, 422),
        (f"{base}/0/spectrogram", {}, 422),
    ]
    for path, params, status in cases:
        response = client.get(path, params=params)
        assert response.status_code == status, (path, params, response.text)
        assert response.json()["error"]["message"]


def test_a_dataset_without_iq_is_409_with_the_reason(client, iq_network):
    dataset = generate(client, iq_network["network_id"], "no-iq")
    response = client.get(f"/datasets/{dataset['id']}/samples/0/spectrogram",
                          params={"receiver": iq_network["receiver_ids"][0]})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"
    assert "iq.enabled" in response.json()["error"]["message"]
