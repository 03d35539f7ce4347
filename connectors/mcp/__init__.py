"""Any MCP server as a system: its tools become catalog operations (:mod:`.operations`),
over stdio or streamable HTTP (:mod:`.session`), as crosswire.toml says (:mod:`.config`)."""

from typing import TYPE_CHECKING

from connectors.mcp.config import McpServerConfig, ToolOverride
from workflows.lazy import lazy_exports

if TYPE_CHECKING:  # the SDK is imported when a server is opened, not with the settings
    from connectors.mcp.connector import McpConnector, open_mcp
    from connectors.mcp.operations import ToolOutput, classify

__getattr__ = lazy_exports(
    __name__,
    {
        "McpConnector": "connectors.mcp.connector",
        "open_mcp": "connectors.mcp.connector",
        "ToolOutput": "connectors.mcp.operations",
        "classify": "connectors.mcp.operations",
    },
)

__all__ = ["McpConnector", "McpServerConfig", "ToolOutput", "ToolOverride", "classify", "open_mcp"]
