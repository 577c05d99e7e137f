"""Closing a council: the minutes are written from the session as stored at that moment, so every decision,
action and attendee anyone recorded is in them, and nobody's close is refused for someone else's decision."""

from sqlmodel import Session

from cxos.clock import utcnow
from cxos.council.minutes import minutes_input, render_minutes
from cxos.council.sessions import locked_open_session
from cxos.identity import Actor, require
from cxos.inputs import storable_field
from cxos.models import CouncilSession
from cxos.store.audit import apply_changes
from cxos.store.store import Store
from cxos.vocabulary import EventAction


def close_council(store: Store, *, session_id: int, actor: Actor, pulse_line: str = "") -> CouncilSession:
    """Save the minutes and close the session; refused only when someone closed it already (saying who, when)."""
    require(actor, "run_council")
    pulse_line = storable_field("pulse_line", pulse_line)
    with store.write() as session:
        council = locked_open_session(session, session_id)
        now = utcnow()
        text = current_minutes(session, council, pulse_line=pulse_line)
        apply_changes(
            session,
            council,
            actor,
            {"minutes": text, "status": "closed", "closed_at": now},
            action=EventAction.CLOSED,
        )
        return council


def current_minutes(session: Session, council: CouncilSession, *, pulse_line: str = "") -> str:
    return render_minutes(minutes_input(session, council, pulse_line=pulse_line))
