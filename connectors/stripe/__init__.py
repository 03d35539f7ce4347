"""Stripe as the billing system: customers and invoices over Stripe's REST API (``/v1``), behind
the same ``billing.*`` operations as the demo world's billing.

    connector = StripeConnector(httpx.AsyncClient(...), clock=clock)   # see StripeConfig
"""

from connectors.stripe.connector import StripeConnector, open_stripe

__all__ = ["StripeConnector", "open_stripe"]
