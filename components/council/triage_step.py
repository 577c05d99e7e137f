"""Council step 2, triage: each waiting signal with the owner a rule or the model suggests, the confident ones
ticked, and one action on the ticked rows — by default, accept the suggestions.

Ticks are kept by signal id, never by row position: the table widget's key names the rows it shows, so when
the queue shifts (someone else triaged a row) the table is a new widget whose ticks are set again from the ids.
After an action the person's ticks are cleared: what is ticked then is the starting guess again.
"""

import pandas as pd
import streamlit as st

from components.common.data import glance_now
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.common.writes import flash, run_write
from components.council.data import CouncilState, load_waiting, ready_suggester
from components.council.ticks import CHOICES_KEY, GENERATION_KEY, chosen_ids, table_key
from components.council.unplaced import unplaced_section
from components.failure_modes.data import load_failure_modes
from cxos.council.triage import ACTIONS, BulkResult, OwnerGuess, bulk_triage
from cxos.routing.owner_model import confidence_threshold
from cxos.vocabulary import Decider, RoutedBy, Severity, Status, label, plural

TABLE_KEY_NOW = "council_triage_table_key"  # the key the table has on screen now
ENTITY = "signal"
ROOM_ACTIONS = ["accept", "correct", "link", "needs_info"]  # "confirm" is what accepting a kept owner does


def _routed_by(value: str | None) -> str:
    if not value:
        return "— nobody yet"
    routed = RoutedBy.parse(value)
    return {Decider.RULE: "a rule", Decider.MODEL: "the model"}.get(
        routed.kind if routed else None, "a person"
    )


def guess_words(guess: OwnerGuess | None) -> str:
    """How sure the suggestion is: '97% · the model' or 'rule #4'."""
    if guess is None:
        return "— no suggestion"
    if guess.by is Decider.RULE:
        return f"rule #{guess.rule_id}" if guess.rule_id is not None else "a rule"
    return f"{guess.confidence or 0:.0%} · the model"


def triage_frame(rows: list[dict], ctx: PageContext, guesses: dict[int, OwnerGuess]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "#": r["id"],
                "Logged": r["created_at"],
                "What happened": r["title"],
                "Where": ctx.journey.where(r["touchpoint_id"]),
                "Severity": label(Severity, r["severity"]),
                "Owner": ctx.journey.team_name(r["owner_team_id"]) or "— triage",
                "Suggested owner": ctx.journey.team_name(guesses[r["id"]].team_id)
                if r["id"] in guesses
                else "—",
                "Sure": guess_words(guesses.get(r["id"])),
                "Routed by": _routed_by(r["routed_by"]),
                "Status": label(Status, r["status"]),
            }
            for r in rows
        ],
        columns=[
            "#",
            "Logged",
            "What happened",
            "Where",
            "Severity",
            "Owner",
            "Suggested owner",
            "Sure",
            "Routed by",
            "Status",
        ],
    )


def triage_step(ctx: PageContext, state: CouncilState, changed: int, *, presenting: bool) -> None:
    suggester, model_key = ready_suggester()
    rows, counts, guesses = load_waiting(state.since, changed, model_key)
    threshold = confidence_threshold()
    st.markdown(
        f"**{plural(counts['unowned'], 'signal')}** without an owner · **{counts['unconfirmed']:,}** "
        "routed by a rule or the model since the last council, not yet confirmed"
    )
    ids = [r["id"] for r in rows]
    key = table_key(ids)
    st.session_state[TABLE_KEY_NOW] = key
    confident = {i for i, guess in guesses.items() if guess.confident(threshold)}
    chosen = chosen_ids(ids, key, confident)
    where = {signal_id: position for position, signal_id in enumerate(ids)}
    st.dataframe(
        triage_frame(rows, ctx, guesses),
        key=key,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        selection_default={"selection": {"rows": [where[i] for i in chosen]}},
        width="stretch",
        height=min(38 + 35 * len(rows), 560 if presenting else 420),
        column_config={
            "#": st.column_config.NumberColumn(width=60, format="%d"),
            "Logged": st.column_config.DatetimeColumn(format="D MMM, HH:mm", width=110),
            "What happened": st.column_config.TextColumn(width=400),
            "Where": st.column_config.TextColumn(width=240),
        },
    )
    shown = (
        "" if len(rows) >= counts["unowned"] + counts["unconfirmed"] else f"The oldest {len(rows):,} shown. "
    )
    st.caption(
        f"{shown}Ticked to start with: the owner a rule chose, or the model at {threshold:.0%} or more sure."
        + ("" if suggester else " The owner model is not ready yet: only rules suggest for now.")
    )
    versions = {r["id"]: seen_version(ENTITY, r["id"], r["version"]) for r in rows}
    if ctx.actor.can("assign_owner"):
        _bulk_form(ctx, chosen, versions, guesses)
    unplaced_section(ctx, changed, presenting=presenting)


def _bulk_form(
    ctx: PageContext, chosen: list[int], versions: dict[int, int], guesses: dict[int, OwnerGuess]
) -> None:
    action, target, apply = st.columns([3, 4, 2], vertical_alignment="bottom")
    picked = action.selectbox("Do this", ROOM_ACTIONS, format_func=ACTIONS.get, key="council_triage_action")
    team_id = failure_mode_id = None
    question = ""
    acting_on = chosen
    if picked == "accept":
        acting_on = [i for i in chosen if i in guesses]
        without = len(chosen) - len(acting_on)
        target.caption(
            "Each ticked signal gets the suggested owner; a kept owner is recorded as confirmed by the council."
            + (
                f" {plural(without, 'ticked signal')} without a suggestion: correct the owner instead."
                if without
                else ""
            )
        )
    elif picked == "correct":
        team_id = target.selectbox(
            "Owner team",
            [t for t, _ in ctx.journey.teams],
            index=None,
            format_func=ctx.journey.team_name,
            key="council_triage_team",
            placeholder="Choose the team",
        )
    elif picked == "link":
        modes = {f.id: f.name for f in load_failure_modes(glance_now())}
        failure_mode_id = target.selectbox(
            "Failure mode",
            list(modes),
            index=None,
            format_func=modes.get,
            key="council_triage_mode",
            placeholder="Choose the failure mode",
        )
    else:
        question = target.text_input("What do we need to know?", key="council_triage_question", max_chars=500)
    verb = "Accept for" if picked == "accept" else "Apply to"
    if apply.button(
        f"{verb} {plural(len(acting_on), 'signal')}",
        type="primary",
        disabled=not acting_on,
        width="stretch",
        key="council_triage_apply",
    ):
        run_write(
            lambda: bulk_triage(
                ctx.store,
                items=[(i, versions[i]) for i in acting_on if i in versions],
                action=picked,
                actor=ctx.actor,
                team_id=team_id,
                failure_mode_id=failure_mode_id,
                question=question,
                owners={i: guesses[i].team_id for i in acting_on if i in guesses},
            ),
            done=lambda result: (
                f"{ACTIONS[picked]}: done for {plural(len(result.done), 'signal')}." if result.done else None
            ),
            show="flash",
            rows=[(ENTITY, i) for i in acting_on],
            after=_clear_choices,
            rerun="fragment",
        )


def _clear_choices(result: BulkResult) -> None:
    """Each refused row said with its reason; the ticks are cleared and the table is a new one, so no tick
    can stay on a row nobody chose."""
    for signal_id, why in result.refused:
        flash("error", f"#{signal_id} refused — {md_escape(why)}")
    st.session_state.pop(CHOICES_KEY, None)
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
