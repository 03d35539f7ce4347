"""Connectors: the business systems Crosswire talks to and the unified data layer over them.

``connectors.protocol`` says what a connector is; ``connectors.configured`` opens the ones the
settings name (``connectors.config``); ``connectors.demo`` holds the built-in demo systems of
Northwind Labs and ``connectors.stripe`` billing over Stripe's API; ``connectors.http`` maps
HTTP failures to ``connectors.errors``, the connector error tree; ``connectors.identity``
links one customer's records across systems.
"""
