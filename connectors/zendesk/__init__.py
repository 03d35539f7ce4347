"""Zendesk Support as the support desk: tickets, their requesters and organizations over the
Support API (``/api/v2``), behind the same ``support.*`` operations as the demo world's.

    connector = open_zendesk(ZendeskConfig(...), clock=clock)
"""

from connectors.zendesk.connector import ZendeskConnector, open_zendesk

__all__ = ["ZendeskConnector", "open_zendesk"]
