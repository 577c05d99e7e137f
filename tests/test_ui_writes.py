"""The UI's one write runner and its one 'seen version' scheme, on a tiny script: outcomes shown, versions kept."""

from streamlit.testing.v1 import AppTest

from cxos.inputs import md_escape


def _script() -> None:
    import streamlit as st

    from components.common.seen import enter_page, seen_version
    from components.common.writes import run_write, show_flashes
    from cxos.errors import StaleWrite

    def refuse() -> None:
        raise StaleWrite("Signal #7 was changed by Marco Rossi after you opened it.")

    enter_page(st.session_state.get("page", "pages/Friction_log.py"))
    show_flashes()
    st.text(f"seen {seen_version('signal', 7, st.session_state.get('stored', 1))}")
    if st.button("Write"):
        run_write(lambda: 42, done=lambda n: f"Made {n}.", show="flash", rows=[("signal", 7)])
    if st.button("Write elsewhere"):
        run_write(lambda: 42, done="Saved.", show="flash", rows=[("signal", 8)])
    if st.button("Refuse"):
        run_write(refuse, show="flash", rows=[("signal", 7)])


def _app(stored: int = 1) -> AppTest:
    at = AppTest.from_function(_script)
    at.session_state["stored"] = stored
    return at.run()


def _click(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def _seen(at: AppTest) -> str:
    return at.text[0].value


def test_a_write_that_went_through_is_said_after_the_redraw():
    at = _click(_app(), "Write")
    assert [s.value for s in at.success] == ["Made 42."] and not at.error


def test_a_refusal_is_shown_as_the_service_said_it():
    at = _click(_app(), "Refuse")
    # Markdown-escaped: a display name or title in a refusal is shown as typed, never as a link or an image.
    assert [e.value for e in at.error] == [
        md_escape("Signal #7 was changed by Marco Rossi after you opened it.")
    ]
    assert not at.success


def test_the_version_first_seen_holds_while_the_row_changes_underneath():
    at = _app(stored=1)
    at.session_state["stored"] = 2  # someone else's change, fetched by the next run
    at.run()
    assert _seen(at) == "seen 1", "the person's next change must be checked against what they saw"


def test_a_refusal_keeps_the_version_seen_so_the_conflict_is_not_hidden():
    at = _app(stored=1)
    at.session_state["stored"] = 2
    at = _click(at, "Refuse")
    assert _seen(at) == "seen 1"


def test_after_ones_own_write_the_row_is_seen_as_the_write_left_it():
    at = _app(stored=1)
    at.session_state["stored"] = 2  # the version our write made
    at = _click(at, "Write")
    assert _seen(at) == "seen 2", "an earlier write of one's own never makes the next one stale"


def test_a_write_to_another_row_keeps_what_was_seen_of_this_one():
    at = _app(stored=1)
    at.session_state["stored"] = 2
    at = _click(at, "Write elsewhere")
    assert _seen(at) == "seen 1"


def test_each_page_keeps_its_own_seen_versions():
    at = _app(stored=1)
    at.session_state["stored"] = 2
    at.session_state["page"] = "pages/Council.py"
    at.run()
    assert _seen(at) == "seen 2", "the council's copy of a signal is not the log's"
    at.session_state["page"] = "pages/Friction_log.py"
    at.run()
    assert _seen(at) == "seen 1"


def test_a_stale_refusal_offers_a_reload_that_makes_the_row_seen_as_it_is_now():
    at = _app(stored=1)
    at.session_state["stored"] = 2  # someone else's change
    at = _click(at, "Refuse")
    assert _seen(at) == "seen 1"
    at = _click(at, "Reload")
    assert _seen(at) == "seen 2", "after Reload the next try is checked against their change"
