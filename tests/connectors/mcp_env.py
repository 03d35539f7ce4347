"""The demo help desk, a real MCP server, for tests: started by the connector over stdio, or
served over streamable HTTP by uvicorn on a free port in a thread of the test."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from connectors.mcp.demo_server import build_server

DESK_COMMAND = (sys.executable, "-m", "connectors.mcp.demo_server")


class HttpDesk:
    """The help desk over streamable HTTP at :attr:`url` until :meth:`stop`."""

    def __init__(self) -> None:
        app = build_server().streamable_http_app()
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def start(self) -> HttpDesk:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the MCP test server did not start")
            time.sleep(0.02)
        sockets: Any = self.server.servers[0].sockets
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/mcp"
        return self

    def stop(self) -> None:
        """Stop at once: a client's open event stream would hold a graceful shutdown."""
        self.server.should_exit = self.server.force_exit = True
        self.thread.join(timeout=20)


@contextmanager
def http_desk() -> Iterator[HttpDesk]:
    desk = HttpDesk().start()
    try:
        yield desk
    finally:
        desk.stop()
