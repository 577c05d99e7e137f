"""The import wizard's cards: read the upload, preview it, map its columns, run it with a progress bar."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from components.common.data import get_store, refresh_after_write, versioned
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.common.writes import run_write
from components.imports.dates import date_reading_caption, date_settings
from components.imports.report import report_card
from cxos.errors import CxosError
from cxos.importers.batch import import_table
from cxos.importers.mapping import FIELDS, Profile, fields_to_columns, fit_to_header
from cxos.importers.profiles import detect_profile, list_profiles, save_profile
from cxos.importers.reading import Table, open_table
from cxos.importers.report import ImportReport
from cxos.models import ImportProfile
from cxos.vocabulary import Source

PROFILE_KIND = "import_profile"  # the seen-versions kind (components/common/seen.py)

NOT_MAPPED = "(not in this file)"
PREVIEW_ROWS = 20
KIND_LABELS = {
    "csv": "CSV",
    "xlsx": "Excel workbook",
    "slack_json": "Slack channel export",
    "json": "JSON export",
    "google_sheet": "Google Sheet",
}


@versioned(ImportProfile)
def load_profiles() -> list[Profile]:
    return list_profiles(get_store())


def seen_profiles() -> dict[str, Profile]:
    """The saved profiles by name, each at the version this person first saw here: saving over one that
    someone else changed since is refused, not a silent overwrite of their mapping."""
    return {
        p.name: replace(p, version=seen_version(PROFILE_KIND, p.id, p.version or 0))
        for p in load_profiles()
        if not p.built_in and p.id is not None
    }


def file_section(ctx: PageContext) -> None:
    """Upload, preview, mapping guessed from the profile, dry run, import, report."""
    upload = st.file_uploader("Export file", type=["csv", "tsv", "txt", "xlsx", "json"], key="import_upload")
    if upload is None:
        st.info("Choose a file to see a preview. Nothing is stored until you press Import.")
        return
    table = read_upload(upload.getvalue(), upload.name)
    if table is None:
        return
    preview_card(table)
    profile = mapping_card(ctx, table, source_id=f"{upload.file_id}:{upload.name}")
    actions = st.columns([1, 1, 1, 3])
    dry_run = actions[0].button(
        "Dry run", icon=":material/fact_check:", help="Validate every row; store nothing."
    )
    go = actions[1].button("Import", type="primary", icon=":material/upload:")
    with actions[2]:
        save_profile_form(ctx, profile)
    if dry_run or go:
        st.session_state["import_report"] = run_with_progress(
            ctx, table, profile, label=upload.name, dry_run=dry_run
        )
    if st.session_state.get("import_report") is not None:
        report_card(st.session_state["import_report"])


def read_upload(data: bytes, name: str) -> Table | None:
    """The opened export, or None after showing why it cannot be read."""
    try:
        return open_table(data, name)
    except CxosError as error:
        st.error(md_escape(error))
        return None


def preview_card(table: Table) -> None:
    with st.container(border=True):
        st.markdown("**Preview**")
        how = KIND_LABELS.get(table.kind, table.kind)
        delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(table.delimiter or "", "")
        st.caption(
            " · ".join(
                md_escape(part)
                for part in [
                    how,
                    table.encoding and f"encoding {table.encoding}",
                    delimiter and f"{delimiter}-separated",
                    f"{len(table.header)} columns",
                ]
                if part
            )
        )
        rows = table.preview(PREVIEW_ROWS)
        st.dataframe(
            pd.DataFrame(rows, columns=table.header),
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * len(rows), 420),
        )


def mapping_card(
    ctx: PageContext,
    table: Table,
    *,
    key: str = "import",
    preferred: str | None = None,
    source_id: str | None = None,
) -> Profile:
    """Choose a profile, adjust which column fills each field, and the defaults; returns the profile to run.
    `key` prefixes the widgets' keys (two wizards on one page); `preferred` is the profile to start from;
    `source_id` names the upload, so the dates' reading is worked out once per file and settings."""
    profiles = {p.name: p for p in load_profiles()}
    sample = table.preview(PREVIEW_ROWS)
    detection = detect_profile(table.header, table.kind, sample)
    suggested = detection.profile
    profiles.setdefault(suggested.name, suggested)
    if suggested.built_in:
        profiles[suggested.name] = suggested  # the generic profile carries the header's guessed mapping
    start = preferred if preferred in profiles else suggested.name
    with st.container(border=True):
        st.markdown("**Column mapping**")
        names = list(profiles)
        name = st.selectbox(
            "Profile",
            names,
            index=names.index(start),
            key=f"{key}_profile",
            help="Built-in profiles for each tool's export (README, Importing), or one your team saved.",
        )
        st.caption(md_escape(f"Detected: {detection.describe()}."))
        profile = fit_to_header(profiles[name], table.header, sample)
        by_field = fields_to_columns(profile.mapping)
        options = [NOT_MAPPED, *table.header]
        mapping: dict[str, str] = {}
        columns = st.columns(4)
        for position, (field_name, label) in enumerate(FIELDS.items()):
            current = by_field.get(field_name)
            column = columns[position % 4].selectbox(
                md_escape(label),
                options,
                index=options.index(current) if current in options else 0,
                key=f"{key}_map_{name}_{field_name}",
            )
            if column != NOT_MAPPED:
                mapping[column] = field_name
        keys = f"{key}_%s_{name}"
        chosen = replace(
            profile,
            mapping=mapping,
            **_defaults(ctx, profile, keys, table.kind),
            **date_settings(profile, keys),
        )
        date_reading_caption(table, chosen, cache_key=source_id)
        return chosen


