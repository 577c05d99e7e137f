"""The door before the display name in local mode: this computer walks in, anyone else gives the access code."""

import time

import streamlit as st

from cxos.access import ACCESS_CODE_SETTING, GUESSES, access_code, code_matches, request_is_local

CODE_GIVEN = "cxos_access_code_given"  # this session gave the right code once; it is not asked again
WRONG_CODE_PAUSE_S = 1.0  # each wrong guess costs its session a second


def request_from_this_computer() -> bool:
    """Whether this session's browser runs on the computer that serves the app (not relayed by a proxy)."""
    # Streamlit reports a loopback peer as None, a remote one as its address; anything else means no browser
    # connection at all (AppTest hands back a stand-in object), which is this process itself.
    peer = st.context.ip_address
    return request_is_local(not isinstance(peer, str), st.context.headers.to_dict())


def _peer_address() -> str:
    """Who is guessing, as far as the server can tell: the relayed client when a proxy says so, else the peer."""
    headers = {name.lower(): value for name, value in st.context.headers.to_dict().items()}
    relayed = headers.get("x-forwarded-for", "").split(",")[0].strip()
    peer = st.context.ip_address
    return relayed or (peer if isinstance(peer, str) else "this computer")


def session_is_trusted() -> bool:
    """From this computer, or the session gave the access code: it may use the roles file's admin names."""
    return bool(st.session_state.get(CODE_GIVEN)) or request_from_this_computer()


def admit_session(app_name: str) -> None:
    """Let the session in, or stop the run: from this computer always; from elsewhere only with the access
    code, asked once per session; refused outright when no code is set."""
    if session_is_trusted():
        return
    expected = access_code()
    st.title(app_name)
    if expected is None:
        st.error(
            "This CX OS serves only the computer it runs on: it has no single sign-on and no access code, so "
            "anyone reaching it from elsewhere could act under any name. Ask whoever runs it to set "
            f"{ACCESS_CODE_SETTING} or single sign-on (README, 'Serving it to others')."
        )
        st.stop()
    with st.form("access-code", border=True, width=520):
        st.markdown("**Access code** — the code your team shares to reach this CX OS.")
        given = st.text_input("Access code", type="password", max_chars=200)
        if st.form_submit_button("Enter", type="primary"):
            address = _peer_address()
            wait = GUESSES.wait_s(address)
            if wait > 0:  # not even compared: too many wrong guesses from here (or from everyone) just now
                st.error(
                    f"Too many wrong access codes were tried just now. Try again in {wait / 60:.0f} min."
                )
                st.stop()
            if code_matches(given, expected):
                st.session_state[CODE_GIVEN] = True
                st.rerun()
            GUESSES.wrong_guess(address)
            time.sleep(WRONG_CODE_PAUSE_S)
            st.error("That is not the access code.")
    st.stop()
