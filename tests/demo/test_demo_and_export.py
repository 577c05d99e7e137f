"""Demo data (deterministic, realistic, consistent with the invariants) and the formula-safe export."""

import csv
import io
import json

from sqlalchemy import func
from sqlmodel import select

from cxos.cli.main import main
from cxos.demo.build import build_demo
from cxos.models import Event, FailureMode, Fix, Signal
from cxos.signals import queries
from cxos.signals.export import export_rows, neutralise, write_csv, write_json
from cxos.signals.lifecycle import OWNER_REQUIRED, TRIAGE_STATUSES
from cxos.signals.writes import create_signal
from cxos.vocabulary import Source
from tests.conftest import CONTRIBUTOR, DEMO_ANCHOR


def _snapshot(store):
    with store.read() as session:
        return [
            (s.title, s.status, s.owner_team_id, s.created_at, s.version)
            for s in session.exec(select(Signal).order_by(Signal.id))
        ]


def test_same_seed_gives_the_same_friction_log(tmp_path):
    from cxos.store.store import Store

    a, b = (
        Store.open(f"sqlite:///{tmp_path}/a.db", create=True),
        Store.open(f"sqlite:///{tmp_path}/b.db", create=True),
    )
    build_demo(a, signals=300, seed=5, anchor=DEMO_ANCHOR)
    build_demo(b, signals=300, seed=5, anchor=DEMO_ANCHOR)
    assert _snapshot(a) == _snapshot(b)


def test_demo_is_realistic_and_keeps_the_invariants(store):
    counts = build_demo(store, signals=1500, seed=7, anchor=DEMO_ANCHOR)
    assert counts["signals"] == 1500 and counts["failure_modes"] == 8 and counts["fixes"] == 5 + 1
    with store.read() as session:
        signals = list(session.exec(select(Signal)))
        created_events = session.exec(
            select(func.count()).select_from(Event).where(Event.entity == "signal", Event.action == "created")
        ).one()
        sources = {s.source for s in signals}
        assert sources == {s.value for s in Source}
        assert created_events == 1500
        for signal in signals:  # invariant 1: owned, in triage, or closed by a recorded decision
            if signal.status in OWNER_REQUIRED:
                assert signal.owner_team_id is not None
            if signal.owner_team_id is None:
                assert signal.status in TRIAGE_STATUSES | {"wont_fix", "duplicate"}
            assert signal.created_at <= DEMO_ANCHOR
        # every change's event exists: a signal's version counts its changes
        events = session.exec(
            select(Event.entity_id, func.count()).where(Event.entity == "signal").group_by(Event.entity_id)
        ).all()
        assert len(events) == 1500
        assert queries.triage_count(session) > 0
        assert (
            session.exec(select(func.count()).select_from(Fix).where(Fix.shipped_at.is_not(None))).one() == 5
        )
        assert session.exec(select(func.count()).select_from(FailureMode)).one() == 8


def test_fixed_failure_modes_recur_less_after_their_fix(store):
    build_demo(store, signals=3000, seed=7, anchor=DEMO_ANCHOR)
    with store.read() as session:
        for fix in session.exec(select(Fix).where(Fix.shipped_at.is_not(None))):
            created = list(
                session.exec(select(Signal.created_at).where(Signal.failure_mode_id == fix.failure_mode_id))
            )
            before = [c for c in created if c < fix.shipped_at]
            after = [c for c in created if c >= fix.shipped_at]
            weeks_before = max(1, (fix.shipped_at - min(created)).days / 7)
            weeks_after = max(1, (DEMO_ANCHOR - fix.shipped_at).days / 7)
            assert len(after) / weeks_after < 0.5 * len(before) / weeks_before


def test_formula_like_cells_are_neutralised():
    for risky in ('=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(risky) == "'" + risky
    assert neutralise("plain") == "plain" and neutralise(5) == 5


def test_export_csv_is_formula_safe_and_json_complete(journey_store, touchpoint_id):
    create_signal(
        journey_store,
        signal_in={
            "title": "=cmd|' /C calc'!A0",
            "source": "ticket",
            "touchpoint_id": touchpoint_id,
            "account": "@acme",
        },
        actor=CONTRIBUTOR,
    )
    out = io.StringIO()
    assert write_csv(export_rows(journey_store), out) == 1
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["title"].startswith("'=") and row["account"] == "'@acme" and row["stage"]
    out = io.StringIO()
    write_json(export_rows(journey_store), out)
    assert json.loads(out.getvalue())[0]["title"] == "=cmd|' /C calc'!A0"  # JSON keeps the exact text


def test_cli_demo_then_export(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/cli.db"
    assert main(["--database-url", url, "demo", "--signals", "120", "--json", "--anchor", "2026-11-16"]) == 0
    assert json.loads(capsys.readouterr().out)["signals"] == 120
    assert main(["--database-url", url, "demo", "--if-empty"]) == 0
    assert main(["--database-url", url, "demo"]) == 2  # refuses to mix demo data into a real log
    assert "already has signals" in capsys.readouterr().err
    target = tmp_path / "out.json"
    assert main(["--database-url", url, "export", "--format", "json", "--out", str(target)]) == 0
    assert len(json.loads(target.read_text())) == 120
