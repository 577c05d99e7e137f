"""An intake payload (the quick-entry fields as JSON) checked, then mapped to the fields of a new signal.

Checking needs no database, so a request with bad fields is refused before anything is stored. Mapping
resolves a touchpoint given by name against the journey as it is when the item is processed: a name the
journey does not have is a mapping failure, kept in the inbox with its reason until the journey has it.
"""

import json
from typing import Any

from sqlmodel import Session

from cxos.errors import ValidationFailed
from cxos.inputs import SignalCreate, parse, split_title
from cxos.journey.map import touchpoint_options
from cxos.models import InboxItem

# The fields a caller may send: quick entry's, with the touchpoint by id or by name.
ALLOWED = frozenset(
    set(SignalCreate.model_fields) - {"client_token", "touchpoint_id"} | {"touchpoint", "touchpoint_id"}
)
PLACEHOLDER_TOUCHPOINT = 1  # stands in for a touchpoint given by name while the other fields are checked


def read_payload(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a refusal naming what is wrong with it."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationFailed({"body": f"is not JSON ({error})"}) from None
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "must be a JSON object of signal fields"})
    return data


def check_fields(data: dict[str, Any]) -> None:
    """Refuse, naming every bad field, a payload that could never become a signal (no database needed)."""
    problems: dict[str, str] = {}
    for field in data:
        if field not in ALLOWED:
            problems[field] = "is not a signal field"
    touchpoint = data.get("touchpoint")
    has_id = data.get("touchpoint_id") is not None
    if touchpoint is not None and has_id:
        problems["touchpoint"] = "give touchpoint or touchpoint_id, not both"
    elif touchpoint is not None and (not isinstance(touchpoint, str) or not touchpoint.strip()):
        problems["touchpoint"] = "must be a touchpoint's name"
    elif touchpoint is None and not has_id:
        problems["touchpoint_id"] = "is required (or touchpoint, by name)"
    shape = _signal_fields(
        data, touchpoint_id=data.get("touchpoint_id") if has_id else PLACEHOLDER_TOUCHPOINT
    )
    try:
        parse(SignalCreate, shape)
    except ValidationFailed as refused:
        for field, why in refused.problems.items():
            problems.setdefault(field, why)
    if problems:
        raise ValidationFailed(problems)


def to_signal(session: Session, data: dict[str, Any], client_token: str) -> dict[str, Any]:
    """The new signal's fields, the touchpoint resolved against the journey as it is now."""
    check_fields(data)
    touchpoint_id = data.get("touchpoint_id")
    if touchpoint_id is None:
        touchpoint_id = touchpoint_named(session, str(data["touchpoint"]))
    return _signal_fields(data, touchpoint_id=touchpoint_id) | {"client_token": client_token}


def _signal_fields(data: dict[str, Any], *, touchpoint_id: Any) -> dict[str, Any]:
    fields = {
        key: value
        for key, value in data.items()
        if key in ALLOWED and key not in {"touchpoint", "touchpoint_id"}
    }
    title = fields.get("title")
    if isinstance(title, str):  # as quick entry does: an over-long title is cut at a word, the rest kept
        head, rest = split_title(title.strip())
        fields["title"] = head
        if rest:
            described = fields.get("description")
            fields["description"] = "\n\n".join(
                part for part in (rest, described if isinstance(described, str) else "") if part
            )
    return fields | {"touchpoint_id": touchpoint_id}


def api_signal(session: Session, item: InboxItem, client_token: str) -> dict[str, Any]:
    """An API request's stored body → the new signal's fields."""
    return to_signal(session, read_payload(item.payload.encode("utf-8")), client_token)


def touchpoint_named(session: Session, name: str) -> int:
    """The id of the journey's one live touchpoint of this name (case ignored), or a refusal saying why not."""
    wanted = name.strip().casefold()
    matches = [tp for tp in touchpoint_options(session) if tp.name.casefold() == wanted]
    if not matches:
        raise ValidationFailed({"touchpoint": f"{name!r} is not a touchpoint of the journey"})
    if len(matches) > 1:
        stages = ", ".join(tp.stage for tp in matches)
        raise ValidationFailed({"touchpoint": f"{name!r} is in several stages ({stages})"})
    return matches[0].id
