"""Imports started from the page run on after the upload request has answered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from server.domain.errors import DomainError

__all__ = ["ImportRunner"]

log = logging.getLogger(__name__)


class ImportRunner:
    """The import jobs this process is writing. Stopping the server cancels them between
    two statements of a batch; the batch rolls back and the job can be resumed."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, DomainError):
            log.info("an import stopped: %s", exc.message)  # the job page shows why
        elif exc is not None:
            log.error("an import failed", exc_info=exc)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
