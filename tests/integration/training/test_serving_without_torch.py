"""The serving path never imports torch: a fresh process builds the app (importing the training job
module, as every API process does), answers POST /localize with method "neural" from the deployed
model, and still has no torch in sys.modules."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SERVE_AND_LOCALIZE = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from fastapi.testclient import TestClient
    from heimdall.api.app import create_app
    from heimdall.api.services import Services
    from heimdall.events.log import EventLog
    from heimdall.events.publisher import Publisher
    from heimdall.jobs.kinds import training  # noqa: F401  (the API imports its job modules)
    from heimdall.services.model_serving import ModelServing
    from heimdall.services.models import ModelRegistry
    from heimdall.settings import Settings
    from heimdall.store.blob import LocalBlobStore
    from heimdall.store.db import make_engine, make_session_factory

    data_dir, ms = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    settings = Settings(data_dir=data_dir)
    sessions = make_session_factory(make_engine(settings.resolved_database_url))
    publish = Publisher(EventLog(sessions))
    registry = ModelRegistry(sessions, LocalBlobStore(data_dir / "blobs"), publish)
    services = Services(settings=settings, session_factory=sessions, publish=publish,
                        extra={"models": registry, "method_resolver": ModelServing(registry)})
    with TestClient(create_app(settings, services=services, static_dir=None)) as client:
        response = client.post("/api/v1/localize", json={**ms, "method": "neural"})
    print(json.dumps({"status": response.status_code, "body": response.json(), "torch": "torch" in sys.modules}))
""")


def test_localize_neural_in_a_fresh_process_never_imports_torch(platform, tiny, tmp_path):
    dataset_id = platform.dataset()
    job = platform.training.start({"name": "served", "dataset_ids": [dataset_id], **tiny})
    platform.registry.deploy(job["result"]["model_id"])
    ms_path = tmp_path / "ms.json"
    ms_path.write_text(json.dumps(platform.sample_sets(dataset_id, 1)[0]))
    script = tmp_path / "serve.py"
    script.write_text(SERVE_AND_LOCALIZE)
    done = subprocess.run([sys.executable, str(script), str(platform.settings.data_dir), str(ms_path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == 200, report["body"]
    assert report["body"]["method"].startswith("neural")
    assert report["body"]["registered_model"]["id"] == job["result"]["model_id"]
    assert report["torch"] is False
