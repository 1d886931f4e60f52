"""Simulator benchmark: ``python -m heimdall.synth.bench [--streamed N] [--json]``.

Measures measurement-level samples/s for G7 (generation plus Arrow shard encoding), IQ-level
samples/s (200 ms at 50 kHz per receiver, measured back with heimdall.rf.measure) in one process
and with ``workers=2`` (pool start-up included), and the peak resident memory of a streamed run of
N samples whose shards are encoded and discarded.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import click

from heimdall.synth import generate, load_config, write_iq_shard, write_shard

G7_CONFIG = Path(__file__).resolve().parents[3] / "configs" / "datasets" / "g7.yaml"


def _config(overrides: dict[str, Any]) -> dict[str, Any]:
    base = load_config(G7_CONFIG).model_dump(mode="json") if G7_CONFIG.exists() else {}
    return {**base, **overrides}


def _rate(config: dict[str, Any], count: int, iq: bool, workers: int = 1) -> float:
    list(generate(config, 0, min(count, 64)))  # warm-up: imports and the scenario cache
    start = time.perf_counter()  # a pool's start-up (~1 s: spawn + imports) is part of its rate
    for batch in generate(config, 10_000_000, count, workers=workers):
        write_iq_shard(batch) if iq else write_shard(batch)
    return count / (time.perf_counter() - start)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@click.command()
@click.option("--samples", default=100_000, show_default=True, help="measurement-level samples to time")
@click.option("--iq-samples", default=100, show_default=True, help="IQ-level samples to time")
@click.option("--streamed", default=200_000, show_default=True, help="samples of the memory run")
@click.option("--json", "as_json", is_flag=True)
def main(samples: int, iq_samples: int, streamed: int, as_json: bool) -> None:
    # The memory run goes first: ru_maxrss is a high-water mark and the IQ run would mask it.
    rss_before = _peak_rss_mib()
    n = 0
    for batch in generate(_config({"num_samples": streamed})):
        write_shard(batch)
        n += len(batch)
    result: dict[str, Any] = {"streamed_samples": n, "peak_rss_mib_before_stream": rss_before,
              "peak_rss_mib_after_stream": _peak_rss_mib()}
    result["measurement_samples_per_s"] = _rate(_config({}), samples, iq=False)
    result["measurement_samples_per_s_by_realism"] = {
        r: _rate(_config({"realism": r}), samples // 4, iq=False) for r in ("ideal", "channel")
    }
    iq_config = _config({"iq": {"enabled": True, "duration_s": 0.2, "sample_rate_hz": 50_000}})
    result["iq_samples_per_s"] = _rate(iq_config, iq_samples, iq=True)
    result["iq_samples_per_s_2_workers"] = _rate(iq_config, iq_samples, iq=True, workers=2)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        click.echo(f"{key}: {value if not isinstance(value, float) else round(value, 1)}")


if __name__ == "__main__":
    main()
