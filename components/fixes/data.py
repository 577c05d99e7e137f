"""Cached loaders for the fixes & loops page: fixes in flight, shipped fixes with their recurrence, notices, template."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import select

from components.common.data import get_store, versioned
from cxos.fixes.lifecycle import FixRow, ShippedFix, fixes_in_flight, fixes_shipped_since
from cxos.fixes.loops import notice_template, notices_for_fix, template_version
from cxos.fixes.recurrence import Recurrence, recurrence_for_fix
from cxos.models import FailureMode, Fix, LoopNotice, Setting, Signal, Team

EVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FixesView:
    in_flight: list[FixRow]
    shipped: list[ShippedFix]  # newest first
    recurrence: dict[int, Recurrence]  # fix id → before vs after
    modes: list[tuple[int, str]]  # accepted failure modes, for planning a fix


@versioned(Fix, LoopNotice, FailureMode, Signal, Team)
def load_fixes(now: datetime) -> FixesView:
    with get_store().read() as session:
        shipped = fixes_shipped_since(session, since=EVER)
        fixes = {f.id: f for f in session.exec(select(Fix).where(Fix.id.in_([s.fix_id for s in shipped])))}
        modes = session.exec(
            select(FailureMode.id, FailureMode.name)
            .where(FailureMode.status == "accepted")
            .order_by(FailureMode.name)
        ).all()
        return FixesView(
            in_flight=fixes_in_flight(session, now=now),
            shipped=shipped,
            recurrence={fid: recurrence_for_fix(session, fix, now=now) for fid, fix in fixes.items()},
            modes=[(mode_id, name) for mode_id, name in modes],
        )


@versioned(Fix)
def load_fix(fix_id: int) -> Fix | None:
    with get_store().read() as session:
        return session.get(Fix, fix_id)


@versioned(LoopNotice)
def load_notices(fix_id: int) -> list[LoopNotice]:
    with get_store().read() as session:
        return notices_for_fix(session, fix_id)


@versioned(Setting)
def load_template() -> tuple[str, int]:
    """The notice template and its version (0: never saved, the default is shown)."""
    with get_store().read() as session:
        return notice_template(session), template_version(session)
