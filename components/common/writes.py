"""The one way the UI runs a service write: show a refusal as it is, or clear the caches, say what was done, redraw.

A refusal (CxosError: stale, not allowed, invalid) is the service's own message, fit to show. After a write
that went through, the rows it changed are forgotten as seen (components/common/seen.py), so the redrawn page
shows, and remembers, the version the write made: a person's own earlier write never makes their next one stale.
A stale refusal keeps the version seen (the conflict stays visible) and offers a Reload that lets it go.
"""

from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from components.common.data import refresh_after_write
from components.common.safe import md_escape
from components.common.seen import forget_seen
from cxos.errors import CxosError, StaleWrite

T = TypeVar("T")
FLASH_KEY = "cxos_flash"
FLASH_ICONS = {"success": ":material/check:", "error": ":material/block:"}
SeenRow = tuple[str, int | None]  # (kind, row id); None: every row of that kind
Show = Literal["toast", "flash", "inline"]


def run_write(
    change: Callable[[], T],
    *,
    done: str | Callable[[T], str | None] | None = "Saved.",
    show: Show = "toast",
    rows: Sequence[SeenRow] = (),
    after: Callable[[T], None] | None = None,
    on_refusal: Callable[[CxosError], None] | None = None,
    rerun: Literal["app", "fragment"] = "app",
) -> T | None:
    """Run one service call and show its outcome; the result, or None when it was refused.

    `done` is the success message (or makes it from the result; None says nothing). `show`: "toast" and then
    redraw; "flash" and then redraw, the message kept at the top of the page (pages that call show_flashes);
    "inline" where the write was made, without a redraw, for results that must stay on screen. `rows` are the
    rows the write changes whose seen version the page keeps; `after` drops the page's own state (widget
    choices, a held table) after a success. `on_refusal` replaces the plain error message. `rerun="fragment"`
    redraws only the fragment the write was made in (it must hold everything the write changes on screen).
    """
    try:
        result = change()
    except CxosError as refused:
        (on_refusal or show_refusal)(refused)
        if isinstance(refused, StaleWrite) and rows:
            offer_reload(rows)
        return None
    for kind, row_id in rows:
        forget_seen(kind, None if row_id is None else [row_id])
    message = done(result) if callable(done) else done
    if message and show == "flash":
        flash("success", message)
    if after is not None:
        after(result)
    refresh_after_write()
    if show == "inline":
        if message:
            st.success(message)
        return result
    if message and show == "toast":
        st.toast(message, icon=FLASH_ICONS["success"])
    redraw(rerun)


def redraw(scope: Literal["app", "fragment"] = "app") -> None:
    """Rerun the page, or only the fragment this run redraws (a full run, as AppTest makes, reruns the page)."""
    context = get_script_run_ctx()
    in_fragment_run = bool(context and context.fragment_ids_this_run)
    st.rerun(scope="fragment" if scope == "fragment" and in_fragment_run else "app")


def show_refusal(refused: CxosError) -> None:
    """The service's message, where the write was made."""
    st.error(md_escape(refused), icon=FLASH_ICONS["error"])


def offer_reload(rows: Sequence[SeenRow]) -> None:
    """After a stale refusal: a Reload that shows the rows as they are now and checks the next try against that."""
    button: dict[str, Any] = {
        "label": "Reload",
        "icon": ":material/refresh:",
        "key": f"cxos_reload_{'_'.join(f'{kind}{row_id}' for kind, row_id in rows)}",
        "on_click": _reload,
        "args": (tuple(rows),),
        "help": "Show their change; your next save is checked against it.",
    }
    try:
        st.button(**button)
    except StreamlitAPIException:
        # The refusal came from a form's submit: inside a form only its own submit buttons may act.
        st.form_submit_button(**button)


def _reload(rows: Sequence[SeenRow]) -> None:
    for kind, row_id in rows:
        forget_seen(kind, None if row_id is None else [row_id])
    refresh_after_write()


def flash(kind: Literal["success", "error"], message: str) -> None:
    """A message that survives the redraw after a write; show_flashes() shows it once."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def show_flashes() -> None:
    """The messages flashed since the last run, where the page wants them (under its title)."""
    for kind, message in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind)(message, icon=FLASH_ICONS[kind])