def _defaults(ctx: PageContext, profile: Profile, keys: str, kind: str) -> dict:
    left, middle, right = st.columns(3)
    sources = [None, *(s.value for s in Source)]
    source = left.selectbox(
        "Default source",
        sources,
        index=sources.index(profile.default_source) if profile.default_source in sources else 0,
        key=keys % "source",
        format_func=lambda v: "(none: a column says, else other)" if v is None else Source(v).label,
    )
    touchpoints = [None, *(tp.id for tp in ctx.journey.touchpoints if not tp.archived)]
    touchpoint = middle.selectbox(
        "Default touchpoint",
        touchpoints,
        key=keys % "touchpoint",
        index=touchpoints.index(profile.default_touchpoint_id)
        if profile.default_touchpoint_id in touchpoints
        else 0,
        format_func=lambda v: "(none: placed row by row)" if v is None else ctx.journey.where(v),
        help="For rows without a touchpoint column, or whose value matches no touchpoint name. With none, "
        "each row without a touchpoint column is placed by the placement rules, then the placement model when "
        "it is sure; the rest wait in the council's Unplaced list. A value that matches no touchpoint is reported.",
    )
    prefix = right.text_input(
        "Reference prefix",
        profile.ref_prefix,
        key=keys % "prefix",
        help="Put before bare ticket ids, e.g. https://acme.zendesk.com/agent/tickets/",
    )
    skip = kind == "slack_json" and st.checkbox(
        "Skip thread replies",
        profile.skip_replies,
        key=keys % "skip",
        help="A thread's first message stands for its replies.",
    )
    return {
        "default_source": source,
        "default_touchpoint_id": touchpoint,
        "ref_prefix": prefix.strip(),
        "skip_replies": skip,
    }


def run_with_progress(
    ctx: PageContext, table: Table, profile: Profile, *, label: str, dry_run: bool
) -> ImportReport | None:
    bar = st.progress(0.0, text="Reading rows…")
    try:
        report = import_table(
            ctx.store,
            table=table,
            profile=profile,
            actor=ctx.actor,
            label=label,
            dry_run=dry_run,
            progress=lambda done, rows: bar.progress(min(done, 1.0), text=f"{rows:,} rows read"),
        )
    except CxosError as error:
        bar.empty()
        st.error(md_escape(error))
        return None
    bar.empty()
    if not dry_run:
        refresh_after_write()
    return report


def save_profile_form(ctx: PageContext, profile: Profile, *, key: str = "import") -> None:
    seen_profiles()  # remembered as drawn: saving over one of them later is checked against it
    with st.popover("Save mapping as a profile", icon=":material/bookmark_add:"):
        name = st.text_input(
            "Profile name", "" if profile.built_in else profile.name, max_chars=80, key=f"{key}_profile_name"
        )
        if st.button("Save profile", type="primary", key=f"{key}_profile_save") and store_profile(
            ctx, profile, name
        ):
            st.success(f"Saved profile “{md_escape(name.strip())}”.")


def store_profile(ctx: PageContext, profile: Profile, name: str) -> Profile | None:
    """Save the mapping under `name` (a new profile, or the saved one of that name); None after showing why not."""
    existing = seen_profiles().get(name.strip())
    to_save = replace(
        profile,
        name=name,
        built_in=False,
        id=existing.id if existing else None,
        version=existing.version if existing else None,
    )
    return run_write(
        lambda: save_profile(ctx.store, profile=to_save, actor=ctx.actor),
        done=None,
        show="inline",
        rows=[(PROFILE_KIND, existing.id if existing else None)],
    )
