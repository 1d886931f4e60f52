"""Grouping detections of several receivers into transmissions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.rf.detect import Detection
from heimdall.tracking.transmissions import GroupingConfig, Transmission, TransmissionGrouper


def detection(receiver: str, sequence: int, start_s: float, end_s: float | None, channel: str = "ch",
              mean_db: float = -100.0, readings: int = 10) -> Detection:
    return Detection(receiver, channel, sequence, start_s, end_s, mean_db + 3, mean_db, -120.0, readings)


def replay(events: list[tuple[float, Detection]], grouper: TransmissionGrouper) -> list[Transmission]:
    """Feed (arrival_s, detection) events in arrival order, polling the clock at each."""
    done: list[Transmission] = []
    for arrival_s, event in sorted(events, key=lambda e: e[0]):
        done += grouper.poll(arrival_s)
        grouper.add(event)
    return done + grouper.poll(1e9)


def test_simultaneous_detections_with_latency_are_one_transmission_each() -> None:
    rng = np.random.default_rng(0)
    receivers = ["rx1", "rx2", "rx3", "rx4"]
    sequence = dict.fromkeys(receivers, 0)
    events, truth, t = [], [], 0.0
    for _ in range(30):
        start = t + rng.uniform(3.0, 40.0)
        end = start + rng.uniform(1.0, 30.0)
        hearing = [r for r in receivers if rng.uniform() < 0.8] or ["rx1"]
        truth.append((start, tuple(hearing)))
        for receiver in hearing:
            latency = rng.uniform(0.0, 1.5)  # each receiver's own network delay
            late_open = rng.uniform(0.0, 0.5 * (end - start)) if receiver == "rx4" else 0.0  # a weak one
            sequence[receiver] += 1
            opened = detection(receiver, sequence[receiver], start + latency + late_open, None)
            closed = dataclasses.replace(opened, end_s=end + latency)
            events += [(opened.start_s + 0.25, opened), (end + latency + 1.0, closed)]
        t = end
    transmissions = replay(events, TransmissionGrouper(GroupingConfig()))
    assert [tr.receiver_ids for tr in transmissions] == [hearing for _, hearing in truth]
    for tr, (start, _) in zip(transmissions, truth, strict=True):
        assert 0.0 <= tr.start_s - start <= 1.5  # the earliest receiver's latency
    assert all(not tr.timed_out and all(d.closed for d in tr.detections) for tr in transmissions)
    assert len({tr.transmission_id for tr in transmissions}) == len(truth)


def test_the_next_over_a_second_later_is_another_transmission() -> None:
    grouper = TransmissionGrouper()
    grouper.add(detection("rx1", 1, 0.0, 10.0))
    grouper.add(detection("rx2", 1, 0.8, 10.6))
    grouper.add(detection("rx1", 2, 11.0, 20.0))  # the answer, keyed a second after
    grouper.add(detection("rx2", 2, 11.9, 20.5))
    done = grouper.poll(30.0)
    assert [(t.start_s, t.end_s, t.receiver_ids) for t in done] == [
        (0.0, 10.6, ("rx1", "rx2")), (11.0, 20.5, ("rx1", "rx2"))]


def test_a_receiver_counts_once_when_a_fade_splits_its_detection() -> None:
    grouper = TransmissionGrouper()
    grouper.add(detection("rx1", 1, 0.0, 30.0, readings=300))
    grouper.add(detection("rx2", 4, 0.3, 12.0, mean_db=-100.0, readings=117))
    grouper.add(detection("rx2", 5, 14.5, 30.2, mean_db=-90.0, readings=157))
    [done] = grouper.poll(40.0)
    assert done.receiver_ids == ("rx1", "rx2") and grouper.stats.merged == 1
    rx2 = done.detections[1]
    assert (rx2.start_s, rx2.end_s, rx2.readings, rx2.sequence) == (0.3, 30.2, 274, 4)
    expected = 10 * np.log10((117 * 1e-10 + 157 * 1e-9) / 274)
    assert rx2.mean_power_db == pytest.approx(expected)


def test_complete_only_when_closed_and_settled_or_timed_out() -> None:
    grouper = TransmissionGrouper(GroupingConfig(settle_s=3.0, timeout_s=100.0))
    grouper.add(detection("rx1", 1, 0.0, 10.0))
    grouper.add(detection("rx2", 1, 0.5, None))  # still on
    assert grouper.poll(50.0) == []
    grouper.add(detection("rx2", 1, 0.5, 12.0))
    assert grouper.poll(14.9) == [] and grouper.pending == 1
    [done] = grouper.poll(15.0)
    assert done.end_s == 12.0 and not done.timed_out

    grouper.add(detection("rx1", 2, 200.0, 205.0))
    grouper.add(detection("rx2", 2, 200.2, None))  # this receiver vanished mid-over
    assert grouper.poll(299.0) == []
    [cut] = grouper.poll(300.0)
    assert cut.timed_out and cut.end_s == 300.0 and cut.detections[1].end_s is None
    assert grouper.stats.timed_out == 1


def test_late_and_stale_detections_are_counted_and_dropped() -> None:
    grouper = TransmissionGrouper()
    opened = detection("rx1", 1, 0.0, None)
    closed = dataclasses.replace(opened, end_s=8.0)
    grouper.add(closed)
    grouper.add(opened)  # arrived after its own closing event
    assert grouper.stats.stale == 1
    [done] = grouper.poll(20.0)
    assert done.detections == (closed,)
    grouper.add(detection("rx2", 1, 0.4, 8.1))  # a slow receiver, after completion
    grouper.add(closed)  # a duplicate
    assert grouper.stats.late == 2 and grouper.pending == 0


def test_channels_never_mix_and_ids_are_deterministic() -> None:
    def run() -> list[Transmission]:
        grouper = TransmissionGrouper(namespace="monitor-1")
        grouper.add(detection("rx1", 1, 0.0, 5.0, channel="a"))
        grouper.add(detection("rx1", 1, 0.1, 5.0, channel="b"))
        return grouper.flush()

    first, second = run(), run()
    assert [t.channel for t in first] == ["a", "b"]
    assert [t.transmission_id for t in first] == [t.transmission_id for t in second]
    assert first[0].transmission_id != first[1].transmission_id
    assert first[0].to_dict()["detections"][0]["snr_db"] == pytest.approx(20.0)


def test_a_receiver_held_open_by_interference_does_not_swallow_later_overs() -> None:
    grouper = TransmissionGrouper()
    grouper.add(detection("rx9", 1, 0.0, None))  # local interference: open for minutes
    grouper.add(detection("rx1", 1, 0.5, 8.0))
    grouper.add(detection("rx2", 1, 0.2, 8.3))
    grouper.add(detection("rx1", 2, 60.0, 70.0))  # a later over, heard by the two good receivers
    grouper.add(detection("rx2", 2, 60.4, 70.1))
    done = grouper.poll(80.0)
    assert [t.receiver_ids for t in done] == [("rx1", "rx2")]  # the later over alone; the first waits on rx9
    assert done[0].start_s == 60.0
    grouper.add(detection("rx9", 1, 0.0, 100.0))
    [first] = grouper.poll(110.0)
    assert first.receiver_ids == ("rx1", "rx2", "rx9") and first.start_s == 0.0


def test_a_weak_receiver_opening_late_joins_the_over() -> None:
    grouper = TransmissionGrouper(GroupingConfig(latency_tolerance_s=1.0))
    grouper.add(detection("rx1", 1, 0.0, None))
    grouper.add(detection("rx2", 1, 0.3, None))
    grouper.add(detection("rx3", 1, 7.0, None))  # faded in seven seconds into the over
    for receiver, end in (("rx1", 20.0), ("rx2", 20.2), ("rx3", 19.5)):
        grouper.add(detection(receiver, 1, {"rx1": 0.0, "rx2": 0.3, "rx3": 7.0}[receiver], end))
    [done] = grouper.poll(40.0)
    assert done.receiver_ids == ("rx1", "rx2", "rx3") and done.end_s == 20.2


@pytest.mark.parametrize(("settings", "field"), [
    ({"latency_tolerance_s": -1.0}, "latency_tolerance_s"), ({"latency_tolerance_s": 600.0}, "latency_tolerance_s"),
    ({"settle_s": -1.0}, "settle_s"), ({"timeout_s": 1.0}, "timeout_s"), ({"timeout_s": "long"}, "timeout_s"),
    ({"window": 3}, "window"),
])
def test_bad_grouping_settings(settings: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        GroupingConfig.from_mapping(settings)
    assert caught.value.field == field
