"""``/api/v1/calibrations`` over a real server: fit, read, reject, delete; /localize names what corrected it."""

from __future__ import annotations

import numpy as np

from heimdall.bench.scenarios import SCENARIOS, draw_truth, g7_receivers
from heimdall.calibrate.scenarios import draw_offsets, inject


def _captures(count: int, seed: int = 5) -> tuple[list[dict], dict]:
    rng = np.random.default_rng(seed)
    receivers = g7_receivers()
    offsets = draw_offsets(rng, [r["id"] for r in receivers])
    references = []
    for _ in range(count + 1):
        lat, lon = draw_truth(rng)
        doc = inject(SCENARIOS["tdoa-pairs"].generate(receivers, lat, lon, rng), offsets)
        references.append({"measurement_set": doc, "lat": lat, "lon": lon})
    return references[:count], references[count]["measurement_set"]


def test_fit_apply_reject_delete(api, expect_error) -> None:
    references, unknown = _captures(5)
    response = api.post("/api/v1/calibrations", json={"references": references, "note": "from the API test"})
    assert response.status_code == 201, response.text
    calibration = response.json()
    assert calibration["state"] == "active" and calibration["quantities"] == ["timing_offset_s"]
    path = f"/api/v1/calibrations/{calibration['id']}"
    assert api.get(path).json()["id"] == calibration["id"]
    fix = api.post("/api/v1/localize", json=unknown).json()
    assert fix["calibration"]["applied"] is True and fix["calibration"]["id"] == calibration["id"]
    rejected = api.post(f"{path}/reject", json={"reason": "wrong antenna"}).json()
    assert rejected["state"] == "rejected"
    expect_error(api.post(f"{path}/reject", json={"reason": "again"}), 409, "conflict")
    assert api.post("/api/v1/localize", json=unknown).json()["calibration"]["applied"] is False
    assert api.delete(path).status_code == 204
    expect_error(api.get(path), 404, "not_found")


def test_refusals_are_422_and_store_nothing(api, expect_error) -> None:
    references, _ = _captures(1)
    expect_error(api.post("/api/v1/calibrations", json={"references": references}), 422, "insufficient_data")
    expect_error(api.post("/api/v1/calibrations", json={"references": []}), 422, "invalid_input")
    expect_error(api.post("/api/v1/calibrations", json=[1, 2]), 422, "invalid_input")
    assert api.get("/api/v1/calibrations").json()["total"] == 0
