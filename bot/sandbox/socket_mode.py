"""Slack's Socket Mode, locally: the WebSocket end that ``apps.connections.open`` points to.

Slack sends each event to the app over the socket in an envelope and expects the envelope id
back within 3 seconds; this stand-in does the same, so an app in Socket Mode can be driven and
its acknowledgements observed without a Slack workspace.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import WSMsgType, web

SOCKET_PATH = "/socket-mode"


class SocketModeEnd:
    """Connected app sockets, envelopes sent to them, and the acks that came back."""

    def __init__(self, app_id: str) -> None:
        self._app_id = app_id
        self._sockets: set[web.WebSocketResponse] = set()
        self.acks: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()

    def register(self, app: web.Application) -> None:
        app.router.add_get(SOCKET_PATH, self._connect)

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.add(socket)
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "connection_info": {"app_id": self._app_id},
            }
        )
        await self._notify()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self.acks.append(json.loads(message.data))
                    await self._notify()
        finally:
            self._sockets.discard(socket)
        return socket

    async def send(
        self, payload: dict[str, Any], *, kind: str = "events_api", retry_attempt: int = 0
    ) -> str:
        """Send ``payload`` (an Events API body, say) to every connected app; its envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        for socket in list(self._sockets):
            await socket.send_str(json.dumps(envelope))
        return envelope_id

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await self._wait(lambda: bool(self._sockets), timeout)

    async def wait_acked(self, envelope_id: str, timeout: float = 10.0) -> None:
        await self._wait(
            lambda: any(a.get("envelope_id") == envelope_id for a in self.acks), timeout
        )

    async def close(self) -> None:
        for socket in list(self._sockets):
            await socket.close()

    async def _wait(self, ready: Any, timeout: float) -> None:
        async with self._changed, asyncio.timeout(timeout):
            await self._changed.wait_for(ready)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
