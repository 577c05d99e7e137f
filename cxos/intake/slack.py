"""Slack's /friction slash command: the request's signature checked, its text mapped to a signal.

Slack signs each request with the app's signing secret: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>`, sent
in X-Slack-Signature with the timestamp in X-Slack-Request-Timestamp. A request older or newer than five
minutes is refused, so a captured one cannot be replayed later. `/friction Touchpoint: what happened` names
the touchpoint; without one the signal goes to CXOS_SLACK_TOUCHPOINT (or stays in the inbox, saying so).
"""

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qs

from sqlmodel import Session

from cxos import config
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


def _touchpoint_and_text(session: Session, text: str) -> tuple[int, str]:
    """`Touchpoint: what happened` → (its id, what happened); else the default touchpoint and all the text."""
    named, colon, rest = text.partition(":")
    if colon and rest.strip():
        names = {tp.name.casefold() for tp in touchpoint_options(session)}
        if named.strip().casefold() in names:
            return touchpoint_named(session, named), rest.strip()
    default = config.slack_touchpoint()
    if not default:
        raise ValidationFailed({"touchpoint": f"name one of the journey's touchpoints first: {USAGE}"})
    return touchpoint_named(session, default), text
