from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _empty_data_dir(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI looks for deployed models in the data directory: point it at an empty one."""
    monkeypatch.setenv("HEIMDALL_DATA_DIR", str(tmp_path / "heimdall-data"))
    monkeypatch.delenv("HEIMDALL_DATABASE_URL", raising=False)
