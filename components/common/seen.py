"""The version of each row a person saw: their change is checked against it, so nobody overwrites unseen work.

Every service write that edits a row takes `expected_version`; the UI passes the version the person first
saw on this page, never the newest (a rerun may have fetched someone else's change meanwhile). Rows are
keyed by kind — the Event entity name: "signal", "failure_mode", "fix", "loop_notice", "rule", "council_session",
"council_action", "stage", "touchpoint", "import_profile" — and id, per page: the council's copy of a signal and the log's are different views.
A setting is keyed by its name: `setting_kind(key)` with row id 0.
"""

from collections.abc import Iterable

import streamlit as st

SEEN_KEY = "cxos_seen_versions"  # {(page, kind, row id): version}
PAGE_KEY = "cxos_seen_page"  # the page being drawn, set by setup_page


def enter_page(path: str) -> None:
    """Called by setup_page: what is remembered from now on belongs to this page."""
    st.session_state[PAGE_KEY] = path


def seen_version(kind: str, row_id: int, shown: int) -> int:
    """The version of this row the person first saw here; `shown`, the version on screen now, the first time."""
    return _versions().setdefault(_key(kind, row_id), shown)


def remember_seen(kind: str, row_id: int, version: int) -> None:
    """From now on the person has seen this version (they reloaded the row to act on it)."""
    _versions()[_key(kind, row_id)] = version


def forget_seen(kind: str, row_ids: Iterable[int] | None = None) -> None:
    """Forget rows (every row of `kind` when None): the next time one is drawn, what it shows is what was seen."""
    versions = _versions()
    page = st.session_state.get(PAGE_KEY, "")
    wanted = None if row_ids is None else set(row_ids)
    for key in [k for k in versions if k[:2] == (page, kind) and (wanted is None or k[2] in wanted)]:
        del versions[key]


def setting_kind(key: str) -> str:
    """The kind under which one setting's seen version is kept (with row id 0): settings are keyed by name."""
    return f"setting:{key}"


def _key(kind: str, row_id: int) -> tuple[str, str, int]:
    return (st.session_state.get(PAGE_KEY, ""), kind, row_id)


def _versions() -> dict[tuple[str, str, int], int]:
    return st.session_state.setdefault(SEEN_KEY, {})
