"""The weekly digest in Markdown a manager can forward: signals, fixes shipped with their proof, loops, KPIs."""

import argparse
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from cxos.clock import utcnow
from cxos.fixes.lifecycle import fixes_in_flight, fixes_shipped_since
from cxos.fixes.recurrence import recurrence_for_fix
from cxos.inputs import md_inline
from cxos.kpis import figures as kpis
from cxos.kpis import headline
from cxos.models import Fix
from cxos.store.store import Store
from cxos.vocabulary import Source, label, plural

PROOF_WEEKS = 12


def hours_text(hours: float | None) -> str:
    """A duration as people say it: minutes under an hour, hours under two days, else days."""
    if hours is None:
        return "—"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def weekly_digest(session: Session, *, now: datetime) -> str:
    # The shared figures' windows (cxos/kpis/headline.py), so the digest says what Home and the KPIs say.
    today = now.date()
    week = kpis.KpiFilter(headline.WEEK.start(today), now)
    before = kpis.KpiFilter(*headline.WEEK.before(today))
    quarter = kpis.KpiFilter(headline.ROUTING.start(today), now)
    this_week = kpis.signals_per_week(session, week)
    total, previous = sum(r[3] for r in this_week), sum(r[3] for r in kpis.signals_per_week(session, before))
    by_source: dict[str, int] = {}
    for _, source, _, n in this_week:
        by_source[label(Source, source)] = by_source.get(label(Source, source), 0) + n
    change = f" ({(total - previous) / previous:+.0%} on the week before)" if previous else ""
    lines = [
        f"# CX OS weekly digest — week ending {now:%d %B %Y}",
        "",
        f"## Signals: {plural(total, 'new signal')}{change}, {headline.WEEK.text(today)}",
        "",
    ]
    lines += [f"- {name}: {n:,}" for name, n in sorted(by_source.items(), key=lambda kv: -kv[1])] or [
        "- none"
    ]

    lines += ["", f"## Fixes shipped, {headline.WEEK.text(today)}", ""]
    shipped = fixes_shipped_since(session, since=week.start)
    lines += [
        f"- **{md_inline(f.title)}** ({md_inline(f.failure_mode)}, {md_inline(f.owner_team or 'no owner')}): {md_inline(f.what_changed)}"
        for f in shipped
    ] or ["- none this week"]

    lines += ["", f"## Proof: fixes shipped in the last {PROOF_WEEKS} weeks, before vs after", ""]
    for row in fixes_shipped_since(session, since=now - timedelta(weeks=PROOF_WEEKS)):
        result = recurrence_for_fix(session, session.get_one(Fix, row.fix_id), now=now)
        lines.append(
            f"- {md_inline(row.title)}: **{result.verdict}** — {result.rate_before:.2f} → {result.rate_after:.2f} "
            f"{result.rate_unit}; notices {row.notices_sent} sent of {row.notices_drafted}"
        )
    if lines[-1] == "":
        lines.append("- none")

    late = [r for r in fixes_in_flight(session, now=now) if r.overdue or r.stale]
    lines += ["", "## Fixes in flight that need a nudge", ""]
    lines += [
        f"- {md_inline(r.title)} ({md_inline(r.owner_team or 'no owner')}): "
        + ", ".join(
            w
            for w, flag in (
                (f"overdue since {r.due_on:%d %b}" if r.due_on else "", r.overdue),
                (f"no update for {r.days_since_update} days", r.stale),
            )
            if flag
        )
        for r in late
    ] or ["- none"]

    closed, due = kpis.loop_closure(session, quarter)
    accuracy = headline.routing(session, today).overall.accuracy
    route_h, fix_d = kpis.time_to_route_hours(session, quarter), kpis.time_to_fix_days(session, quarter)
    summary = kpis.recurrence_summary(session, quarter, now=now)
    lines += [
        "",
        f"## KPIs, {headline.ROUTING.text(today)}",
        "",
        f"- Routing accuracy: {_pct(accuracy)}",
        f"- Time to route (median): {hours_text(route_h)}",
        f"- Time to fix (median): {'—' if fix_d is None else f'{fix_d:.1f} days'}",
        f"- Loop-closure rate: {_pct(closed / due if due else None)} ({closed:,} of {due:,} fixed signals)",
        f"- Recurrence reduction: {_pct(summary.reduction)} across {summary.judged} {'fix' if summary.judged == 1 else 'fixes'}"
        f" ({summary.materially_less} materially less)",
        "",
        "_Definitions: see the KPIs page in CX OS._",
        "",
    ]
    return "\n".join(lines)


def digest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="write the Markdown here instead of printing it")


def digest_output(store: Store, args: argparse.Namespace) -> tuple[str, str]:
    """The digest on standard output, or written to --out with a note on standard error."""
    with store.read() as session:
        text = weekly_digest(session, now=utcnow())
    if not args.out:
        return text, ""
    Path(args.out).write_text(text, encoding="utf-8")
    return "", f"Digest written to {args.out}.\n"
