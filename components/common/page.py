"""The shared page setup every page calls first: page config, identity, role, store, sidebar."""

import os
from dataclasses import dataclass

import streamlit as st

from components.common.access import admit_session, session_is_trusted
from components.common.data import Journey, get_store, load_journey
from components.common.pages import Page, sidebar_groups
from components.common.presentation_style import apply_presentation_style
from components.common.seen import enter_page
from components.common.sheet_status import data_caption, show_sheet_status
from components.common.writes import show_refusal
from cxos.errors import StorageFault
from cxos.identity import Actor, RoleMap, load_role_map
from cxos.inputs import storable_text
from cxos.routing.model_worker import start_worker
from cxos.store.store import Store

APP_NAME = "CX OS"
# The browser tab's icon. A ":material/…:" icon here makes the browser fetch it from Google's font CDN on every
# page (Streamlit builds such a favicon from a fonts.gstatic.com URL); an emoji is drawn locally.
FAVICON = "🔁"
LOCAL_NAME_KEY = "cxos_display_name"


@dataclass(frozen=True)
class PageContext:
    actor: Actor
    store: Store
    journey: Journey


def setup_page(page: Page, *, presentation: bool = False) -> PageContext:
    """Call first on every page; stops the run until the person has said who they are.

    `presentation` is for the shared meeting-room screen: no sidebar or chrome, large type.
    """
    st.set_page_config(
        page_title=f"{page.title} · {APP_NAME}",
        page_icon=FAVICON,
        layout="wide",
        initial_sidebar_state="collapsed" if presentation else "auto",
    )
    enter_page(page.path)
    actor = _identify(_role_map())
    store = _open_store_or_stop()
    start_worker(store)  # the owner model trains in the background, never in a page run; once per process
    show_sheet_status(store)
    if presentation:
        apply_presentation_style()
    else:
        _sidebar(actor, store)
    return PageContext(actor=actor, store=store, journey=load_journey())


def _open_store_or_stop() -> Store:
    """The store, its file checked on every rerun: a missing, deleted or replaced database file is said on the
    page (what to do included) instead of a traceback, a new empty database, or the last data read."""
    try:
        store = get_store()
        store.check_file()
    except StorageFault as fault:
        show_refusal(fault)
        st.stop()
        raise  # st.stop() ends a page run; outside one (the page file run as a plain script) the fault stands
    return store


@st.cache_data(ttl=60, show_spinner=False)
def _role_map() -> RoleMap:
    return load_role_map()


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: local mode
        return False


def _identify(role_map: RoleMap) -> Actor:
    if _oidc_configured():
        if not st.user.is_logged_in:
            st.title(APP_NAME)
            st.write("Sign in with your company account to continue.")
            st.button("Sign in", on_click=st.login, type="primary")
            st.stop()
        email, name = st.user.get("email"), st.user.get("name")
        return Actor(storable_text(name or email or "unknown"), role_map.role_for(email, name))
    admit_session(APP_NAME)
    name = st.session_state.get(LOCAL_NAME_KEY) or os.environ.get("CXOS_LOCAL_USER", "").strip()
    if not name:
        _ask_display_name()
        st.stop()
    # The name goes on every row the person changes (created_by, updated_by, attendees): storable, like their text.
    name = storable_text(name)
    return Actor(name, role_map.role_for_typed_name(name, trusted=session_is_trusted()))


def _ask_display_name() -> None:
    st.title(APP_NAME)
    st.caption("Fix it upstream or fix it forever.")
    with st.form("who-are-you", border=True, width=520):
        st.markdown("**Who is logging in?** Your name goes on every change you make.")
        name = st.text_input("Display name", placeholder="e.g. Priya Shah", max_chars=80)
        if st.form_submit_button("Continue", type="primary"):
            if name.strip():
                st.session_state[LOCAL_NAME_KEY] = name.strip()
                st.rerun()
            st.error("Type a name so your changes can be attributed.")
    st.caption("Local mode: no single sign-on is configured. Roles come from data/roles.yaml.")


def _sidebar(actor: Actor, store: Store) -> None:
    with st.sidebar:
        st.markdown(f"### {APP_NAME}")
        # Our own navigation (Streamlit's is hidden in .streamlit/config.toml): directory-based pages keep
        # deep links working, the home page gets a real label instead of its file name, and the pages sit
        # under the step of the loop they serve.
        for section, section_pages in sidebar_groups():
            if section is not None:
                st.markdown(f"**{section}**")
            for page in section_pages:
                st.page_link(page.path, label=page.title, icon=page.icon)
        st.divider()
        st.caption("Signed in as")
        st.text(f"{actor.name} · {actor.role.value}")
        if _oidc_configured():
            st.button("Log out", on_click=st.logout)
        elif LOCAL_NAME_KEY in st.session_state:
            st.button("Switch person", on_click=lambda: st.session_state.pop(LOCAL_NAME_KEY, None))
        st.caption(data_caption(store))
