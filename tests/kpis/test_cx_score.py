"""The CX score formula (1–5 from drivers, severity and outcome), its SQL twin, its averages, and the driver figures."""

from datetime import timedelta

import pytest
from sqlmodel import select

from cxos.clock import utcnow
from cxos.kpis import cx_score as score
from cxos.kpis.cx_score import average_scores, cx_score
from cxos.kpis.driver_figures import driver_mix, driver_trend, drivers_by_stage
from cxos.models import Signal, Stage, Team, Touchpoint
from tests.factories import log_signal, overwrite_signal, routed_signal


def test_a_signal_with_nothing_against_it_scores_best():
    result = cx_score({"severity": "low", "status": "new"})
    assert result.value == 5.0 and result.reasons == ["no driver, low severity, no outcome yet"]


def test_each_term_moves_the_score_by_its_weight_and_says_so():
    result = cx_score({"driver_effort": True, "driver_policy": True, "severity": "high", "status": "fixed"})
    assert result.value == pytest.approx(5 - 1.0 - 0.5 - 0.75 + 0.5)
    assert result.reasons == [
        "Customer effort −1",
        "Policy feedback −0.5",
        "High severity −0.75",
        "Fixed +0.5",
    ]


def test_the_score_is_kept_within_one_and_five():
    worst = cx_score(
        dict.fromkeys(score.DRIVER_WEIGHTS, True) | {"severity": "critical", "status": "wont_fix"}
    )
    assert worst.value == 1.0 and worst.reasons[-1] == "kept within 1–5"
    best = cx_score({"severity": "low", "status": "loop_closed"})
    assert best.value == 5.0 and best.reasons == ["Loop closed +0.75", "kept within 1–5"]


def test_the_weights_are_the_ones_in_the_module(monkeypatch):
    """Editable in one place: a changed weight changes the score."""
    monkeypatch.setitem(score.DRIVER_WEIGHTS, "driver_product", 2.0)
    assert cx_score({"driver_product": True, "severity": "low"}).value == 3.0


def test_the_formula_in_words_names_every_weight():
    text = score.formula_text()
    assert all(f"{w:g}" in text for w in score.DRIVER_WEIGHTS.values()) and "Customer effort 1" in text


def _scores_in_sql(store) -> dict[int, float]:
    with store.read() as session:
        return dict(session.exec(select(Signal.id, score.score_expression())).all())


def test_the_sql_formula_gives_every_signal_the_python_score(journey_store, touchpoint_id):
    titles = [
        ("Third time I ask: the export is broken!!", {"severity": "critical"}),
        ("Why was I charged a fee?", {"severity": "low"}),
        ("A question about SSO", {"severity": "medium"}),
        ("Still waiting", {"severity": "high", "driver_answer_human": True}),
    ]
    ids = [log_signal(journey_store, touchpoint_id=touchpoint_id, title=t, **f).id for t, f in titles]
    overwrite_signal(journey_store, signal_id=ids[1], status="loop_closed")
    overwrite_signal(journey_store, signal_id=ids[2], status="wont_fix")
    in_sql = _scores_in_sql(journey_store)
    with journey_store.read() as session:
        signals = session.exec(select(Signal)).all()
        expected = {s.id: cx_score(s).value for s in signals}
    assert {i: round(v, 2) for i, v in in_sql.items()} == expected
    assert len(set(expected.values())) == 4  # four different scores, so the comparison means something


def test_averages_per_touchpoint_stage_team_and_failure_mode(journey_store):
    with journey_store.read() as session:
        first, second = session.exec(select(Touchpoint).order_by(Touchpoint.id).limit(2)).all()
        stage = session.get(Stage, first.stage_id)
        team = session.exec(select(Team).where(Team.name == "QA")).one()
    calm = log_signal(journey_store, touchpoint_id=first.id, title="A question", severity="low")
    angry = routed_signal(
        journey_store,
        touchpoint_id=first.id,
        team_id=team.id,
        title="Still waiting, this is ridiculous!!",
        severity="low",
    )
    log_signal(journey_store, touchpoint_id=second.id, title="Why was I charged a fee?", severity="low")
    with journey_store.read() as session:
        by_touchpoint = {a.name: (a.average, a.signals) for a in average_scores(session, by="touchpoint")}
        by_team = average_scores(session, by="team")
        by_stage = {a.name: a.signals for a in average_scores(session, by="stage")}
        by_mode = average_scores(session, by="failure_mode")
    # calm 5, angry 5 − effort 1 − emotion 1 = 3: their touchpoint averages 4; the fee one 4.5.
    assert by_touchpoint[f"{stage.name} › {first.name}"] == (4.0, 2)
    assert [(a.name, a.average, a.signals) for a in by_team] == [("QA", 3.0, 1)]
    assert by_stage[stage.name] >= 2 and by_mode == []  # no signal in a failure mode yet
    assert calm.owner_team_id != team.id and angry.owner_team_id == team.id
    with pytest.raises(ValueError):
        with journey_store.read() as session:
            average_scores(session, by="account")


def test_driver_mix_trend_and_stage_count_the_signals_with_each_driver(journey_store, touchpoint_id):
    for title in ("Still waiting for the fix!!", "Still waiting", "The export is broken", "A question"):
        log_signal(journey_store, touchpoint_id=touchpoint_id, title=title)
    window = {"start": utcnow() - timedelta(days=1), "end": utcnow() + timedelta(days=1)}
    with journey_store.read() as session:
        mix = driver_mix(session, **window)
        trend = driver_trend(session, **window)
        stages = drivers_by_stage(session, **window)
        stage_name = session.get(Stage, session.get(Touchpoint, touchpoint_id).stage_id).name
        nobody = driver_mix(session, **window, team_ids=(9999,))
    assert (mix["signals"], mix["flagged"]) == (4, 2)
    assert (mix["driver_effort"], mix["driver_emotion"], mix["driver_product"], mix["driver_policy"]) == (
        2,
        1,
        1,
        0,
    )
    assert sum(n for _, driver, n in trend if driver == "driver_effort") == 2
    assert {(s, d): n for s, _, d, n in stages}[(stage_name, "driver_effort")] == 2
    assert nobody["signals"] == 0 and nobody["driver_effort"] == 0
