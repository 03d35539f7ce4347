"""Google Workspace as the mailbox and the calendar: Gmail v1 and Google Calendar v3 with a
service account's credentials (domain-wide delegation to one subject), behind the same
``email.*`` and ``calendar.*`` operations as the demo world's.

    connector = open_google(GoogleConfig(...), clock=clock)    # see connectors.config
"""

from typing import TYPE_CHECKING

from workflows.lazy import lazy_exports

if TYPE_CHECKING:  # imported when the mailbox is opened, not with the settings
    from connectors.google.connector import GoogleConnector, open_google

__getattr__ = lazy_exports(
    __name__,
    {
        "GoogleConnector": "connectors.google.connector",
        "open_google": "connectors.google.connector",
    },
)

__all__ = ["GoogleConnector", "open_google"]
