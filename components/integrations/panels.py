"""The Integrations page's cards: tokens (create, show once, revoke) and the inbox (what failed, and retry)."""

import pandas as pd
import streamlit as st

from components.common.data import get_store
from components.common.safe import md_escape
from components.common.writes import run_write
from components.integrations.data import load_failed_items, load_inbox_counts, load_tokens
from cxos import config
from cxos.identity import Actor
from cxos.intake import inbox
from cxos.intake.tokens import NewToken, create_token, revoke_token
from cxos.vocabulary import InboxState, TokenScope

NEW_SECRET = "integrations_new_secret"  # the token just made, shown once on the next run, then forgotten
PAYLOAD_PREVIEW_CHARS = 4_000


def tokens_card(actor: Actor) -> None:
    with st.container(border=True):
        st.markdown("#### Tokens")
        st.caption(
            "Each integration sends its own token: `Authorization: Bearer <token>`. Its name is who the friction "
            "log says logged the signal. Only a hash is stored: a token is shown once, when it is made."
        )
        _show_new_secret()
        tokens = load_tokens()
        if tokens:
            frame = pd.DataFrame(tokens).set_index("id")
            st.dataframe(frame, width="stretch", hide_index=True)
        else:
            st.info("No integration has a token yet.")
        if not actor.can("manage_integrations"):
            st.caption("Admins make and revoke tokens.")
            return
        make, revoke = st.columns(2)
        with make.form("new-token", clear_on_submit=True, border=False):
            name = st.text_input("Integration name", max_chars=80, placeholder="Zendesk bridge")
            scope = st.radio("Scope", list(TokenScope), format_func=lambda s: s.label, horizontal=True)
            if st.form_submit_button("Make a token", icon=":material/key:"):
                run_write(
                    lambda: create_token(get_store(), name=name, scope=scope, actor=actor),
                    done=lambda made: f"Token made for {md_escape(made.token.name)}.",
                    after=_keep_secret,
                )
        live = [t for t in tokens if not t["Revoked"]]
        if live:
            with revoke.form("revoke-token", border=False):
                picked = st.selectbox(
                    "Revoke a token", [t["id"] for t in live], format_func=lambda i: _token_label(live, i)
                )
                if st.form_submit_button("Revoke", icon=":material/block:") and picked is not None:
                    run_write(
                        lambda: revoke_token(get_store(), token_id=picked, actor=actor),
                        done=lambda token: f"{md_escape(token.name)}'s token no longer works.",
                    )


def inbox_card(actor: Actor) -> None:
    with st.container(border=True):
        st.markdown("#### Inbox")
        counts = load_inbox_counts()
        st.caption(
            "Every accepted request is stored here before it is answered, then becomes a signal. "
            f"Requests over {config.intake_max_body_bytes():,} bytes are refused (413); each token may make "
            f"{config.intake_rate_limit():,} requests a minute (then 429)."
        )
        tiles = st.columns(3)
        for tile, state in zip(tiles, InboxState, strict=True):
            tile.metric(state.value.capitalize(), f"{counts.get(state.value, 0):,}", border=True)
        failed = load_failed_items()
        if not failed:
            st.success("Nothing is waiting: every request became a signal.")
            return
        st.markdown(
            f"**{len(failed):,} did not become signals.** Fix the cause (a touchpoint, a mapping), then retry."
        )
        st.dataframe(
            pd.DataFrame(failed).drop(columns=["payload"]).set_index("id"), width="stretch", hide_index=False
        )
        picked = st.selectbox("Inbox item", [item["id"] for item in failed], format_func=lambda i: f"#{i}")
        item = next(row for row in failed if row["id"] == picked)
        st.caption(f"Why: {md_escape(item['Reason'])}")
        st.code(item["payload"][:PAYLOAD_PREVIEW_CHARS], language="json")
        if actor.can("manage_integrations") and st.button(
            "Retry", icon=":material/replay:", key="retry-inbox"
        ):
            run_write(
                lambda: inbox.retry(get_store(), item_id=picked, actor=actor),
                done=lambda outcome: (
                    f"Inbox item #{outcome.item.id} became signal #{outcome.signal.id}."
                    if outcome.signal is not None
                    else f"Inbox item #{outcome.item.id} still cannot become a signal: {md_escape(outcome.item.reason)}"
                ),
            )


def _keep_secret(made: NewToken) -> None:
    st.session_state[NEW_SECRET] = (made.token.name, made.secret)


def _show_new_secret() -> None:
    kept = st.session_state.pop(NEW_SECRET, None)
    if kept:
        name, secret = kept
        st.success(f"The token for {md_escape(name)}: copy it now, it is not shown again.")
        st.code(secret, language=None)


def _token_label(tokens: list[dict], token_id: int) -> str:
    token = next(t for t in tokens if t["id"] == token_id)
    return f"{token['Integration']} ({token['Ends in']})"
