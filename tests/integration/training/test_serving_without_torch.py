"""The serving path never imports torch: a fresh process builds the platform and the app (importing the
training job module, as every API process does), answers POST /localize with method "neural" from the
deployed model, and still has no torch in sys.modules."""

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
    from heimdall.platform.root import build_platform  # imports every job module, as every API process does
    from heimdall.settings import Settings

    data_dir, ms = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    settings = Settings(data_dir=data_dir, demo_network=False, local_workers=0)
    with build_platform(settings) as platform:
        with TestClient(create_app(settings, platform=platform, static_dir=None)) as client:
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
