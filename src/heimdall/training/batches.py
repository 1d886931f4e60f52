"""The batches training reads, streamed shard by shard: memory is bounded by a window, not the dataset.

``DataPlan`` splits every shard of a ``SampleSource`` into training and validation rows (from the
refs alone) and streams feature batches:

- An epoch (seeded by (seed, epoch)) reads the shards in a shuffled order, grouped into windows of
  consecutive shards that hold at least ``shuffle_buffer_samples`` training samples; each window's
  samples are shuffled (seeded by (seed, epoch, window)); batches are consecutive runs of
  ``batch_size`` samples of that stream (a batch may span two windows; only the epoch's last one is
  short, so an epoch has ceil(n_train / batch_size) batches). A position (epoch, batch) fixes
  everything: a resumed run reads from the window that holds its next batch and continues with the
  very batches an uninterrupted run gets. A dataset smaller than the buffer is one window: a full
  shuffle, as if it were in memory.
- Validation reads every shard's validation rows in order, in batches of ``eval_batch_size``.

Features are built per shard, vectorised over its columns (``heimdall.nn.features``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InsufficientData, InvalidInput, NoModelAvailable
from heimdall.nn.features import FEATURE_CHANNELS, build_features, targets_en_m
from heimdall.nn.layout import MODALITIES, ReceiverLayout, layout_from_receivers
from heimdall.nn.normalization import FeatureNormalization, NormalizationFit
from heimdall.training.data import LabelledColumns, SampleSource, validation_rows


@dataclass(frozen=True, eq=False)
class FeatureBatch:
    features: NDArray[np.float32]  # (N, R, C) raw features
    targets_en_m: NDArray[np.float64]  # (N, 2) east/north of the truth about the layout centre
    gdop: NDArray[np.float64]  # (N,), NaN: unknown
    snr_db: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.features.shape[0])

    def take(self, rows: NDArray[np.intp] | slice) -> FeatureBatch:
        return FeatureBatch(self.features[rows], self.targets_en_m[rows], self.gdop[rows], self.snr_db[rows])


def concatenate_batches(parts: list[FeatureBatch]) -> FeatureBatch:
    if len(parts) == 1:
        return parts[0]
    return FeatureBatch(*(np.concatenate([getattr(p, name) for p in parts])
                          for name in ("features", "targets_en_m", "gdop", "snr_db")))


def featurize(data: LabelledColumns, layout: ReceiverLayout) -> FeatureBatch:
    return FeatureBatch(build_features(data.measurements, layout),
                        targets_en_m(data.truth_lat_deg, data.truth_lon_deg, data.truth_alt_m, layout),
                        data.gdop, data.snr_db)


class DataPlan:
    """Which rows of which shard train and validate, and the batches made of them (module docstring)."""

    def __init__(self, source: SampleSource, *, seed: int, val_fraction: float, shuffle_buffer_samples: int) -> None:
        self.source = source
        self.seed = seed
        self.val_fraction = val_fraction
        self.shuffle_buffer_samples = shuffle_buffer_samples
        # Counts only: a shard's rows are hashed again when it is read, so the plan holds O(shards).
        val_counts = [int(validation_rows(ref, seed, val_fraction).sum()) for ref in source.refs]
        self.train_counts = np.array([ref.count - v for ref, v in zip(source.refs, val_counts, strict=True)])
        self.n_train = int(self.train_counts.sum())
        self.n_val = int(sum(val_counts))
        if not self.n_train or not self.n_val:
            raise InsufficientData(f"{self.n_train + self.n_val} samples leave an empty train or validation split")

    def batches_per_epoch(self, batch_size: int) -> int:
        return math.ceil(self.n_train / batch_size)

    def rows(self, index: int, *, validation: bool) -> NDArray[np.intp]:
        """The shard's rows in the training (or validation) split."""
        val = validation_rows(self.source.refs[index], self.seed, self.val_fraction)
        return np.flatnonzero(val if validation else ~val)

    def fit(self, on_shard: Callable[[int, int], None] | None = None) -> tuple[ReceiverLayout, FeatureNormalization]:
        """One pass over every shard: the layout (its receivers, the modalities any sample uses) and the
        training split's normalisation. Every sample's features are built, so bad data fails here."""
        provisional = layout_from_receivers(self.source.receivers(), MODALITIES)
        used: set[str] = set()
        fit = NormalizationFit()
        for index in range(len(self.source.refs)):
            data = self.source.read(index)
            used.update(m for m, n in data.measurements.counts().items() if n.any())
            try:
                batch = featurize(data, provisional)
            except NoModelAvailable as exc:  # the layout is every receiver there is: the shard disagrees
                raise InvalidInput(f"shard {self.source.refs[index].key} does not fit its dataset's receivers: "
                                   f"{exc.message}", field="dataset_ids") from exc
            train = batch.take(self.rows(index, validation=False))
            fit.add(train.features, train.targets_en_m)
            if on_shard is not None:
                on_shard(index + 1, len(self.source.refs))
        layout = layout_from_receivers(provisional.receivers(), used,
                                       position_tolerance_m=provisional.position_tolerance_m)
        return layout, fit.result()

    def epoch_batches(self, layout: ReceiverLayout, epoch: int, batch_size: int,
                      start_batch: int = 0) -> Iterator[FeatureBatch]:
        """The epoch's batches from ``start_batch`` on (see the module docstring)."""
        windows = self._windows(epoch)
        offset = start_batch * batch_size
        first = 0
        while first < len(windows) and offset >= windows[first][1] + windows[first][2]:
            first += 1
        parts = (self._window(layout, epoch, w, shards, skip=offset - start if w == first else 0)
                 for w, (shards, start, _) in enumerate(windows) if w >= first)
        return rebatch(parts, batch_size)

    def validation_batches(self, layout: ReceiverLayout, batch_size: int) -> Iterator[FeatureBatch]:
        parts = ((featurize(self.source.read(i).take(self.rows(i, validation=True)), layout), None)
                 for i, count in enumerate(self.train_counts) if count < self.source.refs[i].count)
        return rebatch(parts, batch_size)

    def _windows(self, epoch: int) -> list[tuple[list[int], int, int]]:
        """(shard indices, first sample's position in the epoch, training samples) per window."""
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.train_counts))
        windows: list[tuple[list[int], int, int]] = []
        shards: list[int] = []
        start = held = 0
        for index in order.tolist():
            shards.append(index)
            held += int(self.train_counts[index])
            if held >= self.shuffle_buffer_samples:
                windows.append((shards, start, held))
                shards, start, held = [], start + held, 0
        if shards:
            windows.append((shards, start, held))
        return windows

    def _window(self, layout: ReceiverLayout, epoch: int, w: int, shards: list[int],
                *, skip: int) -> tuple[FeatureBatch, NDArray[np.intp]]:
        """A window's training samples and the order to read them in (its shuffle, less ``skip``)."""
        parts = [featurize(self.source.read(i).take(self.rows(i, validation=False)), layout)
                 for i in shards if self.train_counts[i]]
        if not parts:
            return _empty(layout), np.zeros(0, dtype=np.intp)
        window = concatenate_batches(parts)
        order = np.random.default_rng([self.seed, epoch, w]).permutation(len(window))
        return window, order[skip:]


def _empty(layout: ReceiverLayout) -> FeatureBatch:
    return FeatureBatch(np.zeros((0, layout.max_receivers, len(FEATURE_CHANNELS)), np.float32), np.zeros((0, 2)),
                        np.zeros(0), np.zeros(0))


def rebatch(parts: Iterable[tuple[FeatureBatch, NDArray[np.intp] | None]], batch_size: int) -> Iterator[FeatureBatch]:
    """Consecutive runs of ``batch_size`` samples across the parts, each part read in its order (None:
    as it is); the last run may be short. Every sample is copied once, into its batch."""
    pending: list[FeatureBatch] = []
    held = 0
    for part, order in parts:
        count = len(part) if order is None else order.size
        position = 0
        while position < count:
            rows = slice(position, position + batch_size - held)
            piece = part.take(rows if order is None else order[rows])
            pending.append(piece)
            held += len(piece)
            position += len(piece)
            if held == batch_size:
                yield concatenate_batches(pending)
                pending, held = [], 0
    if pending:
        yield concatenate_batches(pending)
