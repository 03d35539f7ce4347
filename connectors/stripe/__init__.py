"""Stripe as the billing system: customers and invoices over Stripe's REST API (``/v1``), behind
the same ``billing.*`` operations as the demo world's billing.

    connector = StripeConnector(httpx.AsyncClient(...), clock=clock)   # see StripeConfig
"""

from typing import TYPE_CHECKING

from workflows.lazy import lazy_exports

if TYPE_CHECKING:  # imported when the system is opened, not by a run on the demo world alone
    from connectors.stripe.connector import StripeConnector, open_stripe

_HOME = "connectors.stripe.connector"
__getattr__ = lazy_exports(__name__, {"StripeConnector": _HOME, "open_stripe": _HOME})

__all__ = ["StripeConnector", "open_stripe"]
