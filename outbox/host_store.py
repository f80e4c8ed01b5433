"""SQL of the peer hosts' health that the inbox reads (beside ``store.py``,
which the delivery worker's side owns; the two may be merged).

``record_host_success`` (in ``outbox.store``) clears a host; this module only
says which hosts have anything to clear, so the inbox can make that write
for those alone and not on every delivery."""

from __future__ import annotations

from typing import Any


async def hosts_to_clear(conn: Any) -> frozenset[str]:
    """Hosts with failure days or marked unavailable, spelled as
    ``deliveries.host`` (``federation.addresses.authority``)."""
    rows = await conn.fetch(
        """SELECT host FROM peer_hosts
           WHERE failure_days <> '{}' OR unavailable_since IS NOT NULL"""
    )
    return frozenset(row["host"] for row in rows)
