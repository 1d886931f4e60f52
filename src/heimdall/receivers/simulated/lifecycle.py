"""What every fake receiver server shares: ``async with Fake(...) as server`` starts and stops it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class FakeServer:
    """Subclasses implement ``start`` (returning themselves) and ``stop``; this adds the context manager."""

    async def start(self) -> Self:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
