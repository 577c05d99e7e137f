"""Real-browser fixtures: a seeded demo database, the app (`streamlit run serve.py`) on a free port, headless Chromium."""

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.served_app import seeded_app

REPO_ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1920, "height": 1080}


def browser_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as missing:
        return f"the playwright package cannot be imported ({missing})"
    return None


def _browser_required() -> bool:
    return os.environ.get("CXOS_REQUIRE_BROWSER") == "1"  # CI: a skipped browser test is a failure


def skip_module_without_browser() -> None:
    """Skip a whole browser test module with the reason, unless a browser is required (then the tests fail)."""
    reason = browser_missing_reason()
    if reason and not _browser_required():
        pytest.skip(f"browser tests skipped: {reason}", allow_module_level=True)


@pytest.fixture(scope="session")
def browser_available() -> None:
    """Every browser fixture needs this: it fails each test when CI requires a browser that is missing."""
    reason = browser_missing_reason()
    if reason and _browser_required():
        pytest.fail(f"CXOS_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def app_url(browser_available: None) -> Iterator[str]:
    """The base URL of the app running on a freshly seeded demo database."""
    workdir = Path(tempfile.mkdtemp(prefix="cxos-e2e-"))
    env = _app_env({"CXOS_DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}"})
    with _seeded_app(env, workdir) as url:
        yield url


@pytest.fixture(scope="module")
def own_app(browser_available: None) -> Iterator[dict[str, str]]:
    """The app on a demo database of its own, for a test that changes it and reads the result back."""
    workdir = Path(tempfile.mkdtemp(prefix="cxos-e2e-own-"))
    database_url = f"sqlite:///{workdir / 'own.db'}"
    with _seeded_app(_app_env({"CXOS_DATABASE_URL": database_url}), workdir) as url:
        yield {"url": url, "database_url": database_url}


@pytest.fixture
def new_tab(chromium, dialogs: list[str]) -> Iterator[Callable[[str], Any]]:
    """Opens a 1920×1080 tab in a browser context of its own (its own Streamlit session) on a base URL."""
    contexts = []

    def open_tab(base_url: str) -> Any:
        context = chromium.new_context(viewport=VIEWPORT, base_url=base_url)
        context.set_default_timeout(120_000)  # a wait for a condition, generous on a loaded machine
        contexts.append(context)
        tab = context.new_page()
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        return tab

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def sheets_app(browser_available: None) -> Iterator[dict]:
    """The app on a Google Sheet: the offline fake of the Sheets API, kept in a JSON file the test can read,
    and a file that, while it exists, makes the fake unreachable."""
    workdir = Path(tempfile.mkdtemp(prefix="cxos-e2e-sheets-"))
    files = {"sheet_file": workdir / "fake_sheets.json", "offline_file": workdir / "offline"}
    env = _app_env(
        {
            "CXOS_DATABASE_URL": "gsheets+fake://e2e",
            "CXOS_FAKE_SHEETS_FILE": str(files["sheet_file"]),
            "CXOS_FAKE_SHEETS_OFFLINE_FILE": str(files["offline_file"]),
            "CXOS_SHEETS_CACHE_DIR": str(workdir / "cache"),
            "CXOS_SHEETS_TTL_S": "1",
        }
    )
    with _seeded_app(env, workdir) as url:
        yield files | {"url": url}


def _app_env(settings: dict[str, str]) -> dict[str, str]:
    env = os.environ | settings
    env.pop("CXOS_LOCAL_USER", None)  # the tests sign in through the "Display name" form, like a person
    env.pop("CXOS_ROLES_FILE", None)  # data/roles.yaml: the council role the tests rely on
    return env


def _seeded_app(env: dict[str, str], workdir: Path):
    """A 300-signal demo in the store env names, then the app as `make run` serves it, until the block ends."""
    return seeded_app(env, workdir)


@pytest.fixture(scope="session")
def chromium(browser_available: None):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every JavaScript dialog (alert, confirm, prompt) the page opened during the test."""
    return []


@pytest.fixture
def page(chromium, app_url: str, dialogs: list[str]):
    """A fresh 1920×1080 browser tab; any dialog is recorded and dismissed."""
    yield from _tab(chromium, app_url, dialogs)


@pytest.fixture
def sheets_page(chromium, sheets_app: dict, dialogs: list[str]):
    """A browser tab on the app whose data lives in a (fake) Google Sheet."""
    yield from _tab(chromium, sheets_app["url"], dialogs)


def _tab(chromium, base_url: str, dialogs: list[str]):
    context = chromium.new_context(viewport=VIEWPORT, base_url=base_url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()
