"""Connectors: the business systems Crosswire talks to and the unified data layer over them.

``connectors.demo`` holds the built-in demo systems of Northwind Labs; ``connectors.identity``
links one customer's records across systems; ``connectors.errors`` is the connector error tree.
"""
