"""Every page: runs on demo data without an exception, and calls the shared page setup first."""

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.common import pages as page_table
from cxos.kpis import headline

ROOT = Path(__file__).resolve().parent.parent
PAGES = [page.path for page in page_table.PAGES]


def open_page(page: str, *, name: str | None = "Priya Shah", query: dict[str, str] | None = None) -> AppTest:
    """Run one page as a signed-in person (local mode), the way the multipage app runs it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if name:
        at.session_state["cxos_display_name"] = name
    if page != "app.py":
        at.switch_page(page)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def test_the_table_of_pages_names_every_page_file_once():
    files = ["app.py", *(str(path.relative_to(ROOT)) for path in (ROOT / "pages").glob("*.py"))]
    assert sorted(PAGES) == sorted(files), "add the page to components/common/pages.py (or remove it there)"


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_demo_data(demo_db, page):
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page has a title"


@pytest.mark.parametrize("page", PAGES)
def test_page_calls_the_shared_setup_first(page):
    tree = ast.parse((ROOT / page).read_text(encoding="utf-8"))
    first_call = next(
        node
        for statement in tree.body
        if not isinstance(statement, ast.Import | ast.ImportFrom)
        for node in ast.walk(statement)
        if isinstance(node, ast.Call)
    )
    assert isinstance(first_call.func, ast.Name) and first_call.func.id == "setup_page", (
        f"{page} must call setup_page(...) before anything else"
    )


# Presentation mode's one static style sheet: Streamlit has no API to hide its chrome or size type, and the
# CSS there is a constant never formatted with data, so no user text can reach it.
RAW_HTML_ALLOWED = {ROOT / "components" / "common" / "presentation_style.py"}


def test_no_page_or_component_renders_raw_html():
    for path in [*ROOT.glob("*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("components/**/*.py")]:
        if path in RAW_HTML_ALLOWED:
            continue
        source = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in source and "st.html(" not in source, path


def test_domain_never_imports_streamlit():
    for path in (ROOT / "cxos").rglob("*.py"):
        assert "import streamlit" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("page", PAGES)
def test_nobody_gets_in_without_a_name(demo_db, page):
    at = open_page(page, name=None)
    assert [t.label for t in at.text_input] == ["Display name"]
    assert not at.dataframe and not at.metric


def test_home_shows_this_week_at_a_glance(demo_db):
    at = open_page("app.py")
    labels = [m.label for m in at.metric]
    assert labels == [f.label for f in headline.SHARED]
    assert any("Triage queue" in m.value for m in at.markdown)
    assert len(at.dataframe) == 2


def test_signing_in_by_name_gives_the_role_from_the_roles_file(demo_db):
    at = open_page("app.py", name=None)
    at.text_input[0].input("Board Viewer")
    at.button[0].click().run()
    assert "Board Viewer · viewer" in [t.value for t in at.sidebar.text]


def test_the_sidebar_groups_every_page_under_its_step_of_the_loop(demo_db):
    at = open_page("app.py")
    headings = [m.value for m in at.sidebar.markdown if m.value.startswith("**")]
    links = [link.proto.label for link in at.sidebar.get("page_link")]
    assert headings == ["**Listen**", "**Understand**", "**Act**", "**Amplify**", "**Council**", "**Admin**"]
    assert links == [page.title for page in page_table.PAGES]
    assert links[0] == "This week" and links[-2:] == ["Experience Council", "Integrations"]


def test_a_page_address_is_its_file_name_without_the_number():
    assert page_table.HOME.url_path == "/"
    assert page_table.FRICTION_LOG.url_path == "/Friction_log"
    assert page_table.FRICTION_LOG.url(signal=12) == "/Friction_log?signal=12"
    assert page_table.FIXES_AND_LOOPS.url_path == "/Fixes_and_loops"


def test_a_page_says_the_database_file_is_missing(tmp_path, monkeypatch):
    import streamlit as st

    monkeypatch.setenv("CXOS_DATABASE_URL", f"sqlite:///{tmp_path / 'cxos.db'}")
    st.cache_resource.clear()
    at = open_page("app.py")
    assert not at.exception, [e.value for e in at.exception]
    assert any("is missing; nothing was saved" in error.value for error in at.error)
    assert not (tmp_path / "cxos.db").exists()


def test_a_page_says_the_database_file_was_deleted_instead_of_showing_what_it_last_read(demo_db):
    at = open_page("app.py")
    assert not at.exception and not at.error
    for suffix in ("", "-wal", "-shm"):
        Path(f"{demo_db.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("was deleted while the app was running" in error.value for error in at.error)
    assert not at.metric  # none of the figures it showed before
