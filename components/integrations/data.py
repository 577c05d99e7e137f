"""Cached loaders for the Integrations page: the tokens and the inbox, refreshed when either changes."""

from datetime import datetime
from typing import Any

from components.common.data import get_store, versioned
from cxos.intake import inbox
from cxos.intake.tokens import list_tokens
from cxos.models import InboxItem, IntegrationToken
from cxos.vocabulary import TokenScope


@versioned(IntegrationToken)
def load_tokens() -> list[dict[str, Any]]:
    """Every token as the table shows it (never its hash)."""
    return [
        {
            "id": token.id,
            "Integration": token.name,
            "Scope": TokenScope(token.scope).label,
            "Ends in": f"…{token.hint}",
            "Created": _when(token.created_at),
            "Created by": token.created_by,
            "Last used": _when(token.last_used_at) or "never",
            "Revoked": f"{_when(token.revoked_at)} by {token.revoked_by}" if token.revoked_at else "",
        }
        for token in list_tokens(get_store())
    ]


@versioned(InboxItem)
def load_inbox_counts() -> dict[str, int]:
    return inbox.state_counts(get_store())


@versioned(InboxItem, IntegrationToken)
def load_failed_items() -> list[dict[str, Any]]:
    """The inbox items that did not become signals, with their reason and the raw payload."""
    names = {token.id: token.name for token in list_tokens(get_store())}
    return [
        {
            "id": item.id,
            "Received": _when(item.created_at),
            "From": names.get(item.token_id, item.channel) if item.token_id else item.channel,
            "Reason": item.reason,
            "Attempts": item.attempts,
            "payload": item.payload,
        }
        for item in inbox.failed_items(get_store())
    ]


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else ""
