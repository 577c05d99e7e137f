"""A shipped fix's proof (recurrence chart and verdict) and its loop notices: draft, edit, export, send, template."""

import pandas as pd
import streamlit as st

from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version, setting_kind
from components.common.writes import run_write
from components.fixes.data import load_fix, load_notices, load_template
from components.kpis.charts import chart_png, recurrence_chart
from cxos.fixes.lifecycle import FIX_STATUS_LABELS, ShippedFix, advance_fix
from cxos.fixes.loops import PLACEHOLDERS, TEMPLATE_KEY, draft_notices, edit_notice, mark_sent, save_template
from cxos.fixes.notice_export import SmtpSettings, mailto_list, notices_csv, notices_markdown, send_notices
from cxos.fixes.recurrence import MATERIALLY_LESS, RULE, Recurrence

VERDICT_ICONS = {
    "materially less": ":material/trending_down:",
    "no clear change": ":material/trending_flat:",
    "worse": ":material/trending_up:",
    "too little data": ":material/hourglass_empty:",
}


def proof_panel(ctx: PageContext, shipped: ShippedFix, result: Recurrence) -> None:
    st.markdown(f"**What changed:** {md_escape(shipped.what_changed)}")
    verdict, before, after = st.columns(3)
    verdict.metric("Verdict", result.verdict.capitalize(), border=True, help=RULE)
    before.metric(
        f"Before · {result.weeks_before} weeks",
        f"{result.rate_before:.2f}",
        border=True,
        help=f"{result.signals_before} signals; {result.rate_unit}",
    )
    change = f"{result.change:+.0%}" if result.change is not None else None
    after.metric(
        f"After · {result.weeks_after} weeks",
        f"{result.rate_after:.2f}",
        change,
        delta_color="inverse",
        border=True,
        help=f"{result.signals_after} signals; {result.rate_unit}",
    )
    chart = recurrence_chart(
        [(p.week_start, p.side, p.rate) for p in result.weeks],
        shipped_at=result.shipped_at,
        unit=result.rate_unit,
        rate_before=result.rate_before,
        rate_after=result.rate_after,
    )
    st.altair_chart(chart, width="stretch")
    st.caption(f"{VERDICT_ICONS[result.verdict]} {md_escape(result.explanation)}. Rule: {RULE}")
    left, right = st.columns(2)
    left.download_button(
        "Chart as PNG",
        data=lambda: chart_png(chart),
        file_name=f"fix-{shipped.fix_id}-recurrence.png",
        mime="image/png",
        icon=":material/image:",
        key=f"fix_png_{shipped.fix_id}",
    )
    # The version shown when the page first drew this fix: a change made meanwhile is refused, not overwritten.
    seen = seen_version("fix", shipped.fix_id, shipped.version)
    if shipped.status == "shipped" and ctx.actor.can("manage_fixes"):
        if right.button(
            "Mark verified",
            disabled=result.verdict != MATERIALLY_LESS,
            key=f"fix_verify_{shipped.fix_id}",
            help="Only when the verdict is 'materially less'.",
        ):
            run_write(
                lambda: advance_fix(
                    ctx.store,
                    fix_id=shipped.fix_id,
                    expected_version=seen,
                    status="verified",
                    actor=ctx.actor,
                ),
                done="Fix verified.",
                rows=[("fix", shipped.fix_id)],
            )
    else:
        right.caption(f"Status: {FIX_STATUS_LABELS[shipped.status]}")


