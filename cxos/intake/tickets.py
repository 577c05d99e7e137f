"""Zendesk and Intercom webhooks: a ticket or conversation → a signal, one per ticket, later events update it.

Zendesk signs a webhook with its signing secret: base64 HMAC-SHA256 of timestamp + body, in
X-Zendesk-Webhook-Signature (timestamp in X-Zendesk-Webhook-Signature-Timestamp). Intercom signs with the app's
client secret: `sha1=` + hex HMAC-SHA1 of the body, in X-Hub-Signature. The signal's external reference is the
ticket's or conversation's link, so a second event about it finds the first signal instead of a new one.
"""

import base64
import hashlib
import hmac
import html
import json
import re
from datetime import datetime
from typing import Any

from sqlmodel import Session

from cxos.errors import ValidationFailed
from cxos.inputs import split_title
from cxos.intake.mapping import touchpoint_named
from cxos.models import InboxItem
from cxos.vocabulary import Source

WINDOW_S = 5 * 60
_TAG = re.compile(r"<[^>]+>")


def zendesk_signature_problem(
    secret: str | None, *, timestamp: str, body: bytes, signature: str, now: float
) -> str | None:
    """Why this request is not Zendesk's (None when it is)."""
    if not secret:
        return "Zendesk is not connected: set CXOS_ZENDESK_SIGNING_SECRET to the webhook's signing secret."
    try:
        sent = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return "The request has no readable X-Zendesk-Webhook-Signature-Timestamp."
    if abs(now - sent) > WINDOW_S:
        return "The request's timestamp is more than five minutes away from now (a replay, or a wrong clock)."
    expected = base64.b64encode(
        hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    ).decode()
    if not hmac.compare_digest(expected, signature.strip()):
        return "The request's X-Zendesk-Webhook-Signature does not match the signing secret."
    return None


def intercom_signature_problem(secret: str | None, *, body: bytes, signature: str) -> str | None:
    """Why this request is not Intercom's (None when it is)."""
    if not secret:
        return "Intercom is not connected: set CXOS_INTERCOM_CLIENT_SECRET to the app's client secret."
    expected = "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected, signature.strip()):
        return "The request's X-Hub-Signature does not match the client secret."
    return None


def zendesk_signal(session: Session, item: InboxItem, client_token: str) -> dict[str, Any]:
    """A Zendesk trigger's JSON (README: the body to give the webhook) → the signal's fields."""
    data = _json_object(item.payload)
    ticket = _object(data.get("ticket")) or data
    ticket_id = _text(ticket.get("id"))
    if not ticket_id:
        raise ValidationFailed({"ticket.id": "is required"})
    title, rest = split_title(
        _text(ticket.get("title") or ticket.get("subject")) or f"Zendesk ticket {ticket_id}"
    )
    return _fields(
        session,
        title=title,
        description="\n\n".join(p for p in (rest, _text(ticket.get("description"))) if p),
        reference=_text(ticket.get("url")) or f"zendesk-{ticket_id}",
        reporter=_text(ticket.get("requester")),
        account=_text(ticket.get("organization")),
        touchpoint=_text(ticket.get("touchpoint")),
        client_token=client_token,
    )


def intercom_signal(session: Session, item: InboxItem, client_token: str) -> dict[str, Any]:
    """An Intercom conversation notification (conversation.user.created, .replied …) → the signal's fields."""
    data = _json_object(item.payload)
    conversation = _object(_object(data.get("data")).get("item"))
    if conversation.get("type") != "conversation" or not conversation.get("id"):
        raise ValidationFailed({"data.item": "is not a conversation"})
    source = _object(conversation.get("source"))
    author = _object(source.get("author"))
    text = _plain(_text(source.get("body")))
    title, rest = split_title(
        _text(conversation.get("title"))
        or _plain(_text(source.get("subject")))
        or text[:200]
        or "Intercom conversation"
    )
    return _fields(
        session,
        title=title,
        description="\n\n".join(p for p in (rest, text) if p),
        reference=_conversation_link(data, conversation),
        reporter=_text(author.get("email")) or _text(author.get("name")),
        account=None,
        touchpoint=None,
        client_token=client_token,
    )


def _conversation_link(data: dict[str, Any], conversation: dict[str, Any]) -> str:
    """The conversation's page in Intercom's inbox when the notification names the app; else a plain reference
    (a signal's reference is an http(s) link or a plain ticket number, never another scheme)."""
    app_id = _text(data.get("app_id"))
    if app_id:
        return f"https://app.intercom.com/a/apps/{app_id}/inbox/inbox/conversation/{conversation['id']}"
    return f"intercom-conversation-{conversation['id']}"


def _fields(
    session: Session,
    *,
    title: str,
    description: str,
    reference: str,
    reporter: str | None,
    account: str | None,
    touchpoint: str | None,
    client_token: str,
) -> dict[str, Any]:
    return {
        "title": title,
        "description": description[:10_000],
        "source": Source.TICKET.value,
        # None: the inbox infers it from the text, then falls back to the channel's default (inbox.py)
        "touchpoint_id": touchpoint_named(session, touchpoint) if touchpoint else None,
        "external_ref": reference[:2_000],
        "reporter": reporter,
        "account": account,
        "client_token": client_token,
    }


def _json_object(payload: str) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as error:
        raise ValidationFailed({"body": f"is not JSON ({error})"}) from None
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    return data


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (a payload's shape is the sender's, not ours)."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _plain(markup: str) -> str:
    """Intercom sends message bodies as HTML: the text, tags dropped, entities read."""
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub(" ", markup))).strip()
