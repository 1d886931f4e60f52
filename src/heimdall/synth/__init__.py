"""The scenario simulator: seeded, versioned dataset configs -> samples of measurement sets with
their truth, streamed in batches and written as shards.

Public API (stable):

- ``load_config(dict | path) -> DatasetConfig`` (InvalidInput naming the field on impossible configs)
- ``generate(config, start_index=0, count=None, *, batch_size=4096) -> Iterator[SampleBatch]``
- ``write_shard(batch) -> bytes`` / ``read_shard(bytes) -> SampleBatch`` (Arrow IPC);
  ``write_iq_shard`` / ``read_iq_shard`` (NPZ) for IQ-level datasets
- ``ShardRef`` / ``read_verified_shard(bytes, ref)`` / ``ShardReader(fetch)``: stored shards read back
  with their sha256, schema and sample ids checked (``CorruptShard`` otherwise)
- ``validate_samples(batch) -> dict``; ``dataset_statistics(batches) -> dict``
- ``SampleBatch.to_dicts()`` -> the per-sample dicts; ``SampleBatch.measurement_columns()`` -> the
  measurement sets as ``MeasurementColumns`` (what training reads); ``networks.g7()`` -> the demo receivers
"""

from heimdall.synth.batch import SampleBatch, concatenate
from heimdall.synth.config import SCHEMA_VERSION, DatasetConfig, ReceiverSpec, load_config
from heimdall.synth.generate import generate
from heimdall.synth.networks import g7
from heimdall.synth.shards import (
    ShardReader,
    ShardRef,
    read_iq_shard,
    read_shard,
    read_verified_shard,
    write_iq_shard,
    write_shard,
)
from heimdall.synth.validate import dataset_statistics, validate_samples

__all__ = [
    "SCHEMA_VERSION",
    "DatasetConfig",
    "ReceiverSpec",
    "SampleBatch",
    "ShardReader",
    "ShardRef",
    "concatenate",
    "dataset_statistics",
    "g7",
    "generate",
    "load_config",
    "read_iq_shard",
    "read_shard",
    "read_verified_shard",
    "validate_samples",
    "write_iq_shard",
    "write_shard",
]
