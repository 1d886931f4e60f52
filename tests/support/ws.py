"""A /ws client for whole-platform tests: records every message, waits for the ones a test expects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

RECV_TIMEOUT_S = 60.0


class Watcher:
    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.messages: list[dict[str, Any]] = []

    async def next(self, predicate: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RECV_TIMEOUT_S
        while True:
            remaining = deadline - loop.time()
            assert remaining > 0, f"timed out waiting for {what}; last: {self.messages[-5:]}"
            message = json.loads(await asyncio.wait_for(self.socket.recv(), remaining))
            self.messages.append(message)
            if predicate(message):
                return message

    async def state(self, job_id: str, status: str) -> dict[str, Any]:
        return await self.next(lambda m: m["event"] == "job.state" and m["data"]["id"] == job_id
                               and m["data"]["status"] == status, f"job {job_id} {status}")
