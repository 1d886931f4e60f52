from __future__ import annotations

import math
import uuid

import pytest

from heimdall.errors import Conflict, InvalidInput, NotFound


def test_create_fills_defaults_from_the_kind_and_publishes(kiwi, receivers, events) -> None:
    receiver = receivers.create(kiwi())
    assert uuid.UUID(receiver["id"])
    assert receiver["capabilities"] == ["rss", "tdoa"] and receiver["timing"] == "gnss"
    assert receiver["enabled"] is True and receiver["health"] is None
    assert receiver["created_at"].endswith("Z")
    assert events.events == [("receivers", "receiver.created", receiver)]


def test_openwebrx_defaults_to_rss_only_without_timing(receivers) -> None:
    receiver = receivers.create({"name": "owrx", "kind": "openwebrx", "lat": 0, "lon": 0})
    assert receiver["capabilities"] == ["rss"] and receiver["timing"] == "none" and receiver["alt_m"] == 0.0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat": 90.5}, "lat"),
        ({"lat": -91}, "lat"),
        ({"lon": 180.01}, "lon"),
        ({"lon": "east"}, "lon"),
        ({"alt_m": math.inf}, "alt_m"),
        ({"alt_m": math.nan}, "alt_m"),
        ({"alt_m": None}, "alt_m"),
        ({"kind": "hackrf"}, "kind"),
        ({"timing": "ntp"}, "timing"),
        ({"capabilities": ["rss", "toa"]}, "capabilities"),
        ({"capabilities": []}, "capabilities"),
        ({"capabilities": ["rss", "rss"]}, "capabilities"),
        ({"capabilities": ["tdoa"], "timing": "none"}, "capabilities"),
        ({"name": "  "}, "name"),
        ({"name": None}, "name"),
        ({"url": "kiwi.example"}, "url"),
        ({"enabled": "yes"}, "enabled"),
        ({"noise_figure_db": -3}, "noise_figure_db"),
        ({"antenna": {"gain_dbi": 3, "polarisation": "v"}}, "antenna"),
        ({"antenna": {"gain_dbi": math.nan}}, "antenna.gain_dbi"),
        ({"id": "mine"}, "id"),
        ({"health": {}}, "health"),
    ],
)
def test_create_rejects_bad_fields_naming_them(kiwi, receivers, events, changes, field) -> None:
    with pytest.raises(InvalidInput) as caught:
        receivers.create(kiwi(**changes))
    assert caught.value.to_dict()["error"]["details"]["field"] == field
    assert events.events == []
    assert receivers.list()["total"] == 0


def test_duplicate_name_is_a_conflict(kiwi, receivers) -> None:
    receivers.create(kiwi("same"))
    with pytest.raises(Conflict) as caught:
        receivers.create(kiwi(" same "))
    assert caught.value.http_status == 409 and caught.value.field == "name"


def test_antenna_and_noise_figure_are_normalised(kiwi, receivers) -> None:
    receiver = receivers.create(kiwi(antenna={"gain_dbi": 2.15}, noise_figure_db=6))
    assert receiver["antenna"] == {"gain_dbi": 2.15, "type": "omni"}
    assert receiver["noise_figure_db"] == 6.0


def test_list_pages_and_filters(kiwi, receivers) -> None:
    for index in range(5):
        receivers.create(kiwi(f"rx{index}", enabled=index % 2 == 0))
    page = receivers.list(offset=1, limit=2)
    assert page["total"] == 5 and [item["name"] for item in page["items"]] == ["rx1", "rx2"]
    assert receivers.list(enabled=False)["total"] == 2
    with pytest.raises(InvalidInput, match="limit"):
        receivers.list(limit=0)
    with pytest.raises(InvalidInput, match="offset"):
        receivers.list(offset=-1)


def test_update_is_partial_and_revalidated_whole(kiwi, receivers, events) -> None:
    created = receivers.create(kiwi())
    updated = receivers.update(created["id"], {"lat": 46.0, "url": None})
    assert updated["lat"] == 46.0 and updated["lon"] == created["lon"] and updated["url"] is None
    assert updated["updated_at"] >= created["updated_at"]
    assert events.names()[-1] == ("receivers", "receiver.updated")
    # Dropping GNSS timing while the receiver still claims TDoA is refused.
    with pytest.raises(InvalidInput) as caught:
        receivers.update(created["id"], {"timing": "none"})
    assert caught.value.field == "capabilities"
    assert receivers.get(created["id"])["timing"] == "gnss"


def test_update_to_a_taken_name_conflicts(kiwi, receivers) -> None:
    receivers.create(kiwi("a"))
    second = receivers.create(kiwi("b"))
    with pytest.raises(Conflict):
        receivers.update(second["id"], {"name": "a"})
    assert receivers.update(second["id"], {"name": "b"})["name"] == "b"


def test_unknown_ids_are_not_found(receivers) -> None:
    missing = str(uuid.uuid4())
    for call in (
        lambda: receivers.get(missing),
        lambda: receivers.update(missing, {"lat": 1.0}),
        lambda: receivers.delete(missing),
        lambda: receivers.set_health(missing, {}),
    ):
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.http_status == 404


def test_delete_publishes_the_receiver(kiwi, receivers, events) -> None:
    created = receivers.create(kiwi())
    assert receivers.delete(created["id"])["id"] == created["id"]
    assert events.events[-1] == ("receivers", "receiver.deleted", created)
    assert receivers.list()["total"] == 0


def test_health_is_recorded_and_published(kiwi, receivers, events) -> None:
    created = receivers.create(kiwi())
    receivers.set_health(created["id"], {"status": "up", "snr_db": 21.0})
    assert receivers.get(created["id"])["health"] == {"status": "up", "snr_db": 21.0}
    assert events.events[-1][:2] == ("receivers", "receiver.health")
    with pytest.raises(InvalidInput):
        receivers.set_health(created["id"], ["up"])