def notices_panel(ctx: PageContext, shipped: ShippedFix) -> None:
    notices, fix = load_notices(shipped.fix_id), load_fix(shipped.fix_id)
    sent = sum(n.status == "sent" for n in notices)
    st.markdown(f"**Loop notices** · {len(notices)} drafted, {sent} sent")
    can_send = ctx.actor.can("send_notices")
    if can_send and st.button(
        "Draft notices for every reporter",
        key=f"notices_draft_{shipped.fix_id}",
        help="One per customer (the reporter, else the account); safe to repeat.",
    ):
        run_write(
            lambda: draft_notices(ctx.store, fix_id=shipped.fix_id, actor=ctx.actor), done="Notices drafted."
        )
    if not notices:
        st.info("No notices yet for this fix.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "To": n.recipient,
                    "Account": n.account,
                    "Signal": n.signal_id,
                    "Status": n.status,
                    "Sent by": n.sent_by or "—",
                    "Sent at": n.sent_at,
                }
                for n in notices
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    csv_col, md_col, mail_col = st.columns(3)
    csv_col.download_button(
        "CSV",
        notices_csv(notices, fix),
        f"fix-{fix.id}-notices.csv",
        "text/csv",
        icon=":material/download:",
        key=f"notices_csv_{fix.id}",
    )
    md_col.download_button(
        "Markdown",
        notices_markdown(notices, fix),
        f"fix-{fix.id}-notices.md",
        "text/markdown",
        icon=":material/download:",
        key=f"notices_md_{fix.id}",
    )
    mail_col.download_button(
        "mailto links",
        mailto_list(notices, fix),
        f"fix-{fix.id}-mailto.txt",
        "text/plain",
        icon=":material/download:",
        key=f"notices_mailto_{fix.id}",
    )
    if not can_send:
        return
    drafted = {n.id: n for n in notices if n.status == "drafted"}
    if drafted:
        chosen = st.selectbox(
            "Notice", list(drafted), format_func=lambda i: drafted[i].recipient, key=f"notices_pick_{fix.id}"
        )
        notice = drafted[chosen]
        seen = seen_version("loop_notice", notice.id, notice.version)
        body = st.text_area("Text", notice.body, height=200, key=f"notices_body_{notice.id}_{seen}")
        save, done, smtp_col = st.columns(3)
        if save.button("Save the text", key=f"notices_save_{notice.id}"):
            run_write(
                lambda: edit_notice(
                    ctx.store,
                    notice_id=notice.id,
                    expected_version=seen,
                    body=body,
                    actor=ctx.actor,
                ),
                rows=[("loop_notice", notice.id)],
            )
        if done.button(
            "Mark sent", key=f"notices_sent_{notice.id}", help="Sent another way (mailto, your helpdesk)."
        ):
            run_write(
                lambda: mark_sent(ctx.store, notice_id=notice.id, expected_version=seen, actor=ctx.actor),
                done="Marked sent; the signal's loop is closed.",
                rows=[("loop_notice", notice.id)],
            )
        smtp = _smtp_settings()
        if smtp_col.button(
            "Send all drafted by e-mail",
            disabled=smtp is None,
            key=f"notices_smtp_{fix.id}",
            help="Configure [smtp] in .streamlit/secrets.toml to send from here." if smtp is None else None,
        ):
            _send(ctx, list(drafted.values()), fix, smtp)


def _send(ctx, notices, fix, smtp) -> None:
    seen = {n.id: seen_version("loop_notice", n.id, n.version) for n in notices}
    try:
        # Inline, no redraw: when notices were skipped, the reasons below must stay on screen.
        outcome = run_write(
            lambda: send_notices(
                ctx.store, notices=notices, fix=fix, smtp=smtp, actor=ctx.actor, seen_versions=seen
            ),
            done=None,
            show="inline",
            rows=[("loop_notice", n.id) for n in notices],
        )
    except OSError as error:
        st.error(
            f"Could not reach the mail server {md_escape(smtp.host)}:{smtp.port}: {md_escape(error)}. "
            "Nothing more was sent."
        )
        return
    if outcome is None:
        return
    sent, skipped = outcome
    if not skipped:
        st.toast(f"{len(sent)} sent.", icon=":material/check:")
        st.rerun()
    st.success(f"{len(sent)} sent. Reload to see their status.")
    for recipient, why in skipped.items():
        st.warning(f"{md_escape(recipient)}: {md_escape(why)}")


def _smtp_settings() -> SmtpSettings | None:
    try:
        return SmtpSettings.from_secrets(st.secrets.get("smtp"))
    except Exception:  # no secrets file: sending by e-mail is simply not configured
        return None


def template_panel(ctx: PageContext) -> None:
    st.caption("Placeholders: " + "; ".join(f"`{{{name}}}` {what}" for name, what in PLACEHOLDERS.items()))
    saved, version = load_template()
    kind = setting_kind(TEMPLATE_KEY)
    seen = seen_version(kind, 0, version)  # someone else's save meanwhile makes this one refused, not lost
    text = st.text_area(
        "Notice template",
        saved,
        height=220,
        key=f"notices_template_{seen}",
        disabled=not ctx.actor.can("send_notices"),
    )
    if ctx.actor.can("send_notices") and st.button("Save the template", key="notices_template_save"):
        run_write(
            lambda: save_template(ctx.store, template=text, expected_version=seen, actor=ctx.actor),
            done="Template saved.",
            rows=[(kind, 0)],
        )
    st.caption("New drafts use the saved template; notices already drafted keep their text.")
