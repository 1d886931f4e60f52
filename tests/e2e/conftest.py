"""End-to-end fixtures: a real ``heimdall serve`` subprocess and a real headless Chromium.

``served`` is one server (free 127.0.0.1 port, temporary ``--data-dir``) that a test may stop and
start again on the same port and data dir; ``browser_tab`` is one browser tab on it whose WebSockets, frames
and console messages are recorded (``TabRecorder``) so that tests can assert the protocol rules of
CONTRACT section 3 over the whole scenario. ``browser_tab`` opens the app at ``#/map``. Both are module-scoped: the scenario's steps share them.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from heimdall.api.server import free_port

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
DIST_INDEX = FRONTEND / "dist" / "index.html"
SCREENSHOTS = ROOT / "test-results" / "screenshots"
CHROMIUM = Path(os.environ.get("HEIMDALL_E2E_CHROMIUM", "/usr/bin/chromium"))
# WebGL (the map) through SwiftShader in the GPU process. With --disable-gpu instead, Chromium
# composites a WebGL canvas by reading it back and logs "GPU stall due to ReadPixels" warnings.
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 40.0
ENVELOPE_KEYS = {"id", "event", "topic", "timestamp", "data"}


def _unavailable(reason: str) -> None:
    """Skip locally; under CI a missing prerequisite is a failure, not a silent skip."""
    if os.environ.get("CI"):
        pytest.fail(f"e2e prerequisites missing under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def web_app_dist() -> Path:
    """``frontend/dist``, built with ``npm run build`` when it is missing."""
    if not DIST_INDEX.is_file():
        if shutil.which("npm") is None or not (FRONTEND / "node_modules").is_dir():
            _unavailable("frontend/dist is not built and npm/node_modules are missing (run `npm ci` in frontend/)")
        subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True, capture_output=True, timeout=600)
    return DIST_INDEX.parent


class ServeProcess:
    """``heimdall serve --port P --data-dir D`` as a subprocess; stop() is Ctrl-C (SIGINT), then start() again."""

    def __init__(self, data_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.lifetimes = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=f"{self.url}/api/v1", timeout=30)

    def start(self) -> ServeProcess:
        # Embedded everything, as a fresh install: no outside database, bus or blob store.
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEIMDALL_")}
        env["HEIMDALL_LOG_LEVEL"] = "WARNING"
        # Authentication off (loopback only): the scenario drives the app, not the sign-in (tests/integration/security).
        env["HEIMDALL_AUTH_ENABLED"] = "false"
        command = [sys.executable, "-c", "from heimdall.cli import main; main()", "serve",
                   "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        log = self.log_path.open("a")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.lifetimes += 1
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"heimdall serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"heimdall serve did not answer within {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self) -> int:
        """Graceful stop (what Ctrl-C does); returns the exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"heimdall serve ignored SIGINT for {STOP_TIMEOUT_S} s:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class SocketRecord:
    url: str
    lifetime: int  # which server start it was opened against
    opened_at: float
    closed_at: float | None = None
    received: list[Any] = field(default_factory=list)
    sent: list[Any] = field(default_factory=list)


@dataclass
class TabRecorder:
    """Everything the tab did that the protocol rules talk about."""

    serve: ServeProcess
    sockets: list[SocketRecord] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    bad_frames: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    # Console errors a step provokes on purpose (a 4xx the form shows, the socket failing while the
    # server is down), as regexes; anything else is a failure.
    allowed_console: list[re.Pattern[str]] = field(default_factory=list)

    def on_websocket(self, ws) -> None:
        record = SocketRecord(ws.url, self.serve.lifetimes, time.monotonic())
        still_open = [s for s in self.sockets if s.closed_at is None]
        if still_open:
            self.overlaps.append(f"{ws.url} opened while {len(still_open)} socket(s) were still open")
        self.sockets.append(record)
        ws.on("framereceived", lambda payload: self._received(record, payload))
        ws.on("framesent", lambda payload: record.sent.append(_json_or_raw(payload)))
        ws.on("close", lambda _ws: setattr(record, "closed_at", time.monotonic()))

    def _received(self, record: SocketRecord, payload: str | bytes) -> None:
        message = _json_or_raw(payload)
        if not isinstance(message, dict) or not set(message) >= ENVELOPE_KEYS:
            self.bad_frames.append(str(payload)[:200])
        record.received.append(message)

    def on_console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error) -> None:
        self.console.append(f"pageerror: {error}")

    def allow_console(self, pattern: str) -> None:
        self.allowed_console.append(re.compile(pattern))

    def unexpected_console(self) -> list[str]:
        return [line for line in self.console if not any(p.search(line) for p in self.allowed_console)]

    def frames(self, event: str | None = None) -> list[dict]:
        every = [m for s in self.sockets for m in s.received if isinstance(m, dict)]
        return [m for m in every if event is None or m.get("event") == event]

    def established(self, lifetime: int | None = None) -> list[SocketRecord]:
        """Sockets the server accepted (they got `connected`); attempts refused while it was down are not."""
        return [s for s in self.sockets if (lifetime is None or s.lifetime == lifetime)
                and any(isinstance(m, dict) and m.get("event") == "connected" for m in s.received)]

    def subscriptions(self, record: SocketRecord) -> list[dict]:
        return [m for m in record.sent if isinstance(m, dict) and m.get("op") == "subscribe"]


