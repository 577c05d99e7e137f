"""The Integrations page's notice cards: where each team is told (Slack, e-mail) and the outbox's state."""

import pandas as pd
import streamlit as st

from components.common.data import get_store
from components.common.safe import md_escape
from components.common.writes import run_write
from components.integrations.data import load_notice_counts, load_notices, load_team_channels
from cxos.identity import Actor
from cxos.notify.channels import set_team_channels
from cxos.vocabulary import NoticeState


def team_channels_card(actor: Actor) -> None:
    with st.container(border=True):
        st.markdown("#### Where teams are told")
        st.caption(
            "Each team hears here when signals are routed to it (one message a minute), when a failure mode "
            "becomes its own, when a fix is due tomorrow or overdue, and with the weekly digest. E-mail goes "
            "through the [smtp] settings loop notices use."
        )
        teams = load_team_channels()
        if not teams:
            st.info("No team yet: teams come with the journey map.")
            return
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Team": t["Team"],
                        "Slack": "set" if t["slack_webhook_url"] else "",
                        "E-mail": t["E-mail"],
                    }
                    for t in teams
                ]
            ),
            width="stretch",
            hide_index=True,
        )
        if not actor.can("manage_integrations"):
            st.caption("Admins set the teams' channels.")
            return
        picked = st.selectbox(
            "Team",
            [t["team_id"] for t in teams],
            format_func=lambda i: _team(teams, i)["Team"],
            key="channels-team",
        )
        team = _team(teams, picked)
        with st.form(f"channels-{picked}-{team['version']}", border=False):
            url = st.text_input(
                "Slack incoming-webhook URL",
                value=team["slack_webhook_url"],
                type="password",
                placeholder="https://hooks.slack.com/services/…",
            )
            email = st.text_input("E-mail address", value=team["E-mail"], max_chars=254)
            if st.form_submit_button("Save", icon=":material/save:"):
                run_write(
                    lambda: set_team_channels(
                        get_store(),
                        team_id=picked,
                        expected_version=team["version"],
                        slack_webhook_url=url,
                        email=email,
                        actor=actor,
                    ),
                    done=f"{md_escape(team['Team'])}'s channels saved.",
                )


def outbox_card() -> None:
    with st.container(border=True):
        st.markdown("#### Notices")
        st.caption(
            "Every notice is stored first, then sent by the app's sender (or `python -m cxos send-notices`); "
            "a failed one is tried again later, waiting twice as long each time."
        )
        counts = load_notice_counts()
        for tile, state in zip(st.columns(3), NoticeState, strict=True):
            tile.metric(state.value.capitalize(), f"{counts.get(state.value, 0):,}", border=True)
        notices = load_notices()
        if not notices:
            st.info("No notice yet: set a team's channels above.")
            return
        st.dataframe(pd.DataFrame(notices).set_index("id"), width="stretch")


def _team(teams: list[dict], team_id: int) -> dict:
    return next(t for t in teams if t["team_id"] == team_id)
