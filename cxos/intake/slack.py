"""Slack's /friction slash command and "Log as friction" message shortcut: signatures checked, mapped to signals.

Slack signs each request with the app's signing secret: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>`, sent
in X-Slack-Signature with the timestamp in X-Slack-Request-Timestamp. A request older or newer than five
minutes is refused, so a captured one cannot be replayed later. `/friction Touchpoint: what happened` names
the touchpoint; without one it is inferred from the text (the placement rules, then the placement model when
sure enough), else the signal goes to CXOS_SLACK_TOUCHPOINT (or stays in the inbox, saying so). The
message shortcut logs the message it was used on: its text, its author, its channel and its permalink (the
signal's reference, so the same message logged twice is one signal), the touchpoint found the same way.
"""

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qs

from sqlmodel import Session

from cxos.errors import ValidationFailed
from cxos.inputs import split_title
from cxos.intake.mapping import touchpoint_named
from cxos.journey.map import touchpoint_options
from cxos.models import InboxItem
from cxos.vocabulary import Source

WINDOW_S = 5 * 60
USAGE = "/friction Touchpoint: what happened (the touchpoint may be left out when a default is set)"


def signature_problem(
    secret: str | None, *, timestamp: str, body: bytes, signature: str, now: float
) -> str | None:
    """Why this request is not Slack's (None when it is): no secret set, a stale timestamp, a wrong signature."""
    if not secret:
        return "Slack is not connected: set CXOS_SLACK_SIGNING_SECRET to the app's signing secret."
    if not timestamp.isdigit():
        return "The request has no X-Slack-Request-Timestamp."
    if abs(now - int(timestamp)) > WINDOW_S:
        return "The request's timestamp is more than five minutes away from now (a replay, or a wrong clock)."
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip()):
        return "The request's X-Slack-Signature does not match the signing secret."
    return None


def command_form(payload: str) -> dict[str, str]:
    """A slash command's form fields (the first value of each)."""
    return {key: values[0] for key, values in parse_qs(payload, keep_blank_values=True).items()}


def reporter_of(form: dict[str, str]) -> str:
    """Who ran the command, as the friction log names them (and the actor of its events)."""
    return f"{form.get('user_name') or form.get('user_id') or 'someone'} (Slack)"


def slash_command_signal(session: Session, item: InboxItem, client_token: str) -> dict[str, Any]:
    """A /friction command's stored form → the new signal's fields."""
    form = command_form(item.payload)
    text = (form.get("text") or "").strip()
    if not text:
        raise ValidationFailed({"text": f"says nothing: {USAGE}"})
    touchpoint_id, said = _touchpoint_and_text(session, text)
    title, rest = split_title(said)
    where = f"#{form['channel_name']}" if form.get("channel_name") else "a direct message"
    description = "\n\n".join(part for part in (rest, f"Logged with /friction in {where}.") if part)
    return {
        "title": title,
        "description": description,
        "source": Source.SLACK.value,
        "touchpoint_id": touchpoint_id,
        "reporter": reporter_of(form),
        "client_token": client_token,
    }


def _touchpoint_and_text(session: Session, text: str) -> tuple[int | None, str]:
    """`Touchpoint: what happened` → (its id, what happened); else (None, all the text): the inbox infers the
    touchpoint from the text, then falls back to CXOS_SLACK_TOUCHPOINT (cxos/intake/inbox.py)."""
    named, colon, rest = text.partition(":")
    if colon and rest.strip():
        names = {tp.name.casefold() for tp in touchpoint_options(session)}
        if named.strip().casefold() in names:
            return touchpoint_named(session, named), rest.strip()
    return None, text


def shortcut_payload(form: dict[str, str]) -> dict[str, Any]:
    """The JSON an interactivity request carries in its `payload` field ({} when it has none)."""
    try:
        data = json.loads(form.get("payload") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def shortcut_runner(payload: dict[str, Any]) -> str:
    """Who used the shortcut, as the friction log names them (the actor of the signal's events)."""
    user = _part(payload, "user")
    return f"{user.get('username') or user.get('name') or user.get('id') or 'someone'} (Slack)"


def permalink(payload: dict[str, Any]) -> str | None:
    """The message's address in Slack: https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>."""
    team, channel = _part(payload, "team"), _part(payload, "channel")
    ts = str(_part(payload, "message").get("ts") or payload.get("message_ts") or "")
    if not (team.get("domain") and channel.get("id") and ts):
        return None
    return f"https://{team['domain']}.slack.com/archives/{channel['id']}/p{ts.replace('.', '')}"


def shortcut_signal(session: Session, item: InboxItem, client_token: str) -> dict[str, Any]:
    """A "Log as friction" message shortcut's stored request → the new signal's fields."""
    payload = shortcut_payload(command_form(item.payload))
    if payload.get("type") != "message_action":
        raise ValidationFailed({"type": "is not a message shortcut (message_action)"})
    message = _part(payload, "message")
    text = str(message.get("text") or "").strip()
    if not text:
        raise ValidationFailed({"message": "has no text to log"})
    touchpoint_id, said = _touchpoint_and_text(session, text)
    # A message's first line is its title, as a person writing it would mean it; the rest is its details.
    first, _, remainder = said.partition("\n")
    title, rest = split_title(first.strip())
    profile = _part(message, "user_profile")
    author = (
        profile.get("display_name")
        or profile.get("real_name")
        or message.get("username")
        or message.get("user")
    )
    channel = _part(payload, "channel").get("name")
    where = f"#{channel}" if channel else "Slack"
    said_by = f"Posted by {author} in {where}; logged with the Log as friction shortcut."
    return {
        "title": title,
        "description": "\n\n".join(part for part in (rest, remainder.strip(), said_by) if part),
        "source": Source.SLACK.value,
        "touchpoint_id": touchpoint_id,
        "reporter": str(author)[:320] if author else None,
        "external_ref": permalink(payload),
        "client_token": client_token,
    }


def _part(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
