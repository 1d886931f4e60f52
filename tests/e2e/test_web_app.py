"""The web app against a real ``heimdall serve`` in headless Chromium, one tab, as a user would go.

The steps run in file order and share the server and the tab (module-scoped fixtures): map ->
receivers -> localize -> dataset -> training (pause, resume, server restart) -> deploy -> neural.
The last test checks the rules that hold over the whole session: at most one WebSocket open at a
time and one per server lifetime, every frame a CONTRACT section 3 envelope, a clean console.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.services.networks import g7_receiver_fields

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DEMO_NETWORK = "G7 demo"
TRUTH = (45.12, 7.61)
DATASET_SAMPLES = 1200
EPOCHS = 14
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
EXPECTED_4XX = r"Failed to load resource: the server responded with a status of (409|422)"


def _api_json(tab, method: str, path: str, **kwargs):
    with tab.serve.api() as http:
        response = http.request(method, path, **kwargs)
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text[:300]}"
    return response.json() if response.content else None


def _wait(tab, predicate, what: str, timeout_s: float = 60.0, every_ms: int = 250):
    """Poll ``predicate`` while letting Playwright deliver events; its first truthy value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        tab.page.wait_for_timeout(every_ms)
    shot = tab.screenshot("timeout-" + "".join(c if c.isalnum() else "-" for c in what)[:60])
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what} (screenshot {shot})")


def _tdoa_measurement_set(receivers: list[dict], truth: tuple[float, float]) -> dict:
    """Noise-free TDoA against the first receiver for a transmitter at ``truth`` (ground level)."""
    tx = geodetic_to_ecef(truth[0], truth[1], 0.0)

    def arrival_s(r: dict) -> float:
        return float(((geodetic_to_ecef(r["lat"], r["lon"], r["alt_m"]) - tx) ** 2).sum() ** 0.5) / SPEED_OF_LIGHT_M_S

    ref = receivers[0]
    return {
        "frequency_hz": 145_500_000,
        "receivers": [{"id": r["name"], "lat": r["lat"], "lon": r["lon"], "alt_m": r["alt_m"]} for r in receivers],
        "tdoa": [{"receiver": r["name"], "reference": ref["name"], "tdoa_s": arrival_s(r) - arrival_s(ref),
                  "sigma_s": 2.05e-7} for r in receivers[1:]],
        "method": "classical",
    }


@pytest.fixture(scope="module")
def g7(served) -> dict:
    """The demo network; created over REST (same names) when this server does not seed it, before the tab
    opens, as a seed would be (the tab then sees it in its first REST fetch)."""
    with served.api() as http:
        found = next((n for n in http.get("/networks").json()["items"] if n["name"] == DEMO_NETWORK), None)
        if found is None:
            ids = []
            for index, fields in enumerate(g7_receiver_fields()):
                body = {k: fields[k] for k in ("kind", "lat", "lon", "alt_m", "capabilities", "timing", "noise_figure_db")}
                ids.append(http.post("/receivers", json={**body, "name": f"G7 rx{index}"}).json()["id"])
            found = http.post("/networks", json={"name": DEMO_NETWORK, "receiver_ids": ids}).json()
            found["seeded_by"] = "test"
    return found


@pytest.fixture(scope="module")
def tab(g7, browser_tab):
    """The tab, opened once the demo network exists."""
    return browser_tab


@pytest.fixture(scope="module")
def state() -> dict:
    """What one step leaves for the next (ids of the dataset, job, model)."""
    return {}


def test_map_shows_the_demo_network_with_its_expected_accuracy(tab, g7) -> None:
    page = tab.page
    tab.goto("map")
    page.get_by_role("option", name=DEMO_NETWORK).wait_for(state="attached")
    default_network = page.locator("select").first.evaluate("s => s.options[s.selectedIndex]?.text ?? ''")
    page.locator("select").first.select_option(label=DEMO_NETWORK)
    _wait(tab, lambda: page.locator(".map-canvas .map-receiver").count() == 7, "7 receivers on the map")
    page.get_by_text("Expected RMS error").wait_for()
    page.locator(".map-canvas[data-base-ready=offline]").wait_for()  # the bundled basemap drawn
    assert page.locator(".map-canvas[data-heat]").count() == 1  # the expected-accuracy heat map
    tab.screenshot("01-map")
    _record_map_render_time(page, selected_by_default=default_network == DEMO_NETWORK)


