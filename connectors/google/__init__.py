"""Google Workspace as the mailbox and the calendar: Gmail v1 and Google Calendar v3 with a
service account's credentials (domain-wide delegation to one subject), behind the same
``email.*`` and ``calendar.*`` operations as the demo world's.

    connector = open_google(GoogleConfig(...), clock=clock)    # see connectors.config
"""

from connectors.google.connector import GoogleConnector, open_google

__all__ = ["GoogleConnector", "open_google"]
