"""``heimdall locate`` under the same limits and budget as the API: one line on stderr, no traceback."""

from __future__ import annotations

import json

import pytest

from heimdall.cli import main
from heimdall.locate.limits import MAX_DOCUMENT_BYTES


def _run(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(["locate", *args])
    return int(exited.value.code), capsys.readouterr().err


def test_a_file_over_the_size_limit_is_bad_input(tmp_path, capsys, valid_doc: dict) -> None:
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({**valid_doc, "method": "x" * MAX_DOCUMENT_BYTES}))
    code, err = _run(capsys, str(path))
    assert code == 2 and str(MAX_DOCUMENT_BYTES) in err and err.count("\n") == 1


def test_the_budget_setting_bounds_the_cli(tmp_path, capsys, monkeypatch, valid_doc: dict) -> None:
    path = tmp_path / "set.json"
    path.write_text(json.dumps(valid_doc))
    monkeypatch.setenv("HEIMDALL_LOCALIZE_BUDGET_S", "1e-9")
    code, err = _run(capsys, str(path), "--json")
    assert code == 1 and "ran past its budget" in err and err.count("\n") == 1
