"""The triage queue with the owner model's three best guesses for each waiting signal."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from cxos.models import Signal, Touchpoint
from cxos.routing.owner_model import OwnerModel, Suggestion, join_text
from cxos.signals.queries import triage_condition
from cxos.store.store import Store


@dataclass(frozen=True)
class WaitingSignal:
    """One signal in triage, the version it was read at (for the stale-write check), and its suggestions."""

    id: int
    version: int
    created_at: datetime
    title: str
    touchpoint_id: int
    suggestions: tuple[Suggestion, ...]

    def confident(self, threshold: float) -> bool:
        return bool(self.suggestions) and self.suggestions[0][1] >= threshold


def triage_with_suggestions(
    store: Store, model: OwnerModel[int] | None, *, limit: int
) -> tuple[int, list[WaitingSignal]]:
    """How many signals wait in triage, and the oldest `limit` of them with their top three owners."""
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            col(Signal.id),
            col(Signal.version),
            col(Signal.created_at),
            col(Signal.title),
            col(Signal.description),
            col(Signal.touchpoint_id),
            col(Touchpoint.name),
        )
        .join(Touchpoint, col(Touchpoint.id) == col(Signal.touchpoint_id))
        .where(triage_condition())
        .order_by(col(Signal.created_at), col(Signal.id))
        .limit(limit)
    )
    with store.read() as session:
        total = session.exec(select(func.count()).select_from(Signal).where(triage_condition())).one()
        rows = session.exec(query).all()
    ranked = (
        model.suggest([join_text(r.title, r.description) for r in rows], [r.name for r in rows])
        if model
        else []
    )
    return total, [
        WaitingSignal(
            r.id,
            r.version,
            r.created_at,
            r.title,
            r.touchpoint_id,
            tuple((int(team), confidence) for team, confidence in ranked[n]) if ranked else (),
        )
        for n, r in enumerate(rows)
    ]
