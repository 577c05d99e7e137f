"""The Markdown guard: every value put into Streamlit Markdown on a page goes through md_escape.

Streamlit renders Markdown in st.markdown, captions, alerts, toasts, button and expander labels, tab names and
help tooltips. A value interpolated into one of them is either escaped (`md_escape`, cxos/inputs.py), a number
or date with a format spec, or one of the names below that are the app's own words, never a person's text.
"""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.common.page import FAVICON

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "components").rglob("*.py")])

# Calls whose text Streamlit renders as Markdown (label, body or message).
SINKS = set(
    """markdown caption info warning error success toast exception title header subheader button
    form_submit_button download_button link_button page_link expander popover tabs metric checkbox toggle
    radio selectbox multiselect text_input text_area number_input date_input time_input slider select_slider
    file_uploader segmented_control pills color_picker feedback flash write""".split()
)
TEXT_KEYWORDS = {"body", "label", "help", "done", "message", "caption"}  # a placeholder is plain text
# Page helpers that hand their second argument (the success message) on to run_write's `done`.
WRITE_WRAPPERS = {"write", "_run"}
# Calls that return numbers or the app's own words, or build Markdown from parts they escape themselves.
SAFE_CALLS = set(
    """md_escape md_inline plural len int float round sum min max percent hours_text total_minutes data_caption
    cheat_sheet _copy_read _status_label capitalize describe_event _describe field_label render_minutes caption training_note _no_model_yet""".split()
)
# Names that hold numbers, ids, dates, enum labels or the app's own words, never a person's text; `message`
# and `done` are what run_write and flash pass on, checked where they are written (done=, flash()).
SAFE_NAMES = set(
    """id count total page page_count step score size days n sent caught position version in_triage icon
    shown number port signal_id failure_mode_id merged_into_id source_id target_id similar rating more
    sample value role kpi overdue stale notices_drafted notices_sent weeks_before weeks_after
    signals_before signals_after rate_unit stale_days keep_id chosen verb trend units section label
    question message done new_status confident duplicate_id app_name where day today""".split()
)


def _sink_texts(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "run_write" or (isinstance(node.func, ast.Name) and name in WRITE_WRAPPERS):
            yield from (arg for arg in node.args[1:2] if not isinstance(arg, ast.Lambda | ast.Call))
            yield from (k.value for k in node.keywords if k.arg == "done")
            continue
        if name not in SINKS:
            continue
        if name == "flash":
            yield from node.args[1:2]
        elif node.args and name != "page_link":  # page_link's first argument is the page's path
            yield node.args[0]
        yield from (
            k.value
            for k in node.keywords
            if k.arg in TEXT_KEYWORDS and not (name == "page_link" and _is_page_title(k.value))
        )


def _unescaped(expr: ast.expr) -> Iterator[ast.expr]:
    """The parts of a text expression that may carry a person's text unescaped."""
    if isinstance(expr, ast.Constant):
        return
    if isinstance(expr, ast.JoinedStr):
        for part in expr.values:
            if isinstance(part, ast.FormattedValue):
                if part.format_spec is not None and _formats_a_number(part.format_spec):
                    continue
                yield from _unescaped(part.value)
        return
    if isinstance(expr, ast.BinOp):
        yield from _unescaped(expr.left)
        yield from _unescaped(expr.right)
        return
    if isinstance(expr, ast.IfExp):
        yield from _unescaped(expr.body)
        yield from _unescaped(expr.orelse)
        return
    if isinstance(expr, ast.BoolOp):
        for value in expr.values:
            yield from _unescaped(value)
        return
    if isinstance(expr, ast.Lambda):
        yield from _unescaped(expr.body)
        return
    if isinstance(expr, ast.List | ast.Tuple):
        for element in expr.elts:
            yield from _unescaped(element)
        return
    if isinstance(expr, ast.ListComp | ast.GeneratorExp):
        # Names bound by iterating over a constant table (PLACEHOLDERS.items()) are the app's own words.
        bound = {
            target.id
            for generator in expr.generators
            if _from_a_constant(generator.iter)
            for target in ast.walk(generator.target)
            if isinstance(target, ast.Name)
        }
        yield from (
            part for part in _unescaped(expr.elt) if not (isinstance(part, ast.Name) and part.id in bound)
        )
        return
    if isinstance(expr, ast.Call):
        func = expr.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in SAFE_CALLS or _from_a_constant(func):
            return
        if name == "join" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Constant):
            for argument in expr.args:
                yield from _unescaped(argument)
            return
        yield expr
        return
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        if _from_a_constant(expr) or (isinstance(key, ast.Constant) and key.value in SAFE_NAMES):
            return
        yield expr
        return
    if isinstance(expr, ast.Name | ast.Attribute):
        if _from_a_constant(expr) or _last_name(expr) in SAFE_NAMES:
            return
        yield expr
        return
    yield expr


def _is_page_title(expr: ast.expr) -> bool:
    """`page.title` of an entry of the table of pages (components/common/pages.py): the sidebar's own labels."""
    return isinstance(expr, ast.Attribute) and expr.attr == "title" and _last_name(expr.value) == "page"


def _formats_a_number(spec: ast.JoinedStr) -> bool:
    text = "".join(part.value for part in spec.values if isinstance(part, ast.Constant))
    return bool(text) and not text.endswith("s")


def _last_name(expr: ast.expr) -> str:
    return expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", "")


def _from_a_constant(expr: ast.expr) -> bool:
    """FIX_STATUS.get(x), STEPS[i].title, pages.FRICTION_LOG: read from one of the app's constant tables."""
    while True:
        name = _last_name(expr)
        if name and name.isupper():
            return True
        if isinstance(expr, ast.Attribute | ast.Subscript):
            expr = expr.value
        elif isinstance(expr, ast.Call):
            expr = expr.func
        else:
            return False


def _findings() -> list[str]:
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for text in _sink_texts(tree):
            for part in _unescaped(text):
                found.append(f"{path.relative_to(ROOT)}:{part.lineno}: {ast.unparse(part)}")
    return found


# What makes a browser load an image from another host: a Markdown image in the app's own text, an image
# element or column, or a page icon that Streamlit turns into a fonts.gstatic.com favicon.
EXTERNAL_IMAGE = re.compile(r"!\[|st\.image\(|st\.logo\(|ImageColumn|<img|page_icon=(?!FAVICON)")


def test_no_page_loads_an_image_from_another_host():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EXTERNAL_IMAGE.search(line)
    ]
    assert not found, "an image from another host (or a Markdown image) on a page:\n" + "\n".join(found)
    assert not FAVICON.startswith(":material"), "a Material page icon is fetched from fonts.gstatic.com"


def test_markdown_on_pages_is_built_only_from_escaped_or_known_safe_values():
    findings = _findings()
    assert not findings, "Markdown built from values that are not escaped with md_escape:\n" + "\n".join(
        findings
    )


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('st.markdown(f"**{signal.title}**")', ["signal.title"]),
        ('st.button(team_name, key="x")', ["team_name"]),
        ("st.error(str(refused))", ["str(refused)"]),
        ('run_write(save, done=lambda r: f"Saved {r.name}")', ["r.name"]),
        ('st.caption("by " + actor.name)', ["actor.name"]),
        ('st.markdown(f"**{md_escape(signal.title)}** · {signal.id} · {ARR:,}")', []),
        ("st.info(f\"{plural(len(rows), 'row')} shown\")", []),
    ],
)
def test_the_guard_flags_unescaped_text(source, flagged):
    tree = ast.parse(source)
    assert [ast.unparse(part) for text in _sink_texts(tree) for part in _unescaped(text)] == flagged
