"""The data-path benchmark stays runnable: a small dataset, the streamed path in its own process."""

from __future__ import annotations

import json

import pytest

from heimdall.training.bench_data import main


@pytest.mark.slow
def test_a_small_data_path_run_reports_rates_and_memory_and_cleans_up(tmp_path, capsys):
    where = tmp_path / "data"
    main(["--samples", "9000", "--no-train", "--json", "--dir", str(where)])
    report = json.loads(capsys.readouterr().out)
    path = report["datapath"]
    assert report["samples"] == path["samples"] == 9000 and report["dataset_bytes"] > 9000 * 400
    assert 0 < path["train_samples"] < 9000 and path["fit_pass_samples_per_cpu_s"] > 0
    assert path["peak_rss_mib"] > 50
    assert not where.exists()  # the dataset is deleted unless --keep
