"""Server memory with many /ws clients, one of which never reads, during a dataset job.

    python -m heimdall.events.bench_memory [--quick] [--clients 200] [--samples 20000] [--shard-size 64]

A real ``heimdall serve`` (embedded: SQLite, one local worker, the G7 demo network) on a temporary data
dir. ``--clients - 1`` WebSocket clients subscribe to ``datasets`` and ``jobs`` and read everything; one
more subscribes with a 4 KiB receive buffer and never reads. Then one dataset is generated with the
smallest shard size (the most events per sample). The server process's resident memory (VmRSS, the
hub and API; the job runs in a child process) is sampled every 0.1 s from before the job to its end;
VmHWM is the kernel's own peak. Reports the baseline, the peak, what the readers received, and
whether the silent client was still connected at the end (it is dropped once its outbound queue has
been full for ``stall_grace_s``; a job this small rarely fills it: the events carry what changed).
``--quick``: 50 clients, 2,000 samples.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from heimdall.events.bench import _start_server


def _memory_kib(pid: int) -> dict[str, int]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


class Reader:
    """A client that reads every message and counts them."""

    def __init__(self, socket_: Any) -> None:
        self.socket = socket_
        self.events = 0
        self.bytes = 0

    async def run(self) -> None:
        import websockets

        try:
            async for message in self.socket:
                self.events += 1
                self.bytes += len(message)
        except websockets.ConnectionClosed:
            return


async def _open(url: str, **options: Any) -> Any:
    import websockets

    client = await websockets.connect(url, max_size=None, compression=None, **options)
    await client.recv()  # connected
    await client.send(json.dumps({"op": "subscribe", "topics": ["datasets", "jobs"]}))
    return client


async def _silent_client(url: str) -> Any:
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    # max_queue=1: the library stops reading the socket at once, so the server's buffers fill up.
    return await _open(url, sock=sock, max_queue=1)


async def _sample_until_done(http: httpx.AsyncClient, job_id: str, pid: int, timeout_s: float) -> dict[str, Any]:
    peak_kib, samples, start = 0, 0, time.monotonic()
    status, http_errors = "queued", 0
    while time.monotonic() - start < timeout_s and Path(f"/proc/{pid}").exists():
        peak_kib = max(peak_kib, _memory_kib(pid)["VmRSS"])
        samples += 1
        if samples % 5 == 0:
            try:
                status = (await http.get(f"/jobs/{job_id}")).json()["status"]
            except httpx.HTTPError:  # an overloaded server: keep measuring it
                http_errors += 1
            if status in ("completed", "failed", "cancelled"):
                break
        await asyncio.sleep(0.1)
    return {"job_status": status, "job_s": round(time.monotonic() - start, 1), "peak_rss_mib": peak_kib / 1024,
            "http_errors": http_errors}


async def _measure(url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    base = url.replace("ws://", "http://").removesuffix("/ws") + "/api/v1"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        network_id = (await http.get("/networks")).json()["items"][0]["id"]
        readers = [Reader(await _open(url)) for _ in range(args.clients - 1)]
        silent = await _silent_client(url)
        tasks = [asyncio.create_task(reader.run()) for reader in readers]
        await asyncio.sleep(1.0)
        before = _memory_kib(pid)
        body = {"name": "bench", "network_id": network_id, "num_samples": args.samples, "seed": 1,
                "realism": "ideal", "shard_size": args.shard_size}
        created = (await http.post("/datasets", json=body)).json()
        sampled = await _sample_until_done(http, created["job"]["id"], pid, args.timeout_s)
        await asyncio.sleep(1.0)
        health = (await http.get("/health")).json()
        after = _memory_kib(pid)
        for reader in readers:
            await reader.socket.close()
        await asyncio.gather(*tasks)
        silent.transport.abort()
    events = sorted(reader.events for reader in readers)
    return {
        "clients": args.clients, "samples": args.samples, "shard_size": args.shard_size,
        "shards": -(-args.samples // args.shard_size), **sampled,
        "baseline_rss_mib": round(before["VmRSS"] / 1024, 1), "peak_rss_mib": round(sampled["peak_rss_mib"], 1),
        "growth_mib": round(sampled["peak_rss_mib"] - before["VmRSS"] / 1024, 1),
        "vm_hwm_mib": round(after["VmHWM"] / 1024, 1),
        "reader_events_min": events[0], "reader_kib_median": round(sorted(r.bytes for r in readers)[len(readers) // 2]
                                                                  / 1024, 1),
        "connections_at_end": health["components"]["events"].get("connections"),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="heimdall-bench-memory-") as tmp:
        env = {"HEIMDALL_DATA_DIR": tmp, "HEIMDALL_DEMO_NETWORK": "true", "HEIMDALL_LOG_LEVEL": "WARNING",
               "HEIMDALL_LOCAL_WORKERS": "1"}
        server, url = _start_server(env, Path(tmp) / "serve.log")
        try:
            return asyncio.run(_measure(url, server.pid, args))
        finally:
            server.terminate()
            server.wait(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 clients, 2,000 samples")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--shard-size", type=int, default=64)
    parser.add_argument("--timeout-s", type=float, default=600.0)
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.samples = 50, 2000
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