def _record_map_render_time(page, *, selected_by_default: bool) -> None:
    """Navigation start -> base layer and all 7 receivers drawn (measured, not asserted: docs/benchmarks.md)."""
    marks = page.evaluate("() => window.__heimdallMapTiming")
    navigation = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                               " return n ? {dom_content_loaded_ms: n.domContentLoadedEventEnd, load_ms: n.loadEventEnd}"
                               " : {}; }")
    assert marks["land_ms"] is not None and "7" in marks["receivers_ms"], marks
    result = {
        "basemap_ms": round(marks["land_ms"], 1),
        "receivers_ms": round(marks["receivers_ms"]["7"], 1),
        "map_drawn_ms": round(max(marks["land_ms"], marks["receivers_ms"]["7"]), 1),
        "detail_ms": round(marks["detail_ms"], 1) if marks.get("detail_ms") is not None else None,
        "demo_network_selected_by_default": selected_by_default,
        **{k: round(v, 1) for k, v in navigation.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "map-render-time.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"map render time: {result}")


def test_receiver_form_shows_the_servers_error_beside_the_field(tab, g7) -> None:
    page = tab.page
    tab.goto("receivers")
    form = page.get_by_role("form", name="New receiver")
    page.get_by_text("Add a receiver").click()
    tab.recorder.allow_console(EXPECTED_4XX)
    form.get_by_label("Name").fill(g7["receivers"][0]["name"])  # only the server knows the name is taken: 409 naming `name`
    form.get_by_label("Latitude (°)").fill("45.3")
    form.get_by_label("Longitude (°)").fill("7.9")
    form.get_by_role("button", name="Add receiver").click()
    error = page.locator("#field-name-error")
    error.wait_for()
    assert "already exists" in error.inner_text()
    assert form.get_by_label("Name").get_attribute("aria-invalid") == "true"
    tab.screenshot("02-receiver-error")
    form.get_by_label("Name").fill("e2e kiwi")
    form.get_by_role("button", name="Add receiver").click()
    page.get_by_role("cell", name="e2e kiwi", exact=True).wait_for()
    assert _api_json(tab, "GET", "/receivers", params={"limit": 100})["total"] == 8
    tab.screenshot("03-receivers")


def _drawn_ellipses(tab) -> list[int]:
    """Confidences (%) of the result's ellipses the map renders, zoomed in on the fix (at the page's
    zoom a 100 m ellipse is below a pixel and rightly not drawn)."""
    position = tab.page.get_by_role("region", name="result").locator("dt:has-text('Position') + dd")
    lat, lon = float(position.get_attribute("data-lat")), float(position.get_attribute("data-lon"))
    return tab.page.evaluate(
        f"""([lon, lat]) => new Promise((resolve) => {{
            const map = {tab.map_instance('.localize-map .map-canvas')};
            map.jumpTo({{ center: [lon, lat], zoom: 15 }});
            map.triggerRepaint();
            map.once('idle', () => resolve(map.queryRenderedFeatures({{ layers: ['result-outline'] }})
              .map(f => f.properties.confidence)));
        }})""", [lon, lat])


def _result_position(result) -> tuple[float, float]:
    position = result.locator("dt:has-text('Position') + dd")
    return float(position.get_attribute("data-lat")), float(position.get_attribute("data-lon"))


def test_localize_a_pasted_measurement_set_shows_the_result_with_ellipses(tab, g7) -> None:
    page = tab.page
    receivers = g7["receivers"]
    tab.goto("localize")
    page.get_by_role("tab", name="Advanced (JSON)").click()
    page.get_by_label("Measurement set (JSON)").fill(json.dumps(_tdoa_measurement_set(receivers, TRUTH)))
    page.get_by_role("form", name="Measurement set").get_by_role("button", name="Locate").click()
    result = page.get_by_role("region", name="result")
    result.wait_for()
    assert result.locator("dt", has_text="68 % region").count() == 1 and result.locator("dt", has_text="95 % region").count() == 1
    _wait(tab, lambda: sorted(set(_drawn_ellipses(tab))) == [68, 95], "both ellipses drawn on the map")
    lat, lon = _result_position(result)
    assert math.hypot((lat - TRUTH[0]) * 111_000, (lon - TRUTH[1]) * 78_600) < 200.0  # noise-free TDoA
    tab.screenshot("04-localize")


def test_dataset_form_is_accepted_by_the_server(tab, g7) -> None:
    page = tab.page
    tab.goto("datasets")
    form = page.get_by_role("form", name="Generate dataset")
    form.get_by_label("Name").fill("e2e form")
    form.get_by_label("Network").select_option(label=DEMO_NETWORK)
    form.get_by_label("Samples").fill("50")
    tab.recorder.allow_console(EXPECTED_4XX)
    form.get_by_role("button", name="Generate").click()
    page.wait_for_timeout(1500)
    errors = [e.inner_text() for e in form.locator("[role=alert]").all()]
    assert not errors, f"the server refused the form: {errors}"


def test_dataset_generation_shows_live_progress(tab, g7, state) -> None:
    page = tab.page
    tab.goto("datasets")
    created = _api_json(tab, "POST", "/datasets", json={
        "name": "e2e small", "network_id": g7["id"], "num_samples": DATASET_SAMPLES, "seed": 7, "realism": "ideal",
        "transmitters": {"signal_types": {"nbfm_voice": 1.0}}})
    job_id = state["dataset_job"] = created["job"]["id"]
    state["dataset_id"] = created["dataset"]["id"]
    card = page.locator("li.card", has_text="e2e small")
    card.wait_for()
    shown: set[str] = set()

    def finished() -> bool:
        status = card.locator(".status").first
        if status.count():
            shown.add(status.inner_text())
        return "completed" in shown

    _wait(tab, finished, "the dataset job to complete on its card", timeout_s=120)
    progress = [f for f in tab.recorder.frames("job.progress") if f["topic"] == f"job:{job_id}"]
    assert progress, "no job.progress event reached the tab while the dataset was generated"
    assert shown & {"queued", "running"}, f"the card never showed the job live: {shown}"
    card.get_by_text(f"{DATASET_SAMPLES:,} samples").wait_for()
    tab.screenshot("05-datasets")


def _points(tab) -> int:
    chart = tab.page.locator("[data-testid^=chart-]").first
    value = chart.get_attribute("data-points") if chart.count() else None
    return int(value or 0)


def _indicator(tab) -> str:
    return tab.page.locator("header .conn").inner_text().strip()


def _job_status(tab) -> str:
    return tab.page.locator("section.card h2 .status").inner_text()


def test_training_streams_metrics_and_survives_pause_resume_and_a_server_restart(tab, state) -> None:
    page = tab.page
    tab.goto("training")
    page.locator("summary", has_text="Start training").click()
    form = page.get_by_role("form", name="Start training")
    form.get_by_label("Model name").fill("e2e model")
    form.get_by_label("e2e small").check()
    form.get_by_label("Epochs").fill(str(EPOCHS))
    form.get_by_label("Batch size").fill("64")
    form.get_by_label("Seed").fill("1")
    form.get_by_role("button", name="Start training").click()
    _wait(tab, lambda: page.url.rsplit("/", 1)[-1] if "#/training/" in page.url else None, "the job's page")
    job_id = state["training_job"] = page.url.rsplit("/", 1)[-1]
    seen: set[int] = set()

    def points() -> int:
        seen.add(_points(tab))
        return max(seen)

    _wait(tab, lambda: points() >= 2, "two epochs on the charts", timeout_s=120)
    tab.screenshot("06-training-running")

    page.locator("section.card").get_by_role("button", name="Pause").click()
    _wait(tab, lambda: _job_status(tab) == "paused", "paused", timeout_s=60)
    paused_at = _points(tab)
    page.wait_for_timeout(1500)
    assert _points(tab) == paused_at, "a paused job kept producing epochs"
    page.locator("section.card").get_by_role("button", name="Resume").click()
    _wait(tab, lambda: points() > paused_at, "an epoch after resume", timeout_s=120)

    # Ctrl-C the server mid-training, start it again on the same port and data dir.
    _wait(tab, lambda: _job_status(tab) == "running", "running again after resume", timeout_s=60)
    tab.recorder.allow_console(r"WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|net::ERR_")
    assert tab.serve.stop() == 0
    _wait(tab, lambda: _indicator(tab) != "Live", "the indicator to leave Live", timeout_s=30)
    tab.serve.start()
    _wait(tab, lambda: _indicator(tab) == "Live", "the tab to reconnect", timeout_s=60)
    resumed = tab.recorder.established(lifetime=2)
    assert len(resumed) == 1
    # Resumed with `after`: never beyond the last id the first socket delivered (nothing skipped).
    last_seen = max(m["id"] for s in tab.recorder.established(1) for m in s.received
                    if isinstance(m, dict) and m.get("id") is not None)
    afters = [m.get("after") for m in tab.recorder.subscriptions(resumed[0]) if m.get("after") is not None]
    assert afters and all(1 <= after <= last_seen for after in afters), f"resume cursors {afters}, last {last_seen}"

    _wait(tab, lambda: points() and _job_status(tab) == "completed", "the job to complete after the restart",
          timeout_s=180)
    metrics = _api_json(tab, "GET", f"/jobs/{job_id}/metrics")
    rows = metrics["items"] if isinstance(metrics, dict) else metrics
    epochs = [row["epoch"] for row in rows]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) >= 2
    _wait(tab, lambda: _points(tab) == len(epochs), f"{len(epochs)} points on every chart", timeout_s=20)
    charts = page.locator("[data-testid^=chart-]")
    assert {charts.nth(i).get_attribute("data-points") for i in range(charts.count())} == {str(len(epochs))}
    assert page.get_by_text(f"epoch {epochs[-1]}", exact=True).count() == 1
    # The charts grew epoch by epoch (several sizes seen on the way), never past the epochs that exist.
    assert len(seen - {0}) >= 3 and max(seen) == len(epochs), sorted(seen)
    tab.screenshot("07-training-completed")


def test_deploy_the_trained_model(tab, state) -> None:
    page = tab.page
    tab.goto("models")
    row = page.locator("tr", has_text="e2e model")
    row.wait_for()
    row.get_by_role("button", name="Deploy").click()
    row.get_by_text("deployed", exact=True).wait_for()
    models = _api_json(tab, "GET", "/models")["items"]
    state["model"] = next(m for m in models if m["name"] == "e2e model")
    assert state["model"]["deployed"] is True
    tab.screenshot("08-models")


def test_locate_with_the_neural_method(tab, state) -> None:
    page = tab.page
    samples = _api_json(tab, "GET", f"/datasets/{state['dataset_id']}/samples", params={"offset": 0, "limit": 1})
    document = {**samples["items"][0]["measurement_set"], "method": "neural"}
    tab.goto("localize")
    page.get_by_role("tab", name="Advanced (JSON)").click()
    page.get_by_label("Measurement set (JSON)").fill(json.dumps(document))
    page.get_by_role("form", name="Measurement set").get_by_role("button", name="Locate").click()
    result = page.get_by_role("region", name="result")
    _wait(tab, lambda: "neural" in (result.locator("dt:has-text('Method') + dd").inner_text() if result.count() else "")
          or page.locator("#field-measurement_set-error, .form-error").count(), "a neural result or an error")
    errors = [e.inner_text() for e in page.locator("#field-measurement_set-error, .form-error").all()]
    assert not errors, f"neural localization refused: {errors}"
    assert "neural" in result.locator("dt:has-text('Method') + dd").inner_text()
    _wait(tab, lambda: 95 in _drawn_ellipses(tab), "the 95 % ellipse drawn on the map")
    tab.screenshot("09-localize-neural")


def test_one_socket_per_lifetime_every_frame_an_envelope_and_a_clean_console(tab) -> None:
    recorder = tab.recorder
    assert recorder.sockets, "the tab never opened /ws"
    assert all(s.url.endswith("/ws") for s in recorder.sockets)
    per_lifetime = [len(recorder.established(n)) for n in range(1, tab.serve.lifetimes + 1)]
    assert all(count == 1 for count in per_lifetime), f"sockets per server lifetime: {per_lifetime}"
    assert not recorder.overlaps, recorder.overlaps
    assert not recorder.bad_frames, recorder.bad_frames[:5]
    assert len(recorder.frames("connected")) == len(recorder.established())
    assert not recorder.unexpected_console(), recorder.unexpected_console()
    # The first cursor (docs/frontend.md): the first socket's first subscribe already carries `after`,
    # the `last_id` of its `connected`, so nothing logged before the subscription is skipped.
    first = recorder.established(1)[0]
    connected = next(m for m in first.received if isinstance(m, dict) and m.get("event") == "connected")
    assert isinstance(connected["data"].get("last_id"), int), connected
    first_subscribe = recorder.subscriptions(first)[0]
    assert first_subscribe.get("after") == connected["data"]["last_id"], (first_subscribe, connected)
