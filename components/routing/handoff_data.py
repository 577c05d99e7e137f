"""Cached loaders for the handoffs page: bounced signals, stale items, team backlogs, one signal's owner spells."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from components.common.data import get_store, versioned
from cxos.models import OwnerHistory, Signal
from cxos.routing import handoffs

SHOWN = 100


@dataclass(frozen=True)
class HandoffView:
    bounced: list[dict[str, Any]]  # bounced at least once, the most bounced first
    flagged: int  # bounced three or more times
    stale: list[dict[str, Any]]  # the longest silent first
    stale_count: int
    backlogs: list[handoffs.TeamBacklog]


@versioned(Signal, OwnerHistory)
def load_handoffs(now: datetime, stale_days: int) -> HandoffView:
    with get_store().read() as session:
        return HandoffView(
            bounced=handoffs.bounced_signals(session, at_least=1, limit=SHOWN),
            flagged=handoffs.count_bounced(session),
            stale=handoffs.stale_signals(session, now=now, days=stale_days, limit=SHOWN),
            stale_count=handoffs.count_stale(session, now=now, days=stale_days),
            backlogs=handoffs.team_backlogs(session, now=now),
        )


@versioned(Signal)
def load_owner_spells(signal_id: int, now: datetime) -> list[handoffs.OwnerSpell]:
    with get_store().read() as session:
        return handoffs.owner_spells(session, signal_id, now=now)
