"""Signals for tests, made the way the app makes them: the input a form sends, one logged through create_signal,
one routed through assign_owner, and a stored one moved straight into the state or time a test starts from."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from cxos.clock import utcnow
from cxos.identity import Actor
from cxos.models import Signal, Team
from cxos.signals.writes import assign_owner, create_signal
from cxos.store.store import Store
from tests.conftest import CONTRIBUTOR, COUNCIL

TITLE = "SSO users missing after sync"


def signal_input(
    *, touchpoint_id: int, title: str = TITLE, source: str = "ticket", **fields: Any
) -> dict[str, Any]:
    """A valid `signal_in` for create_signal, with `fields` on top. A plain dict, as a form sends it: the
    service parses it, so a test can hand it what the service must clean or refuse."""
    return {"title": title, "source": source, "touchpoint_id": touchpoint_id} | fields


def log_signal(store: Store, *, touchpoint_id: int, actor: Actor = CONTRIBUTOR, **fields: Any) -> Signal:
    """One signal logged through create_signal by `actor` (a contributor unless a test says otherwise)."""
    return create_signal(store, signal_in=signal_input(touchpoint_id=touchpoint_id, **fields), actor=actor)


def routed_signal(
    store: Store,
    *,
    touchpoint_id: int,
    team_id: int,
    routed_by: str | None = None,
    actor: Actor = COUNCIL,
    **fields: Any,
) -> Signal:
    """One signal logged by a contributor, then given to `team_id` through assign_owner (by the council)."""
    signal = log_signal(store, touchpoint_id=touchpoint_id, **fields)
    return assign_owner(
        store,
        signal_id=signal.id,
        expected_version=signal.version,
        team_id=team_id,
        actor=actor,
        routed_by=routed_by,
    )


def as_seen(store: Store, signal_ids: Iterable[int]) -> dict[int, int]:
    """{signal id: version stored now}: what a page that just drew these signals sends with a change of them
    (version 1 for an id that is not stored, so the service's own NotFound answers for it)."""
    wanted = list(signal_ids)
    with store.read() as session:
        stored = dict(session.exec(select(Signal.id, Signal.version).where(col(Signal.id).in_(wanted))).all())
    return {signal_id: stored.get(signal_id, 1) for signal_id in wanted}


def overwrite_signal(store: Store, *, signal_id: int, **columns: Any) -> None:
    """Set a stored signal's columns directly: the state or the time a test starts from. No event is written,
    the version stays and no lifecycle rule is checked; what a test wants to exercise goes through a service."""
    with store.write() as session:
        session.execute(update(Signal).where(Signal.id == signal_id).values(**columns))


# Three teams' distinct vocabularies: the owner model learns them from a few dozen confirmed routes.
VOCABULARY = {
    "billing": [
        "invoice charged twice",
        "refund for the annual plan",
        "credit card declined at renewal",
        "VAT missing on the invoice",
        "proration on upgrade looks wrong",
    ],
    "docs": [
        "help article about webhooks is outdated",
        "search in the knowledge base finds nothing",
        "guide screenshots show the old menu",
        "API reference lacks an example",
        "tutorial link is broken",
    ],
    "sso": [
        "SAML login loops back to the sign-in page",
        "Okta assertion rejected",
        "SCIM provisioning failed",
        "single sign-on certificate expired",
        "Azure AD group mapping ignored",
    ],
}
PREFIXES = ["Customer says", "Ticket:", "Again:", "From Slack:", "Escalation -", "Call note:"]


def seed_confirmed_routes(
    store,
    touchpoint_id: int,
    *,
    per_team: int,
    routed_by: str = "person:Priya Shah",
    status: str = "routed",
    routed_days_ago: float = 1,
) -> dict[str, int]:
    """Confirmed routes written straight to the table: `per_team` per vocabulary, each team a real team."""
    with store.read() as session:
        team_ids = [t.id for t in session.exec(select(Team).order_by(Team.id)).all()][: len(VOCABULARY)]
    teams = dict(zip(VOCABULARY, team_ids, strict=True))
    routed_at = utcnow() - timedelta(days=routed_days_ago)
    with store.write() as session:
        for owner, phrases in VOCABULARY.items():
            for n in range(per_team):
                session.add(
                    Signal(
                        title=f"{PREFIXES[n % len(PREFIXES)]} {phrases[n % len(phrases)]}",
                        source="ticket",
                        touchpoint_id=touchpoint_id,
                        owner_team_id=teams[owner],
                        status=status,
                        routed_by=routed_by,
                        routed_at=routed_at,
                        created_at=routed_at - timedelta(hours=2),
                    )
                )
    return teams
