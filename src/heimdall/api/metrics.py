"""``GET /metrics``: Prometheus text, read from the hub at scrape time."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from heimdall.events.hub import Hub

router = APIRouter()


class HubCollector:
    def __init__(self, hub: Hub | None) -> None:
        self.hub = hub

    def collect(self) -> list[Metric]:
        hub = self.hub
        connections = GaugeMetricFamily("heimdall_ws_connections", "Open /ws connections")
        connections.add_metric([], hub.connection_count if hub else 0)
        subscribers = GaugeMetricFamily("heimdall_ws_subscribers", "Subscribed /ws clients per topic",
                                        labels=["topic"])
        for topic, count in sorted((hub.subscriber_counts() if hub else {}).items()):
            subscribers.add_metric([topic], count)
        dispatched = CounterMetricFamily("heimdall_events_dispatched", "Logged events fanned out by this hub")
        dispatched.add_metric([], hub.dispatched_total if hub else 0)
        last_id = GaugeMetricFamily("heimdall_events_last_id", "Last event id this hub dispatched")
        last_id.add_metric([], hub.last_id if hub else 0)
        dropped = CounterMetricFamily("heimdall_ws_dropped_clients",
                                      "Clients dropped for staying over their outbound queue bound")
        dropped.add_metric([], hub.dropped_total if hub else 0)
        return [connections, subscribers, dispatched, last_id, dropped]


def metrics_registry(hub: Hub | None) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(HubCollector(hub))
    return registry


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)
