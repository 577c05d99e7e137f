"""Each figure shown on more than one page comes from cxos/kpis/headline.py and is the same on every page."""

import ast
from pathlib import Path

from components.common import pages
from cxos.kpis import headline
from tests.test_pages import open_page

ROOT = Path(__file__).resolve().parents[2]
# Where each shared figure is shown: the page, and the metric label it has there.
SHOWN_ON = {
    headline.ROUTING_ACCURACY.label: [
        "app.py",
        pages.ROUTING_RULES.path,
        pages.KPIS.path,
        pages.COUNCIL.path,
    ],
    headline.FIXES_SHIPPED.label: ["app.py", pages.COUNCIL.path],
}
# Functions that compute a shared figure: only headline.py calls them for a figure (the KPI page's own date
# range is the one other window, and its default is headline.ROUTING's).
DEFINING_CALLS = {"triage_count", "routing_accuracy"}
MAY_CALL = {"cxos/kpis/headline.py", "cxos/routing/accuracy.py", "components/kpis/data.py"}


def _metrics(page: str) -> dict[str, str]:
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    return {m.label: m.value for m in at.metric}


def test_each_shared_figure_is_the_same_on_every_page_that_shows_it(demo_db):
    shown = {page: _metrics(page) for page in {p for pages_ in SHOWN_ON.values() for p in pages_}}
    for label, on_pages in SHOWN_ON.items():
        values = {page: shown[page].get(label) for page in on_pages}
        assert None not in values.values(), (
            f"{label} is missing on: {[p for p, v in values.items() if v is None]}"
        )
        assert len(set(values.values())) == 1, f"{label} differs between pages: {values}"


def test_home_names_the_window_of_each_figure(demo_db):
    at = open_page("app.py")
    helps = {m.label: m.proto.help for m in at.metric}
    assert "last 7 days, since" in helps[headline.NEW_SIGNALS.label]
    assert "last 90 days, since" in helps[headline.ROUTING_ACCURACY.label]
    assert any("last 90 days, since" in c.value for c in at.caption)


def test_no_page_defines_a_shared_figure_again():
    labels = {figure.label for figure in headline.SHARED}
    again = []
    for path in [
        ROOT / "app.py",
        *(p for d in ("pages", "components", "cxos") for p in (ROOT / d).rglob("*.py")),
    ]:
        relative = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                relative != "cxos/kpis/headline.py"
                and isinstance(node, ast.Constant)
                and node.value in labels
            ):
                again.append(f"{relative}:{node.lineno} names {node.value!r} itself")
            if isinstance(node, ast.Call) and relative not in MAY_CALL:
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                if name in DEFINING_CALLS:
                    again.append(f"{relative}:{node.lineno} computes {name}() itself")
    assert not again, "use cxos/kpis/headline.py:\n" + "\n".join(again)
