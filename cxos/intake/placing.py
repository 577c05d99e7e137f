"""Where a signal that arrived by itself belongs when its payload names no touchpoint.

The same steps as an imported row's (cxos/importers/placement.py): the placement rules on its text, then
the stored placement model when at least CXOS_PLACEMENT_CONFIDENCE sure; then the channel's default
touchpoint setting; else a refusal that keeps the item in the inbox, saying so, to be retried.
"""

from collections.abc import Callable
from typing import Any

from cxos import config
from cxos.errors import ValidationFailed
from cxos.importers.batch import touchpoint_keys
from cxos.importers.placement import placer_for
from cxos.intake.mapping import touchpoint_named
from cxos.intake.slack import USAGE
from cxos.store.store import Store
from cxos.vocabulary import IntakeChannel

SLACK_CHANNELS = {IntakeChannel.SLACK.value, IntakeChannel.SLACK_SHORTCUT.value}
# The setting naming each channel's fallback touchpoint (by name).
DEFAULTS: dict[str, Callable[[], str | None]] = {
    IntakeChannel.SLACK.value: config.slack_touchpoint,
    IntakeChannel.SLACK_SHORTCUT.value: config.slack_touchpoint,
    IntakeChannel.ZENDESK.value: config.zendesk_touchpoint,
    IntakeChannel.INTERCOM.value: config.intercom_touchpoint,
}


def placed(store: Store, channel: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with a touchpoint: as given, inferred from the text, or the channel's default."""
    if fields.get("touchpoint_id") is not None:
        return fields
    with store.read() as session:
        keys = touchpoint_keys(session)
    live = frozenset(i for ids in keys.values() for i in ids)
    placement = placer_for(store, keys, live).place_many([fields])[0]  # reads the stored model itself
    if placement.touchpoint_id is not None:
        return fields | {"touchpoint_id": placement.touchpoint_id}
    default = DEFAULTS.get(channel, lambda: None)()
    if default:
        with store.read() as session:
            return fields | {"touchpoint_id": touchpoint_named(session, default)}
    why = (
        "the payload names none, neither the placement rules nor the placement model placed its text, and no "
        "default touchpoint is set for this channel"
    )
    hint = f"; name one of the journey's touchpoints first: {USAGE}" if channel in SLACK_CHANNELS else ""
    raise ValidationFailed({"touchpoint": why + hint})
