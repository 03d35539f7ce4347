"""Who may see what: the requester's principal (roles, team, territory) on every call.

    principals = Principals(DemoOrg(world), AccessPolicy.load(), clock)
    catalog = guarded(catalog, principals, log)   # every operation checked, lists narrowed

A rep's territory is the accounts they own and those where they are on an open deal's team;
a manager's adds their reports' territories; finance reads every account's billing; billing
amounts are for finance, the account owner and managers (the packaged ``policy.toml``).
"""

from connectors.access.guard import AccessLog, guarded
from connectors.access.org import Org, OrgSource, Person
from connectors.access.policy import AccessPolicy, AccessPolicyError
from connectors.access.principal import AccessPrincipal
from connectors.access.principals import Principals
from connectors.access.refusal import NoAccess
from connectors.access.scope import Scoped

__all__ = [
    "AccessLog",
    "AccessPolicy",
    "AccessPolicyError",
    "AccessPrincipal",
    "NoAccess",
    "Org",
    "OrgSource",
    "Person",
    "Principals",
    "Scoped",
    "guarded",
]
