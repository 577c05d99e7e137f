"""Generic JSON webhooks: any JSON object, flattened to dotted keys, mapped by an import profile.

A forum, a survey tool or an AI agent's "failed to answer" events send what they send; an admin saves an
import profile (the Import page) whose columns are the payload's dotted keys (`post.title`, `user.email`,
`tags.0`) and whose defaults give the source and touchpoint. A payload the profile cannot map waits in the
inbox; once the profile is fixed, a retry maps it again.
"""

import json
from typing import Any

from sqlmodel import Session

from cxos.clock import utcnow
from cxos.errors import ValidationFailed
from cxos.importers.batch import mapped_fields, touchpoint_keys
from cxos.importers.profiles import profile_in
from cxos.models import InboxItem

MAX_KEYS = 2_000  # a payload flattened past this is not an event someone mapped by hand


def flatten(value: Any, prefix: str = "", into: dict[str, str] | None = None) -> dict[str, str]:
    """A JSON value as dotted keys → text: {"post": {"title": "x"}, "tags": ["a"]} → post.title, tags.0."""
    out = {} if into is None else into
    if len(out) > MAX_KEYS:
        raise ValidationFailed({"body": f"has more than {MAX_KEYS:,} values"})
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            flatten(item, f"{prefix}.{index}" if prefix else str(index), out)
    elif value is not None:
        out[prefix] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def json_signal(session: Session, item: InboxItem, client_token: str) -> dict[str, Any]:
    """A generic JSON item → the new signal's fields, through its import profile as it is now."""
    profile = profile_in(session, item.profile)
    if profile is None:
        raise ValidationFailed(
            {"profile": f"no import profile is called {item.profile!r}: save one on Import"}
        )
    try:
        data = json.loads(item.payload)
    except json.JSONDecodeError as error:
        raise ValidationFailed({"body": f"is not JSON ({error})"}) from None
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    mapped = mapped_fields(flatten(data), profile, touchpoints=touchpoint_keys(session), now=utcnow())
    if isinstance(mapped, str):
        raise ValidationFailed({"mapping": f"{mapped} (profile {profile.name!r})"})
    return mapped.fields | {"client_token": client_token}
