"""Events benchmark: fan-out rate to many /ws clients and publish-to-receive latency.

    python -m heimdall.events.bench [--clients 100] [--client-procs 2] [--events 2000] [--publishers 2]
        [--burst 10000] [--rate 100] [--duration-s 5] [--modes embedded,redis]

For each mode a real ``heimdall serve`` process runs on a temporary data dir (embedded: SQLite, the hub
tails the log and is woken by the local notify socket; redis: the same plus ``events_url``, so
publishers notify the hub through Redis). The WebSocket clients are raw asyncio clients
(``heimdall.events.bench_client``) in ``--client-procs`` processes, all subscribed to one job topic.

- fan-out: ``--publishers`` processes stand in for workers and emit ``--events`` job.metrics events as
  fast as they can, each a real ``publish()`` (log append, then the notify). Reports events/s
  published and events/s that reached every client.
- burst: one process appends ``--burst`` events to the log in one transaction, then notifies once, so
  the server has a backlog at once: events/s is the server's own fan-out rate, not the publishers'.
- latency: one publisher emits ``--rate`` events/s for ``--duration-s``; each client records receive
  time minus publish time (same machine, same clock), over every (event, client) pair.

Each phase also reports the server's and the clients' CPU seconds and the 1-minute load average.
"""

from __future__ import annotations

import argparse
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
TOPIC_BURST = "job:00000000-0000-4000-8000-00000000fa03"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _publisher(env: dict[str, str], topic: str, count: int, rate_hz: float, sync: dict[str, Any]) -> None:
    os.environ.update(env)
    from heimdall.events import make_publisher
    from heimdall.settings import load_settings
    from heimdall.store.db import make_engine, make_session_factory

    settings = load_settings()
    publish = make_publisher(settings, make_session_factory(make_engine(settings.resolved_database_url)))
    start_s = _wait_for_go(sync)
    for seq in range(count):
        if rate_hz > 0:
            delay_s = start_s + seq / rate_hz - time.time()
            if delay_s > 0:
                time.sleep(delay_s)
        publish(topic, "job.metrics", {"epoch": seq, "t": time.time()})
    _record_done(sync)
    publish.close()


def _burst_writer(env: dict[str, str], topic: str, count: int, rate_hz: float, sync: dict[str, Any]) -> None:
    """``count`` events in one transaction (so the server gets them all at once), then one notification."""
    os.environ.update(env)
    from sqlalchemy import insert

    from heimdall.events import make_publisher
    from heimdall.events.envelope import truncate_ms
    from heimdall.settings import load_settings
    from heimdall.store.db import make_engine, make_session_factory, transaction, utcnow
    from heimdall.store.tables.events import EventRow

    settings = load_settings()
    factory = make_session_factory(make_engine(settings.resolved_database_url))
    publish = make_publisher(settings, factory)
    _wait_for_go(sync)
    with transaction(factory) as session:
        moment, now_s = truncate_ms(utcnow()), time.time()
        rows = [{"topic": topic, "event": "job.metrics", "data": {"epoch": seq, "t": now_s}, "created_at": moment}
                for seq in range(count)]
        session.execute(insert(EventRow), rows)
    # The clock starts at the commit; one real publish() then wakes the hub the usual way.
    sync["start_at"].value = time.time()
    publish(topic, "job.metrics", {"epoch": count, "t": time.time()})
    _record_done(sync)
    publish.close()


def _wait_for_go(sync: dict[str, Any]) -> float:
    sync["ready"].release()
    sync["go"].wait(60)
    start_s = float(sync["start_at"].value)
    while time.time() < start_s:
        time.sleep(0.0005)
    return start_s


def _record_done(sync: dict[str, Any]) -> None:
    with sync["done_at"].get_lock():
        sync["done_at"].value = max(sync["done_at"].value, time.time())


