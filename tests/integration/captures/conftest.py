"""The ``fake_network`` fixture: fake KiwiSDRs on a background loop (support.kiwi_fakes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.kiwi_fakes import FakeNetwork


@pytest.fixture
def fake_network() -> Iterator[FakeNetwork]:
    network = FakeNetwork()
    yield network
    network.close()
