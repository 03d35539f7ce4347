"""HubSpot CRM v3 as the CRM: companies, their deals, owners and engagements (notes, calls,
emails, meetings), behind the same ``crm.*`` operations as the demo world's CRM.

    connector = open_hubspot(HubSpotConfig(...), clock=clock)
"""

from connectors.hubspot.connector import HubSpotConnector, open_hubspot

__all__ = ["HubSpotConnector", "open_hubspot"]