def _json_or_raw(payload: str | bytes) -> Any:
    try:
        return json.loads(payload)
    except (TypeError, ValueError):
        return payload


@dataclass
class Tab:
    page: Any
    recorder: TabRecorder
    serve: ServeProcess

    def goto(self, route: str) -> None:
        """Navigate inside the app (hash route): the tab, and its one socket, stay."""
        self.page.evaluate("route => { window.location.hash = route; }", f"#/{route}")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def doc_screenshot(self, page: str) -> Path:
        """docs/screenshots/<page>.png for the README: the viewport, reduced to 256 colours (small files)."""
        from PIL import Image

        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = DOC_SCREENSHOTS / f"{page}.png"
        raw = self.page.screenshot(full_page=False)
        image = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        image.save(path, optimize=True)
        return path

    def axe(self, context: str = "document") -> list[dict]:
        """axe-core's violations of impact serious or critical on the current page (injected from node_modules)."""
        if not self.page.evaluate("() => Boolean(window.axe)"):
            # evaluated through the debugging protocol: the app's CSP (no inline script) rightly refuses a
            # <script> tag, and the test must not weaken that policy to inject its checker
            self.page.evaluate("() => {\n" + AXE.read_text() + "\n}")
        results = self.page.evaluate(
            "async (context) => { const r = await window.axe.run(context === 'document' ? document : context,"
            " {resultTypes: ['violations']}); return r.violations.map(v => ({id: v.id, impact: v.impact,"
            " help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})); }", context)
        return [v for v in results if v["impact"] in ("serious", "critical")]

    def map_instance(self, selector: str = ".map-canvas") -> str:
        """A JS expression for the MapLibre map of the first map on the page (exposed for tests)."""
        return f"document.querySelector('{selector}').heimdallMap"


# Map render time (docs/benchmarks.md, "Web app"): from navigation start (performance.now()'s origin),
# when the base layer is drawn (the map's first `idle` after it was added: every tile or outline
# rendered), when the offline basemap's 1:50m detail is drawn, and when each receiver count is first on the map.
MAP_TIMING_SCRIPT = """
(() => {
  const marks = { land_ms: null, detail_ms: null, receivers_ms: {} };
  window.__heimdallMapTiming = marks;
  const check = () => {
    const map = document.querySelector('.map-canvas');
    if (!map) return;
    const now = performance.now();
    if (marks.land_ms === null && map.dataset.baseReady) marks.land_ms = now;
    if (marks.detail_ms === null && map.dataset.detailReady) marks.detail_ms = now;
    const count = map.querySelectorAll('.map-receiver').length;
    if (count && marks.receivers_ms[count] === undefined) marks.receivers_ms[count] = now;
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true,
                                                   attributeFilter: ['data-base-ready', 'data-detail-ready'] });
})();
"""


@pytest.fixture(scope="module")
def served(web_app_dist, tmp_path_factory):
    directory = tmp_path_factory.mktemp("e2e")
    serve = ServeProcess(directory / "data", directory / "serve.log").start()
    try:
        yield serve
    finally:
        serve.stop()


@pytest.fixture(scope="module")
def browser_tab(served):
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (set HEIMDALL_E2E_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    recorder = TabRecorder(served)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        page.on("websocket", recorder.on_websocket)
        page.on("console", recorder.on_console)
        page.on("pageerror", recorder.on_page_error)
        page.add_init_script(MAP_TIMING_SCRIPT)
        page.goto(f"{served.url}/#/map")
        try:
            yield Tab(page, recorder, served)
        finally:
            browser.close()