def _start_server(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:  # a free port (heimdall.events does not import heimdall.api)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
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


def _start_clients(context: Any, url: str, args: argparse.Namespace, topic: str, expected: int,
                   sample_every: int) -> tuple[list[Any], Any]:
    from heimdall.events.bench_client import client_process

    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    results, procs, readies = context.Queue(), [], []
    for index in range(args.client_procs):
        share = args.clients // args.client_procs + (1 if index < args.clients % args.client_procs else 0)
        readies.append(context.Event())
        procs.append(context.Process(target=client_process, args=(
            host, int(port), topic, share, expected, sample_every, readies[-1], results)))
        procs[-1].start()
    for ready in readies:
        ready.wait(60)
    return procs, results


def _phase(env: dict[str, str], url: str, server_pid: int, args: argparse.Namespace, *, topic: str, events: int, publishers: int,
           rate_hz: float, sample_every: int, burst: bool = False) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    expected = events + 1 if burst else events
    procs, results = _start_clients(context, url, args, topic, expected, sample_every)
    # Writers set up (imports, engine) before the clock starts: only publishing is timed.
    sync: dict[str, Any] = {"ready": context.Semaphore(0), "go": context.Event(), "start_at": context.Value("d", 0.0),
            "done_at": context.Value("d", 0.0)}
    shares = [events // publishers + (1 if i < events % publishers else 0) for i in range(publishers)]
    target = _burst_writer if burst else _publisher
    writers = [context.Process(target=target, args=(env, topic, share, rate_hz / publishers, sync))
               for share in shares]
    for writer in writers:
        writer.start()
    for _ in writers:
        sync["ready"].acquire(timeout=60)
    server_cpu_s, load_before = _cpu_s(server_pid), os.getloadavg()[0]
    sync["start_at"].value = time.time() + 0.2
    sync["go"].set()
    outcomes = [results.get(timeout=600) for _ in procs]
    server_cpu_s = _cpu_s(server_pid) - server_cpu_s
    for proc in [*writers, *procs]:
        proc.join(30)
    start_s, done_s = sync["start_at"].value, sync["done_at"].value
    summary = _summarise([c for o in outcomes for c in o["clients"]], expected, start_s)
    summary.update(
        published_per_s=None if burst else round(events / (done_s - start_s), 1),
        server_cpu_s=round(server_cpu_s, 2),
        clients_cpu_s=round(sum(o["cpu_s"] for o in outcomes), 2),
        load_avg_1m_before=round(load_before, 2),
        load_avg_1m_after=round(os.getloadavg()[0], 2),
    )
    return summary


def _summarise(per_client: list[dict[str, Any]], events: int, start_s: float) -> dict[str, Any]:
    latencies_ms = np.concatenate([np.asarray(c["latencies_s"]) for c in per_client]) * 1000.0
    elapsed_s = max(c["last_s"] for c in per_client) - start_s
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
               "HEIMDALL_EVENTS_URL": REDIS_URL if mode == "redis" else "", "HEIMDALL_LOCAL_WORKERS": "0",
               # Loopback only, measuring events, not sign-in (docs/security.md).
               "HEIMDALL_AUTH_ENABLED": "false"}
        server, url = _start_server(env, Path(tmp) / "serve.log")
        report: dict[str, Any] = {"mode": mode}
        try:
            report["fanout"] = _phase(env, url, server.pid, args, topic=TOPIC_FANOUT, events=args.events,
                                      publishers=args.publishers, rate_hz=0.0, sample_every=args.sample_every)
            if args.burst:
                report["burst"] = _phase(env, url, server.pid, args, topic=TOPIC_BURST, events=args.burst,
                                         publishers=1, rate_hz=0.0, sample_every=args.sample_every, burst=True)
            report["latency"] = _phase(env, url, server.pid, args, topic=TOPIC_LATENCY, publishers=1,
                                       events=int(args.rate * args.duration_s), rate_hz=args.rate, sample_every=1)
        finally:
            server.terminate()
            server.wait(30)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--sample-every", type=int, default=10,
                        help="fan-out and burst: every Nth client parses events for latency (all do in latency)")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--burst", type=int, default=10000, help="events in the burst phase (0: skip it)")
    parser.add_argument("--rate", type=float, default=100.0, help="events/s in the latency phase")
    parser.add_argument("--duration-s", type=float, default=5.0)
    parser.add_argument("--modes", default="embedded,redis")
    args = parser.parse_args(argv)
    report = [run_mode(mode.strip(), args) for mode in args.modes.split(",") if mode.strip()]
    print(json.dumps({"events": report}, indent=2))


if __name__ == "__main__":
    main()
