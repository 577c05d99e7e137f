"""AppTest of the Fixes & loops and KPI pages on demo data: proof with a verdict, notices, every KPI with its definition."""

from sqlmodel import select

from components.common import pages
from cxos.fixes.recurrence import VERDICTS
from cxos.inputs import md_escape
from cxos.kpis.figures import DEFINITIONS
from cxos.models import Fix, LoopNotice, Team
from cxos.store.store import Store
from tests.test_pages import open_page

FIXES, KPIS = pages.FIXES_AND_LOOPS.path, pages.KPIS.path


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


def test_a_shipped_fix_shows_its_verdict_and_notices(demo_db):
    at = open_page(FIXES)
    assert not at.exception
    verdict = next(m for m in at.metric if m.label == "Verdict")
    assert verdict.value.lower() in VERDICTS
    assert "Loop notices" in _texts(at) and "drafted" in _texts(at)


def test_the_demo_fixes_shipped_mid_period_recur_materially_less(demo_db):
    at = open_page(FIXES)
    labels = at.selectbox(key="fixes_shipped_pick").options
    assert sum(label.endswith("materially less") for label in labels) >= 3, labels


def test_drafting_from_the_page_is_idempotent(demo_db):
    at = open_page(FIXES)
    before = _notice_count(demo_db)
    at.button(key=next(b.key for b in at.button if str(b.key).startswith("notices_draft_"))).click().run()
    assert not at.exception and _notice_count(demo_db) == before  # the demo already drafted every reporter's


def test_a_template_with_an_unknown_placeholder_is_refused_on_the_page(demo_db):
    at = open_page(FIXES)
    # The template's widget is keyed by the version seen: 0, the template was never saved.
    at.text_area(key="notices_template_0").set_value("Dear {customer}, {title}")
    at.button(key="notices_template_save").click().run()
    assert any(md_escape("unknown placeholder {customer}") in e.value for e in at.error)


def test_a_viewer_sees_no_fix_buttons(demo_db, monkeypatch, tmp_path):
    roles = tmp_path / "roles.yaml"
    roles.write_text("default_role: viewer\n", encoding="utf-8")
    monkeypatch.setenv("CXOS_ROLES_FILE", str(roles))
    at = open_page(FIXES, name="Vera Viewer")
    assert not at.exception
    assert not [b for b in at.button if str(b.key).startswith(("notices_draft_", "fix_verify_"))]


def test_every_kpi_shows_with_its_definition(demo_db):
    at = open_page(KPIS)
    assert not at.exception
    text = _texts(at)
    for definition in DEFINITIONS.values():
        assert definition in text, definition
    assert {m.label for m in at.metric} >= {
        "Routing accuracy",
        "Loop-closure rate",
        "Recurrence reduction",
        "Cost saved",
        "Deflection (latest month)",
        "CSAT (latest month)",
        "OS fit score (now)",
    }
    assert "Gartner, 2019" in text


def test_the_team_filter_narrows_the_kpis(demo_db):
    at = open_page(KPIS)
    with Store.open(demo_db).read() as session:
        team_id = session.exec(select(Team.id).order_by(Team.id)).first()
    at.selectbox(key="kpi_team").set_value(team_id).run()
    assert not at.exception
    assert "All teams" not in at.caption[0].value


def _notice_count(url: str) -> int:
    with Store.open(url).read() as session:
        return len(session.exec(select(LoopNotice.id)).all())


def test_demo_has_verified_fixes(demo_db):
    with Store.open(demo_db).read() as session:
        assert session.exec(select(Fix).where(Fix.status == "verified")).first() is not None


def test_the_weekly_digest_names_the_proof_and_the_kpis(demo_db, tmp_path):
    from cxos.cli.main import main

    out = tmp_path / "digest.md"
    assert main(["--database-url", demo_db, "digest", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert (
        text.startswith("# CX OS weekly digest")
        and "## KPIs, last 90 days" in text
        and "Loop-closure rate" in text
    )


def test_metrics_import_from_the_command_line_refuses_a_bad_file(demo_db, tmp_path, capsys):
    from cxos.cli.main import main

    bad = tmp_path / "metrics.csv"
    bad.write_text("period,metric,value\n2026-01,nps,40\n", encoding="utf-8")
    assert main(["--database-url", demo_db, "metrics", "import", str(bad)]) != 0
    assert "unknown metric 'nps'" in capsys.readouterr().err
