"""Zendesk Support as the support desk: tickets, their requesters and organizations over the
Support API (``/api/v2``), behind the same ``support.*`` operations as the demo world's.

    connector = open_zendesk(ZendeskConfig(...), clock=clock)
"""

from typing import TYPE_CHECKING

from workflows.lazy import lazy_exports

if TYPE_CHECKING:  # imported when the system is opened, not by a run on the demo world alone
    from connectors.zendesk.connector import ZendeskConnector, open_zendesk

_HOME = "connectors.zendesk.connector"
__getattr__ = lazy_exports(__name__, {"ZendeskConnector": _HOME, "open_zendesk": _HOME})

__all__ = ["ZendeskConnector", "open_zendesk"]
