"""The quick-entry form: three required answers, everything else optional, one signal per submit."""

import uuid
from typing import Any

import streamlit as st

from components.common import pages
from components.common.data import Journey, get_store, refresh_after_write
from components.common.safe import md_escape
from cxos.errors import CxosError, ValidationFailed
from cxos.identity import Actor
from cxos.inputs import FIELD_LABELS
from cxos.signals.writes import create_signal
from cxos.vocabulary import DRIVERS, Severity, Source, known

GENERATION = "entry_generation"  # bumped after each logged signal: new widget keys, so an empty form
SESSION_TOKEN = "entry_session_token"
ERRORS = "entry_errors"
LOGGED = "entry_logged"
OPTIONAL_FIELDS = {"description", "account", "arr", "severity", "reporter", "external_ref"}


def _key(name: str) -> str:
    return f"entry_{name}_{st.session_state[GENERATION]}"


def prefill_from_query(params: dict[str, str], journey: Journey) -> tuple[dict[str, Any], list[str]]:
    """Turn `?source=slack&touchpoint=…&title=…` into form defaults; returns what it could not use."""
    prefill: dict[str, Any] = {}
    ignored = []
    if source := params.get("source"):
        match = next((s for s in Source if source.lower() in {s.value, s.label.lower()}), None)
        prefill["source"] = match if match else ignored.append(f"source “{source}”")
    if touchpoint := params.get("touchpoint"):
        wanted = touchpoint.strip().lower()
        match = next(
            (
                tp
                for tp in journey.touchpoints
                if not tp.archived
                and (str(tp.id) == wanted or tp.name.lower() == wanted or tp.label.lower() == wanted)
            ),
            None,
        )
        prefill["touchpoint_id"] = match.id if match else ignored.append(f"touchpoint “{touchpoint}”")
    if severity := params.get("severity"):
        prefill["severity"] = (
            Severity(severity.lower())
            if known(Severity, severity.lower())
            else ignored.append(f"severity “{severity}”")
        )
    for field, param in (
        ("title", "title"),
        ("account", "account"),
        ("external_ref", "ref"),
        ("reporter", "reporter"),
    ):
        if params.get(param):
            prefill[field] = params[param][:2_000]
    return {k: v for k, v in prefill.items() if v is not None}, ignored


def quick_entry_form(journey: Journey, actor: Actor, prefill: dict[str, Any]) -> None:
    st.session_state.setdefault(GENERATION, 0)
    st.session_state.setdefault(SESSION_TOKEN, uuid.uuid4().hex)
    errors: dict[str, str] = st.session_state.get(ERRORS, {})
    if logged := st.session_state.get(LOGGED):
        signal_id, title = logged
        with st.container(border=True):
            st.success(f"Logged as signal #{signal_id}: {md_escape(title)}", icon=":material/check_circle:")
            st.page_link(
                pages.FRICTION_LOG.path,
                label=f"Open signal #{signal_id}",
                icon=":material/open_in_new:",
                query_params={"signal": str(signal_id)},
            )
    if "form" in errors:
        st.error(md_escape(errors["form"]))

    touchpoints = [tp.id for tp in journey.touchpoints if not tp.archived]
    with st.form(f"entry_form_{st.session_state[GENERATION]}", border=True, enter_to_submit=False):
        st.text_input(
            "What happened? (required)",
            key=_key("title"),
            value=prefill.get("title", ""),
            max_chars=200,
            placeholder="e.g. New hires can't log in via SSO after the SCIM sync",
        )
        _inline(errors, "title")
        where, source = st.columns([3, 2])
        with where:
            st.selectbox(
                "Where in the journey? (required)",
                touchpoints,
                key=_key("touchpoint_id"),
                index=touchpoints.index(prefill["touchpoint_id"]) if "touchpoint_id" in prefill else None,
                format_func=lambda tp_id: journey.where(tp_id),
                placeholder="Type a stage or touchpoint…",
            )
            _inline(errors, "touchpoint_id")
        with source:
            sources = list(Source)
            st.selectbox(
                "Source (required)",
                sources,
                key=_key("source"),
                format_func=lambda s: s.label,
                index=sources.index(prefill["source"]) if "source" in prefill else None,
                placeholder="Where did it come from?",
            )
            _inline(errors, "source")
        with st.expander(
            "Add details (optional)", expanded=bool(OPTIONAL_FIELDS & set(errors)) or len(prefill) > 2
        ):
            st.text_area(
                "Details", key=_key("description"), placeholder="What the customer tried, what they saw"
            )
            _inline(errors, "description")
            left, middle, right = st.columns(3)
            left.text_input("Account", key=_key("account"), value=prefill.get("account", ""))
            middle.number_input(
                "ARR ($)",
                key=_key("arr"),
                value=None,
                min_value=0,
                step=1000,
                placeholder="annual recurring revenue",
            )
            right.selectbox(
                "Severity",
                list(Severity),
                key=_key("severity"),
                index=list(Severity).index(prefill.get("severity", Severity.MEDIUM)),
                format_func=lambda s: s.value.capitalize(),
            )
            link, reporter = st.columns(2)
            link.text_input(
                "Link to the ticket or thread",
                key=_key("external_ref"),
                value=prefill.get("external_ref", ""),
                placeholder="https://… or ticket number",
            )
            reporter.text_input(
                "Reported by (customer contact)",
                key=_key("reporter"),
                value=prefill.get("reporter", ""),
                placeholder="name@customer.com",
            )
            for field in ("account", "arr", "severity", "external_ref", "reporter"):
                _inline(errors, field)
            st.multiselect(
                "CX drivers",
                list(DRIVERS),
                key=_key("drivers"),
                format_func=DRIVERS.get,
                placeholder="What made this conversation hard?",
            )
        st.form_submit_button(
            "Log friction",
            type="primary",
            on_click=_submit,
            args=(actor,),
            disabled=not actor.can("log_signal"),
        )


def _inline(errors: dict[str, str], field: str) -> None:
    if field in errors:
        st.error(f"{FIELD_LABELS.get(field, field)} {md_escape(errors[field])}.", icon=":material/error:")


def _submit(actor: Actor) -> None:
    """Runs before the rerun (a callback), so a double click re-sends the same token and finds the first signal."""
    state = st.session_state
    generation = state[GENERATION]
    data = {
        "title": state.get(_key("title")) or "",
        "touchpoint_id": state.get(_key("touchpoint_id")),
        "source": state.get(_key("source")),
        "description": state.get(_key("description")) or "",
        "account": state.get(_key("account")),
        "arr": state.get(_key("arr")),
        "severity": state.get(_key("severity")) or Severity.MEDIUM,
        "external_ref": state.get(_key("external_ref")),
        "reporter": state.get(_key("reporter")),
        "client_token": f"{state[SESSION_TOKEN]}-{generation}",
    } | {driver: driver in (state.get(_key("drivers")) or []) for driver in DRIVERS}
    try:
        signal = create_signal(get_store(), signal_in=data, actor=actor)
    except ValidationFailed as refused:
        state[ERRORS] = refused.problems
        state.pop(LOGGED, None)
        return
    except CxosError as refused:
        state[ERRORS] = {"form": str(refused)}
        return
    state[ERRORS] = {}
    state[LOGGED] = (signal.id, signal.title)
    state[GENERATION] = generation + 1
    refresh_after_write()
