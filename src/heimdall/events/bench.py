"""Events benchmark: fan-out rate to many /ws clients and publish-to-receive latency.

    python -m heimdall.events.bench [--clients 100] [--events 2000] [--rate 100] [--modes embedded,redis]

For each mode a real ``heimdall serve`` process runs on a temporary data dir (embedded: SQLite, the hub
tails the log; redis: the same plus ``events_url`` so publishers notify the hub through Redis).
Publisher processes stand in for workers: each event is a real ``publish()`` (log append, then Redis
in redis mode). Client processes hold the WebSocket clients, subscribed to one job topic.

- fan-out: publishers emit ``--events`` job.metrics events as fast as they can; events/s is that count
  over the time from the first publish to the last event reaching the last client.
- latency: one publisher emits ``--rate`` events/s for ``--duration-s``; each client records
  receive time minus publish time (same machine, same clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

TOPIC_FANOUT = "job:00000000-0000-4000-8000-00000000fa01"
TOPIC_LATENCY = "job:00000000-0000-4000-8000-00000000fa02"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _publisher(env: dict[str, str], topic: str, count: int, rate_hz: float, start_at: float) -> None:
    os.environ.update(env)
    from heimdall.events import make_publisher
    from heimdall.settings import load_settings
    from heimdall.store.db import make_engine, make_session_factory

    settings = load_settings()
    publish = make_publisher(settings, make_session_factory(make_engine(settings.resolved_database_url)))
    while time.time() < start_at:
        time.sleep(0.001)
    for seq in range(count):
        if rate_hz > 0:
            delay_s = start_at + seq / rate_hz - time.time()
            if delay_s > 0:
                time.sleep(delay_s)
        publish(topic, "job.metrics", {"epoch": seq, "t": time.time()})
    publish.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    heimdall = Path(sys.executable).with_name("heimdall")
    with open(log_path, "wb") as log:
        server = subprocess.Popen([str(heimdall), "serve", "--port", str(port)], env={**os.environ, **env},
                                  stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return server, f"ws://127.0.0.1:{port}/ws"
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"heimdall serve did not start; see {log_path}")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _phase(env, url, server_pid: int, *, clients: int, client_procs: int, topic: str, events: int,
           publishers: int, rate_hz: float, sample_every: int) -> dict[str, Any]:
    from heimdall.events.bench_client import client_process

    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    readies, procs = [], []
    for index in range(client_procs):
        share = clients // client_procs + (1 if index < clients % client_procs else 0)
        ready = context.Event()
        readies.append(ready)
        procs.append(context.Process(target=client_process, args=(
            host, int(port), topic, share, events, sample_every, ready, results)))
    for proc in procs:
        proc.start()
    for ready in readies:
        ready.wait(60)
    start_at = time.time() + 0.5
    shares = [events // publishers + (1 if i < events % publishers else 0) for i in range(publishers)]
    writers = [context.Process(target=_publisher, args=(env, topic, share, rate_hz / publishers, start_at))
               for share in shares]
    server_cpu_s, load_before = _cpu_s(server_pid), os.getloadavg()[0]
    for writer in writers:
        writer.start()
    outcomes = [results.get(timeout=600) for _ in procs]
    server_cpu_s = _cpu_s(server_pid) - server_cpu_s
    for proc in [*writers, *procs]:
        proc.join(30)
    summary = _summarise([c for o in outcomes for c in o["clients"]], events, start_at)
    summary.update(server_cpu_s=round(server_cpu_s, 2), clients_cpu_s=round(sum(o["cpu_s"] for o in outcomes), 2),
                   load_avg_1m_before=round(load_before, 2), load_avg_1m_after=round(os.getloadavg()[0], 2))
    return summary


def _summarise(per_client: list[dict[str, Any]], events: int, start_at: float) -> dict[str, Any]:
    latencies_ms = np.concatenate([np.asarray(c["latencies_s"]) for c in per_client]) * 1000.0
    elapsed_s = max(c["last_s"] for c in per_client) - start_at
    delivered = sum(c["received"] for c in per_client)
    return {
        "clients": len(per_client),
        "events": events,
        "complete_clients": sum(c["received"] == events for c in per_client),
        "resyncs": sum(c["resyncs"] for c in per_client),
        "elapsed_s": round(elapsed_s, 3),
        "events_per_s": round(events / elapsed_s, 1),
        "deliveries_per_s": round(delivered / elapsed_s, 1),
        "latency_samples": int(latencies_ms.size),
        "latency_ms_p50": round(float(np.percentile(latencies_ms, 50)), 2),
        "latency_ms_p99": round(float(np.percentile(latencies_ms, 99)), 2),
        "latency_ms_max": round(float(latencies_ms.max()), 2),
    }


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="heimdall-bench-") as tmp:
        env = {"HEIMDALL_DATA_DIR": tmp, "HEIMDALL_DEMO_NETWORK": "false", "HEIMDALL_LOG_LEVEL": "WARNING",
               "HEIMDALL_EVENTS_URL": REDIS_URL if mode == "redis" else "", "HEIMDALL_LOCAL_WORKERS": "0"}
        server, url = _start_server(env, Path(tmp) / "serve.log")
        try:
            common = {"clients": args.clients, "client_procs": args.client_procs}
            fanout = _phase(env, url, server.pid, **common, topic=TOPIC_FANOUT, events=args.events,
                            publishers=args.publishers, rate_hz=0.0, sample_every=args.sample_every)
            count = int(args.rate * args.duration_s)
            latency = _phase(env, url, server.pid, **common, topic=TOPIC_LATENCY, events=count, publishers=1,
                             rate_hz=args.rate, sample_every=1)
        finally:
            server.terminate()
            server.wait(30)
    return {"mode": mode, "fanout": fanout, "latency": latency}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--sample-every", type=int, default=10,
                        help="in the fan-out phase every Nth client parses events for latency (all do in the latency phase)")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--publishers", type=int, default=1)
    parser.add_argument("--rate", type=float, default=100.0, help="events/s in the latency phase")
    parser.add_argument("--duration-s", type=float, default=5.0)
    parser.add_argument("--modes", default="embedded,redis")
    args = parser.parse_args(argv)
    report = [run_mode(mode.strip(), args) for mode in args.modes.split(",") if mode.strip()]
    print(json.dumps({"events": report}, indent=2))


if __name__ == "__main__":
    main()
