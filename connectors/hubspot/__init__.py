"""HubSpot CRM v3 as the CRM: companies, their deals, owners and engagements (notes, calls,
emails, meetings), behind the same ``crm.*`` operations as the demo world's CRM.

    connector = open_hubspot(HubSpotConfig(...), clock=clock)
"""

from typing import TYPE_CHECKING

from workflows.lazy import lazy_exports

if TYPE_CHECKING:  # imported when the system is opened, not by a run on the demo world alone
    from connectors.hubspot.connector import HubSpotConnector, open_hubspot

_HOME = "connectors.hubspot.connector"
__getattr__ = lazy_exports(__name__, {"HubSpotConnector": _HOME, "open_hubspot": _HOME})

__all__ = ["HubSpotConnector", "open_hubspot"]
