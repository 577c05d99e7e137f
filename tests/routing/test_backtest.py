"""The routing backtest: hand-checkable figures on small fixtures, rules before the model, and clear refusals."""

import csv
import json
from datetime import timedelta

import pytest
from sqlmodel import select

from cxos.cli import main as cli
from cxos.clock import utcnow
from cxos.models import Rule, Signal, Team
from cxos.routing import backtest
from cxos.routing import owner_model as suggestions
from cxos.routing.backtest import BacktestReport, BadInput, Outcome
from cxos.store.store import Store
from tests.routing.test_suggestions import PREFIXES, VOCABULARY, _fixture_texts


@pytest.fixture
def cli_db(tmp_path) -> str:
    """An empty database for the backtest CLI (every command but init and demo refuses a missing file)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    Store.open(url, create=True).dispose()
    return url


HOLDOUT = [  # (text, owner): five clear cases and one the council labelled against its words
    ("the invoice charged us twice this month", "billing"),
    ("refund for the annual plan please", "billing"),
    ("Okta assertion rejected at login", "sso"),
    ("SCIM provisioning failed overnight", "sso"),
    ("API reference lacks an example for webhooks", "docs"),
    ("SAML login loops back to the sign-in page", "billing"),
]


def _write_csv(path, rows, header=("message", "team")):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path):
    texts, owners = _fixture_texts()
    return (
        _write_csv(tmp_path / "history.csv", zip(texts, owners, strict=True)),
        _write_csv(tmp_path / "holdout.csv", HOLDOUT),
    )


def test_report_figures_by_hand():
    report = BacktestReport(
        train_rows=10,
        threshold=0.8,
        training_seconds=0.1,
        owners_trained=2,
        outcomes=[
            Outcome("a", "a", None, "rule", ("a",)),
            Outcome("a", "a", 0.9, "model", ("a", "b")),
            Outcome("b", "a", 0.95, "model", ("a", "b")),
            Outcome("b", "b", 0.5, "triage", ("b", "a")),
            Outcome("b", "a", 0.4, "triage", ("a", "c")),
        ],
    )
    assert report.accuracy == pytest.approx(3 / 5)
    assert report.coverage == pytest.approx(3 / 5)
    assert report.auto_accuracy == pytest.approx(2 / 3)
    assert report.triage_top3 == pytest.approx(1 / 2)
    assert report.per_owner() == [
        {"owner": "b", "rows": 3, "answered": 1, "precision": 1.0, "recall": pytest.approx(1 / 3)},
        {"owner": "a", "rows": 2, "answered": 4, "precision": 0.5, "recall": 1.0},
    ]


def test_backtest_on_a_holdout_file(files):
    report = backtest.backtest_file(
        files[0], text_col="message", owner_col="team", holdout=files[1], threshold=0.5
    )
    assert (report.train_rows, report.test_rows) == (90, 6)
    assert report.accuracy == pytest.approx(5 / 6)  # the mislabelled SAML row is answered "sso"
    assert report.coverage == 1.0 and report.auto_accuracy == pytest.approx(5 / 6)
    figures = {row["owner"]: row for row in report.per_owner()}
    assert figures["sso"]["precision"] == pytest.approx(2 / 3) and figures["sso"]["recall"] == 1.0
    assert figures["billing"]["precision"] == 1.0 and figures["billing"]["recall"] == pytest.approx(2 / 3)
    assert report.count("rule") == 0 and report.count("model") == 6


def test_a_high_threshold_sends_the_unsure_to_triage(files):
    report = backtest.backtest_file(
        files[0], text_col="message", owner_col="team", holdout=files[1], threshold=1.01
    )
    assert report.coverage == 0.0 and report.count("triage") == 6
    assert report.triage_top3 == 1.0  # every owner is among three suggestions of three teams


def test_without_a_holdout_the_first_80_percent_trains(tmp_path):
    texts, owners = _fixture_texts()
    path = _write_csv(tmp_path / "all.csv", zip(texts, owners, strict=True))
    report = backtest.backtest_file(path, text_col="message", owner_col="team")
    assert (report.train_rows, report.test_rows) == (72, 18)


def test_enabled_rules_answer_before_the_model(journey_store, tmp_path):
    with journey_store.read() as session:
        billing = session.exec(select(Team).order_by(Team.id)).first()
    with journey_store.write() as session:
        session.add(
            Rule(
                name="Invoices",
                position=1,
                owner_team_id=billing.id,
                conditions=json.dumps([{"field": "text", "op": "contains_any", "value": ["invoice"]}]),
            )
        )
    texts, owners = _fixture_texts()
    names = {"billing": billing.name, "docs": "Docs", "sso": "SSO"}
    history = _write_csv(tmp_path / "h.csv", [(t, names[o]) for t, o in zip(texts, owners, strict=True)])
    holdout = _write_csv(
        tmp_path / "t.csv", [("new invoice is wrong", billing.name), ("Okta assertion rejected", "SSO")]
    )
    report = backtest.backtest_file(
        history,
        text_col="message",
        owner_col="team",
        holdout=holdout,
        rules_from=journey_store,
        threshold=0.5,
    )
    assert report.count("rule") == 1 and report.count("model") == 1 and report.accuracy == 1.0


def test_store_history_backtest_learns_before_the_cutoff_and_tests_after(journey_store, touchpoint_id):
    with journey_store.read() as session:
        team_ids = [t.id for t in session.exec(select(Team).order_by(Team.id)).all()][:3]
    start = utcnow() - timedelta(days=60)
    with journey_store.write() as session:
        for day in range(40):
            for team_id, phrases in zip(team_ids, VOCABULARY.values(), strict=True):
                at = start + timedelta(days=day)
                session.add(
                    Signal(
                        title=f"{PREFIXES[day % 6]} {phrases[day % 5]}",
                        source="ticket",
                        touchpoint_id=touchpoint_id,
                        owner_team_id=team_id,
                        status="routed",
                        routed_by="person:Priya Shah",
                        routed_at=at + timedelta(hours=1),
                        created_at=at,
                    )
                )
    suggestions.forget()
    report = backtest.backtest_store(journey_store, cutoff=start + timedelta(days=30), threshold=0.5)
    assert (report.train_rows, report.test_rows) == (90, 30)
    assert report.accuracy == 1.0


def test_a_cutoff_after_all_history_is_refused(journey_store):
    with pytest.raises(BadInput, match="no confirmed route"):
        backtest.backtest_store(journey_store, cutoff=utcnow())


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the file is empty"),
        ("text,owner\n", "no column 'message'"),
        ("message,team\n,billing\n", "no row has both"),
        ("message,team\na,x\nb,x\nc,x\nd,x\ne,x\n", "at least two"),
    ],
)
def test_bad_files_are_refused_with_the_reason(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BadInput, match=message):
        backtest.backtest_file(path, text_col="message", owner_col="team")


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        backtest.read_labelled(tmp_path / "nope.csv", text_col="a", owner_col="b")


def test_cli_prints_the_report_as_json(files, tmp_path, capsys, cli_db):
    code = cli.main(
        [
            "--database-url",
            cli_db,
            "backtest",
            str(files[0]),
            "--holdout",
            str(files[1]),
            "--text-col",
            "message",
            "--owner-col",
            "team",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["test_rows"] == 6 and report["accuracy"] == pytest.approx(5 / 6)
    assert {"coverage", "auto_accuracy", "per_owner", "routed_by_rules", "routed_by_model"} <= set(report)


def test_cli_refuses_a_missing_column_with_exit_code_2(files, tmp_path, capsys, cli_db):
    code = cli.main(
        [
            "--database-url",
            cli_db,
            "backtest",
            str(files[0]),
            "--text-col",
            "body",
            "--owner-col",
            "team",
        ]
    )
    assert code == 2 and "no column 'body'" in capsys.readouterr().err


def test_cli_prints_a_readable_report(files, tmp_path, capsys, cli_db):
    cli.main(
        [
            "--database-url",
            cli_db,
            "backtest",
            str(files[0]),
            "--holdout",
            str(files[1]),
            "--text-col",
            "message",
            "--owner-col",
            "team",
        ]
    )
    out = capsys.readouterr().out
    assert "Accuracy" in out and "Coverage" in out and "Routed by rules 0" in out


def test_a_file_sorted_by_owner_is_flagged(tmp_path):
    texts, owners = _fixture_texts()
    rows = list(zip(texts, owners, strict=True))[:70]  # billing, docs, then 10 sso rows: all in the last 20%
    report = backtest.backtest_file(
        _write_csv(tmp_path / "sorted.csv", rows), text_col="message", owner_col="team"
    )
    assert report.accuracy == pytest.approx(4 / 14)  # the four docs rows are right; sso was never seen
    assert any("10 of 14 test rows belong to an owner the model never saw" in note for note in report.notes)
