"""The core of Crosswire: objectives, plans, the engine, the audit record and the workflow library.

This package imports neither Slack nor an HTTP client; the edge (``bot``) and the systems
(``connectors``) plug into it through the protocols in :mod:`workflows.catalog` and
:mod:`workflows.ports`.
"""
