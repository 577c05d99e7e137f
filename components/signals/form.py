"""The quick-entry form: three required answers, everything else optional, one signal per submit."""

import uuid
from typing import Any

import streamlit as st

from components.common import pages
from components.common.data import Journey, get_store, refresh_after_write
from components.common.safe import md_escape
from components.common.url_params import url_choice, url_text
from cxos.errors import CxosError, ValidationFailed
from cxos.identity import Actor
from cxos.inputs import TITLE_MAX, split_title
from cxos.signals.writes import create_signal
from cxos.vocabulary import DRIVERS, Severity, Source, field_label

GENERATION = "entry_generation"  # bumped after each logged signal: new widget keys, so an empty form
SESSION_TOKEN = "entry_session_token"
ERRORS = "entry_errors"
LOGGED = "entry_logged"
FLAGGED_TITLE = "entry_flagged_title"  # an over-long title the form has said it will split
OPTIONAL_FIELDS = {"description", "account", "arr", "severity", "reporter", "external_ref"}


def _key(name: str) -> str:
    return f"entry_{name}_{st.session_state[GENERATION]}"


PREFILL_MAX_CHARS = 2_000  # of one prefilled text; the form's own limits apply when it is submitted


def prefill_from_url(journey: Journey) -> dict[str, Any]:
    """Form defaults from `?source=slack&touchpoint=…&title=…`; what it cannot use is left out with a note."""
    # Touchpoints by id, name or "Stage › Touchpoint" label; the first one keeps a name two stages share.
    touchpoints: dict[str, int] = {}
    for tp in reversed([tp for tp in journey.touchpoints if not tp.archived]):
        touchpoints |= {str(tp.id): tp.id, tp.name: tp.id, tp.label: tp.id}
    missing = object()
    prefill: dict[str, Any] = {
        "source": url_choice(
            "source",
            field_label("source"),
            {s.value: s for s in Source} | {s.label: s for s in Source},
            missing,
        ),
        "touchpoint_id": url_choice("touchpoint", field_label("touchpoint_id"), touchpoints, missing),
        "severity": url_choice("severity", field_label("severity"), {s.value: s for s in Severity}, missing),
    }
    for field, param in (
        ("title", "title"),
        ("account", "account"),
        ("external_ref", "ref"),
        ("reporter", "reporter"),
    ):
        prefill[field] = url_text(param, field_label(field), max_chars=PREFILL_MAX_CHARS)
    return {field: value for field, value in prefill.items() if value is not missing and value != ""}


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
        # No max_chars: the browser drops a paste longer than that whole, leaving the field empty.
        title = st.text_input(
            "What happened? (required)",
            key=_key("title"),
            value=prefill.get("title", ""),
            placeholder="e.g. New hires can't log in via SSO after the SCIM sync",
        )
        _flag_overlong(title)
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
        st.error(f"{field_label(field)} {md_escape(errors[field])}.", icon=":material/error:")


def _flag_overlong(title: str) -> None:
    """Say that an over-long title will be split, and remember it was said: the next submit logs it so."""
    if len(title) <= TITLE_MAX:
        st.session_state.pop(FLAGGED_TITLE, None)
        return
    st.session_state[FLAGGED_TITLE] = title
    st.warning(
        f"{len(title):,} of {TITLE_MAX} characters; the rest goes into the details. "
        "Log friction again to log it so, or shorten it.",
        icon=":material/content_cut:",
    )


def _title_and_details(title: str, details: str) -> tuple[str, str]:
    head, rest = split_title(title)
    return head, "\n\n".join(part for part in (rest, details) if part)


def _submit(actor: Actor) -> None:
    """Runs before the rerun (a callback), so a double click re-sends the same token and finds the first signal."""
    state = st.session_state
    generation = state[GENERATION]
    typed = state.get(_key("title")) or ""
    if len(typed) > TITLE_MAX and state.get(FLAGGED_TITLE) != typed:
        state[ERRORS] = {}
        return  # not logged yet: the rerun keeps the text and says where the rest will go
    title, details = _title_and_details(typed, state.get(_key("description")) or "")
    data = {
        "title": title,
        "touchpoint_id": state.get(_key("touchpoint_id")),
        "source": state.get(_key("source")),
        "description": details,
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
