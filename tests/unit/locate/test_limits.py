"""Size limits of a measurement set: one place, checked before any entry is parsed, 422 naming the list."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.bench.scaling import random_document
from heimdall.errors import InvalidInput
from heimdall.locate import parse_measurement_set
from heimdall.locate.limits import MAX_MEASUREMENTS, MAX_RECEIVERS


def test_too_many_receivers_is_refused_naming_the_list_and_the_limit() -> None:
    # entries that are not even objects: the count is refused before any entry is looked at
    doc = {"receivers": [None] * (MAX_RECEIVERS + 1), "toa": []}
    with pytest.raises(InvalidInput) as caught:
        parse_measurement_set(doc)
    assert caught.value.field == "receivers"
    assert str(MAX_RECEIVERS) in caught.value.message
    assert caught.value.details == {"limit": MAX_RECEIVERS, "count": MAX_RECEIVERS + 1}


@pytest.mark.parametrize("modality", sorted(MAX_MEASUREMENTS))
def test_too_many_measurements_of_a_modality_are_refused(valid_doc: dict, modality: str) -> None:
    limit = MAX_MEASUREMENTS[modality]
    valid_doc[modality] = valid_doc[modality][:1] * (limit + 1)
    with pytest.raises(InvalidInput) as caught:
        parse_measurement_set(valid_doc)
    assert caught.value.field == modality
    assert caught.value.to_dict()["error"]["details"]["limit"] == limit


def test_a_set_at_every_limit_is_accepted() -> None:
    doc = random_document(MAX_RECEIVERS, np.random.default_rng(2), **MAX_MEASUREMENTS)
    ms = parse_measurement_set(doc)
    assert len(ms.receivers) == MAX_RECEIVERS
    assert ms.counts() == MAX_MEASUREMENTS
