"""Principals by email, cached for the policy's time to live on the injected clock.

A principal is worked out from a fresh reading of the org when it is first asked for and
again once its entry has expired, so a changed role, owner or deal team takes effect within
``ttl`` without a restart; within it, every call of a run costs no read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from connectors.access.org import OrgSource
from connectors.access.policy import AccessPolicy
from connectors.access.principal import AccessPrincipal, principal_of
from workflows.clock import Clock


class Principals:
    """Who may see what, by email (the requester's, as every call's context carries it)."""

    def __init__(self, source: OrgSource, policy: AccessPolicy, clock: Clock) -> None:
        self.source = source
        self.policy = policy
        self.clock = clock
        self._cache: dict[str, tuple[datetime, AccessPrincipal]] = {}

    async def of(self, email: str) -> AccessPrincipal:
        """The principal of ``email``: cached, or worked out again once expired."""
        key = email.strip().lower()
        now = self.clock.now()
        cached = self._cache.get(key)
        if cached is not None and now < cached[0]:
            return cached[1]
        principal = principal_of(await self.source.org(), self.policy, key)
        self._cache[key] = (now + self.policy.ttl, principal)
        return principal

    async def refusals(self, email: str, account_ids: Sequence[str]) -> dict[str, str]:
        """For each of ``account_ids`` that ``email`` may see nothing of, what they are told
        ("You don't have access to Blue Harbor Logistics; its owner is Marcus Chen.")."""
        principal = await self.of(email)
        return {
            account_id: str(principal.refusal(account_id))
            for account_id in dict.fromkeys(account_ids)
            if not principal.may_see_any(account_id)
        }
