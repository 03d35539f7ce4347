"""Any MCP server as a system: its tools become catalog operations (:mod:`.operations`),
over stdio or streamable HTTP (:mod:`.session`), as crosswire.toml says (:mod:`.config`)."""

from connectors.mcp.config import McpServerConfig, ToolOverride
from connectors.mcp.connector import McpConnector, open_mcp
from connectors.mcp.operations import ToolOutput, classify

__all__ = ["McpConnector", "McpServerConfig", "ToolOutput", "ToolOverride", "classify", "open_mcp"]
