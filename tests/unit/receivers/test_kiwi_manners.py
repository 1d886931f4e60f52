"""Good manners: honest identity, never the last free slot, bounded back-off, the per-host budget."""

from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.kiwisdr.commands import ident_user
from heimdall.receivers.kiwisdr.manners import Backoff, HostBudget, check_slot, host_of, identity
from heimdall.receivers.kiwisdr.status import KiwiStatus
from heimdall.receivers.states import ReceiverRefused, RefusalReason


def test_identity_names_heimdall_and_the_operators_contact() -> None:
    connection = identity("http://kiwi.example.org:8073", "ops@example.org")
    assert connection.identity == "heimdall (ops@example.org)"
    assert ident_user(connection.client_name, connection.contact) == "SET ident_user=heimdall%20%28ops%40example.org%29"
    assert identity("http://k", "").identity == "heimdall"


@pytest.mark.parametrize(("users", "users_max", "free"), [(0, 4, 4), (2, 4, 2), (6, 8, 2)])
def test_a_slot_is_taken_only_when_another_stays_free(users: int, users_max: int, free: int) -> None:
    assert check_slot(KiwiStatus(users=users, users_max=users_max)) == free


@pytest.mark.parametrize(("users", "users_max"), [(3, 4), (4, 4), (7, 4), (0, 1)])
def test_the_last_free_slot_is_never_taken(users: int, users_max: int) -> None:
    with pytest.raises(ReceiverRefused) as refused:
        check_slot(KiwiStatus(users=users, users_max=users_max))
    assert refused.value.reason == RefusalReason.TOO_BUSY and "free" in refused.value.message


def test_an_offline_receiver_is_down_and_a_page_without_counts_is_left_to_the_server() -> None:
    with pytest.raises(ReceiverRefused) as refused:
        check_slot(KiwiStatus(offline=True, users=0, users_max=4))
    assert refused.value.reason == RefusalReason.DOWN
    assert check_slot(KiwiStatus()) is None


def test_backoff_doubles_up_to_its_cap_and_stops_when_out_of_time_or_attempts() -> None:
    backoff = Backoff(first_s=1.0, factor=2.0, max_s=5.0, attempts=5)
    assert [backoff.delay_s(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.next_delay_s(1, time_left_s=10.0) == 1.0
    assert backoff.next_delay_s(3, time_left_s=3.0) is None  # 4 s would miss the window
    assert backoff.next_delay_s(5, time_left_s=100.0) is None  # attempts used up


def test_host_budget_counts_connections_and_minutes() -> None:
    budget = HostBudget(max_connections=2, max_minutes_per_hour=10.0)
    assert budget.refusal("h", connections=1, minutes_used=5.0, minutes_wanted=1.0) is None
    assert "connection" in (budget.refusal("h", connections=2, minutes_used=0.0, minutes_wanted=1.0) or "")
    assert "minutes" in (budget.refusal("h", connections=0, minutes_used=9.5, minutes_wanted=1.0) or "")
    with pytest.raises(InvalidInput):
        HostBudget(max_connections=0)


def test_the_budget_host_is_host_and_port() -> None:
    assert host_of("http://Kiwi.Example.org:8073/") == "kiwi.example.org:8073"
    assert host_of("kiwi.example.org:8074") == "kiwi.example.org:8074"
