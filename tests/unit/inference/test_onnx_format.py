"""The one definition of the ONNX file: what the exporter writes is what the predictor reads."""

from __future__ import annotations

import json
import math

import pytest

from heimdall.errors import InvalidInput
from heimdall.nn.features import FEATURE_CHANNELS
from heimdall.nn.onnx_format import (
    INPUT_NAME,
    ONNX_KIND,
    OUTPUT_NAMES,
    input_shape,
    metadata_props,
    read_metadata,
)

LAYOUT = {"receivers": [{"id": "rx0", "lat": 45.0, "lon": 7.5, "alt_m": 0.0}],
          "centre": {"lat": 45.0, "lon": 7.5, "alt_m": 0.0}, "modalities": ["rss"], "position_tolerance_m": 100.0}


def _props(**changes):
    props = metadata_props(layout=LAYOUT, normalization={"length_scale_m": 1.0}, training_config={"seed": 1},
                           best_epoch=3, metrics={"median_error_m": 12.5, "coverage_68": math.nan})
    return {**props, **changes}


def test_written_metadata_reads_back():
    props = _props()
    assert props["heimdall.kind"] == ONNX_KIND and json.loads(props["heimdall.schema_version"]) == 1
    meta = read_metadata(props)
    assert meta["layout"] == LAYOUT and meta["best_epoch"] == 3 and meta["schema_version"] == 1
    assert meta["metrics"] == {"median_error_m": 12.5, "coverage_68": None}  # JSON has no NaN
    assert tuple(meta["feature_channels"]) == FEATURE_CHANNELS and "kind" not in meta
    assert input_shape(7) == ("batch", 7, len(FEATURE_CHANNELS))
    assert INPUT_NAME == "features" and OUTPUT_NAMES[:2] == ("mean_en_m", "covariance_en_m2")


@pytest.mark.parametrize(("change", "words"), [
    ({"heimdall.kind": "something.else"}, "not a Heimdall"),
    ({"heimdall.schema_version": "7"}, "schema_version 7"),
    ({"heimdall.feature_channels": json.dumps(["present"])}, "other feature channels"),
    ({"heimdall.layout": "{not json"}, "not JSON"),
    ({"heimdall.layout": "null"}, "receiver layout"),
])
def test_metadata_of_another_kind_version_or_shape_is_refused(change, words):
    with pytest.raises(InvalidInput, match=words):
        read_metadata(_props(**change))
