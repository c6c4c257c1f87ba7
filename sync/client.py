"""A Python sync client: an outbox with per-device seq numbers, push, pull.

Used by the tests and the benchmarks the way the phone app uses the protocol. It can be
told to lose responses, to prove that a retry after a lost answer applies nothing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.protocol import PROTOCOL

__all__ = ["LostResponse", "SyncClient"]


class LostResponse(Exception):
    """The request reached the server, but its answer never reached the client."""


@dataclass
class OutboxItem:
    seq: int
    type: str
    entity_id: str
    args: dict[str, Any]
    base_version: int | None = None
    outcome: dict[str, Any] | None = None

    def message(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "seq": self.seq,
            "type": self.type,
            "entity_id": self.entity_id,
            "args": self.args,
        }
        if self.base_version is not None:
            body["base_version"] = self.base_version
        return body


@dataclass
class SyncClient:
    http: httpx.AsyncClient
    access_token: str
    device_id: str = ""
    schema_version: int = 1
    outbox: list[OutboxItem] = field(default_factory=list)
    next_seq: int = 1
    cursor: str = ""
    # Local replica: entity_type -> entity_id -> data, as pulled.
    store: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # While a snapshot that replaces the replica (a page marked `reset`) is being pulled:
    # the (entity_type, entity_id) it has brought so far.
    replacing: set[tuple[str, str]] | None = None
    lose_next_responses: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    async def register(self, name: str = "test phone") -> str:
        response = await self.http.post(
            "/api/sync/v1/devices", json={"name": name}, headers=self.headers
        )
        response.raise_for_status()
        self.device_id = response.json()["device_id"]
        return self.device_id

    def enqueue(
        self,
        mutation_type: str,
        args: dict[str, Any],
        *,
        entity_id: str | None = None,
        base_version: int | None = None,
    ) -> OutboxItem:
        item = OutboxItem(
            self.next_seq, mutation_type, entity_id or str(uuid.uuid4()), args, base_version
        )
        self.next_seq += 1
        self.outbox.append(item)
        return item

    @property
    def pending(self) -> list[OutboxItem]:
        return [item for item in self.outbox if item.outcome is None]

    async def push(self, limit: int = 100) -> httpx.Response:
        batch = self.pending[:limit]
        body = {
            "protocol": PROTOCOL,
            "schema_version": self.schema_version,
            "device_id": self.device_id,
            "mutations": [item.message() for item in batch],
        }
        answered = [item.seq for item in self.outbox if item.outcome is not None]
        if answered:
            body["ack_up_to"] = max(answered)
        response = await self.http.post("/api/sync/v1/push", json=body, headers=self.headers)
        if self.lose_next_responses > 0:
            self.lose_next_responses -= 1
            raise LostResponse()
        if response.status_code == 200:
            by_seq = {item.seq: item for item in batch}
            for outcome in response.json()["outcomes"]:
                if outcome["seq"] in by_seq:
                    by_seq[outcome["seq"]].outcome = outcome
        return response

    async def flush(self, attempts: int = 10) -> None:
        """Push until the outbox is empty, retrying lost responses."""
        for _ in range(attempts):
            if not self.pending:
                return
            try:
                response = await self.push()
            except LostResponse:
                continue
            if response.status_code != 200:
                return

    async def pull_all(self, limit: int = 500) -> None:
        while True:
            response = await self.http.get(
                "/api/sync/v1/pull",
                params={
                    "cursor": self.cursor,
                    "limit": limit,
                    "protocol": PROTOCOL,
                    "schema_version": self.schema_version,
                },
                headers=self.headers,
            )
            response.raise_for_status()
            page = response.json()
            if page.get("reset"):
                self.replacing = set()
            for change in page["changes"]:
                bucket = self.store.setdefault(change["entity_type"], {})
                if change["op"] == "delete":
                    bucket.pop(change["entity_id"], None)
                else:
                    bucket[change["entity_id"]] = change["data"]
                    if self.replacing is not None:
                        self.replacing.add((change["entity_type"], change["entity_id"]))
            self.cursor = page["cursor"]
            if not page["has_more"]:
                if self.replacing is not None:
                    # What the snapshot did not bring again is out of this user's view.
                    for entity_type, bucket in self.store.items():
                        for entity_id in [
                            i for i in bucket if (entity_type, i) not in self.replacing
                        ]:
                            del bucket[entity_id]
                    self.replacing = None
                return
