"""A property-based fuzzer over the OpenAPI document (schemathesis + hypothesis): every operation gets
valid and invalid requests generated from its schema, and valid ones naming existing resources; no
answer may be a server error (5xx), a status the document does not declare for that operation, or a
body or content type other than the one it declares, and no request violating the schema may be
accepted (issue 9, "Done when").

The server is the real platform (migrated SQLite in a temporary folder, blob store, job engine with
no worker: created jobs stay queued, so job-starting POSTs cost nothing) on a real uvicorn in this
process. Examples are derandomized (the same requests on every run) and bounded: under a minute on
one core (40 per operation, fewer for the costly ones below). ``HEIMDALL_FUZZ_EXAMPLES=200`` widens the search for a local hunt (docs/resources.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from heimdall.api.openapi_export import openapi_document
from support.platform import serving

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("HEIMDALL_FUZZ_EXAMPLES", "40"))
# Operations whose every request does real work (an estimator, a simulator grid, a zip check), and
# the job-starting ones (each accepted request leaves a queued job and its rows behind).
COSTLY = {"localize": 6, "localize_recordings": 6, "expected_accuracy": 6, "import_model": 8,
          "sample_spectrogram": 8, "create_job": 10, "create_dataset": 10, "expand_dataset": 10,
          "create_training_job": 10}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


MEASUREMENT_SET = {
    "frequency_hz": 145_500_000,
    "receivers": [{"id": "a", "lat": 45.0, "lon": 7.5, "alt_m": 0.0}, {"id": "b", "lat": 45.2, "lon": 7.6, "alt_m": 0.0},
                  {"id": "c", "lat": 45.1, "lon": 7.8, "alt_m": 0.0}],
    "tdoa": [{"receiver": "b", "reference": "a", "tdoa_s": 1e-5, "sigma_s": 1e-7},
             {"receiver": "c", "reference": "a", "tdoa_s": -2e-5, "sigma_s": 1e-7}],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    from heimdall.platform.root import build_platform
    from support.platform import platform_settings

    data_dir = tmp_path_factory.mktemp("fuzz")
    # No health poller: receivers the fuzzer creates from generated URLs are never polled in the background.
    platform = build_platform(platform_settings(data_dir, local_workers=0, demo_network=True,
                                                receiver_health_interval_s=0,
                                                job_modules=["heimdall.services.counting_job"]))
    try:
        with serving(platform) as running:
            _seed(running.http_url)
            yield running.http_url
    finally:
        platform.close()


def _seed(url: str) -> None:
    """One resource of each kind the routes name by id, so generated requests also reach real ones."""
    api = f"{url}/api/v1"
    network = requests.get(f"{api}/networks", timeout=60).json()["items"][0]
    for method, path, body in (("post", "/jobs", {"kind": "test.count"}), ("post", "/localize", MEASUREMENT_SET),
                               ("post", "/datasets", {"name": "fuzz", "network_id": network["id"], "num_samples": 8})):
        response = requests.request(method, f"{api}{path}", json=body, timeout=60)
        assert response.status_code < 300, response.text


def _known_ids(url: str) -> dict[str, list[str]]:
    """Path parameter -> the ids of the seeded resources (read again: fuzzing deletes some)."""
    api, ids = f"{url}/api/v1", {}
    for name, collection in (("receiver_id", "receivers"), ("network_id", "networks"), ("job_id", "jobs"),
                             ("dataset_id", "datasets"), ("localization_id", "localizations"), ("model_id", "models")):
        ids[name] = [item["id"] for item in requests.get(f"{api}/{collection}", timeout=60).json()["items"]]
    return ids


def _real_paths(operation: Any, known: dict[str, list[str]]) -> st.SearchStrategy[Any] | None:
    """Valid requests whose path parameters are ids of existing resources (None: nothing to name)."""
    names = [p["name"] for p in operation.definition.raw.get("parameters", []) if p["in"] == "path"]
    if not names or not all(known.get(name) for name in names):
        return None
    choices = st.fixed_dictionaries({name: st.sampled_from(known[name]) for name in names})
    return choices.flatmap(lambda path: operation.as_strategy(schemathesis.GenerationMode.POSITIVE,
                                                              path_parameters=path))


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_dict(openapi_document())
    return [result.ok() for result in schema.get_all_operations()]


OPERATIONS = _operations()


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.definition.raw["operationId"] for op in OPERATIONS])
def test_no_server_error_and_no_undeclared_status(server: str, operation: Any) -> None:
    session = requests.Session()
    examples = min(COSTLY.get(operation.definition.raw["operationId"], EXAMPLES), EXAMPLES)
    strategies = [operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
                  operation.as_strategy(schemathesis.GenerationMode.NEGATIVE)]
    real = _real_paths(operation, _known_ids(server))
    modes = st.one_of(*strategies, *([real, real] if real is not None else []))

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True, print_blob=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=modes)
    def fuzz(case: Any) -> None:
        response = case.call(base_url=f"{server}", session=session, timeout=60)
        case.validate_response(response, checks=CHECKS)

    fuzz()


