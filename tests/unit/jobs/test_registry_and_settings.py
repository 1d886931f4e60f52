from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.jobs.registry import get_kind, import_job_modules, job_kind, registered_kinds
from heimdall.settings import Settings


def test_counting_kind_is_registered_on_the_cpu_queue():
    assert get_kind("test.count").queue == "cpu"
    assert "test.count" in registered_kinds()


def test_a_name_cannot_be_taken_by_another_function():
    @job_kind("test.unique-once", queue="gpu")
    def first(ctx):
        return None

    assert get_kind("test.unique-once").queue == "gpu"
    with pytest.raises(ValueError):
        @job_kind("test.unique-once")
        def second(ctx):
            return None


def test_import_job_modules_names_the_missing_module():
    assert import_job_modules(["heimdall.services.counting_job"]) == ["heimdall.services.counting_job"]
    with pytest.raises(InvalidInput) as caught:
        import_job_modules(["heimdall.services.nope"])
    assert "heimdall.services.nope" in caught.value.message


@pytest.mark.parametrize(("raw", "expected"), [
    ("a.b, c.d", ["a.b", "c.d"]), ('["x.y"]', ["x.y"]), ("", []),
])
def test_job_modules_setting_takes_a_comma_list_or_json(monkeypatch, raw, expected):
    monkeypatch.setenv("HEIMDALL_JOB_MODULES", raw)
    assert Settings().job_modules == expected
