"""The import wizard's cards: read the upload, preview it, map its columns, run it with a progress bar."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from components.data import LOADER_TTL_S, get_store, refresh_after_write
from components.page import PageContext
from cxos.errors import CxosError
from cxos.importers.batch import import_table
from cxos.importers.mapping import FIELDS, Profile, fields_to_columns
from cxos.importers.profiles import list_profiles, save_profile, suggest_profile
from cxos.importers.reading import Table, open_table
from cxos.importers.report import ImportReport
from cxos.vocabulary import Source

NOT_MAPPED = "(not in this file)"
PREVIEW_ROWS = 20


@st.cache_data(ttl=LOADER_TTL_S, show_spinner=False)
def load_profiles() -> list[Profile]:
    return list_profiles(get_store())


def read_upload(data: bytes, name: str) -> Table | None:
    """The opened export, or None after showing why it cannot be read."""
    try:
        return open_table(data, name)
    except CxosError as error:
        st.error(str(error))
        return None


def preview_card(table: Table) -> None:
    with st.container(border=True):
        st.markdown("**Preview**")
        how = {"csv": "CSV", "xlsx": "Excel workbook", "slack_json": "Slack channel export"}[table.kind]
        delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(table.delimiter or "", "")
        st.caption(" · ".join(part for part in [how, table.encoding and f"encoding {table.encoding}",
                                                 delimiter and f"{delimiter}-separated",
                                                 f"{len(table.header)} columns"] if part))
        rows = table.preview(PREVIEW_ROWS)
        st.dataframe(pd.DataFrame(rows, columns=table.header), hide_index=True, width="stretch",
                     height=min(38 + 35 * len(rows), 420))


def mapping_card(ctx: PageContext, table: Table) -> Profile:
    """Choose a profile, adjust which column fills each field, and the defaults; returns the profile to run."""
    profiles = {p.name: p for p in load_profiles()}
    suggested = suggest_profile(table.header, table.kind)
    profiles.setdefault(suggested.name, suggested)
    if suggested.built_in:
        profiles[suggested.name] = suggested  # the generic profile carries the header's guessed mapping
    with st.container(border=True):
        st.markdown("**Column mapping**")
        names = list(profiles)
        name = st.selectbox("Profile", names, index=names.index(suggested.name), key="import_profile",
                            help="Built-in profiles for Zendesk, Intercom and Slack exports, or one your team saved.")
        profile = profiles[name]
        by_field = fields_to_columns(profile.mapping)
        options = [NOT_MAPPED, *table.header]
        mapping: dict[str, str] = {}
        columns = st.columns(4)
        for position, (field_name, label) in enumerate(FIELDS.items()):
            current = by_field.get(field_name)
            column = columns[position % 4].selectbox(
                label, options, index=options.index(current) if current in options else 0,
                key=f"import_map_{name}_{field_name}")
            if column != NOT_MAPPED:
                mapping[column] = field_name
        return replace(profile, mapping=mapping, **_defaults(ctx, profile, name, table.kind))


def _defaults(ctx: PageContext, profile: Profile, name: str, kind: str) -> dict:
    left, middle, right = st.columns(3)
    sources = [None, *(s.value for s in Source)]
    source = left.selectbox("Default source", sources, index=sources.index(profile.default_source)
                            if profile.default_source in sources else 0, key=f"import_source_{name}",
                            format_func=lambda v: "(none: a column says)" if v is None else Source(v).label)
    touchpoints = [None, *(tp.id for tp in ctx.journey.touchpoints if not tp.archived)]
    touchpoint = middle.selectbox(
        "Default touchpoint", touchpoints, key=f"import_touchpoint_{name}",
        index=touchpoints.index(profile.default_touchpoint_id) if profile.default_touchpoint_id in touchpoints else 0,
        format_func=lambda v: "(none: unmatched rows are reported)" if v is None else ctx.journey.where(v),
        help="For rows without a touchpoint column, or whose value matches no touchpoint name.")
    prefix = right.text_input("Reference prefix", profile.ref_prefix, key=f"import_prefix_{name}",
                              help="Put before bare ticket ids, e.g. https://acme.zendesk.com/agent/tickets/")
    skip = kind == "slack_json" and st.checkbox("Skip thread replies", profile.skip_replies, key=f"import_skip_{name}",
                                                help="A thread's first message stands for its replies.")
    return {"default_source": source, "default_touchpoint_id": touchpoint, "ref_prefix": prefix.strip(),
            "skip_replies": skip}


def run_with_progress(ctx: PageContext, table: Table, profile: Profile, *, label: str, dry_run: bool) -> ImportReport | None:
    bar = st.progress(0.0, text="Reading rows…")
    try:
        report = import_table(ctx.store, table=table, profile=profile, actor=ctx.actor, label=label, dry_run=dry_run,
                              progress=lambda done, rows: bar.progress(min(done, 1.0), text=f"{rows:,} rows read"))
    except CxosError as error:
        bar.empty()
        st.error(str(error))
        return None
    bar.empty()
    if not dry_run:
        refresh_after_write()
    return report


def save_profile_form(ctx: PageContext, profile: Profile) -> None:
    with st.popover("Save mapping as a profile", icon=":material/bookmark_add:"):
        saved = {p.name: p for p in load_profiles() if not p.built_in}
        name = st.text_input("Profile name", "" if profile.built_in else profile.name, max_chars=80,
                             key="import_profile_name")
        if st.button("Save profile", type="primary", key="import_profile_save"):
            existing = saved.get(name.strip())
            to_save = replace(profile, name=name, built_in=False, id=existing.id if existing else None,
                              version=existing.version if existing else None)
            try:
                save_profile(ctx.store, profile=to_save, actor=ctx.actor)
            except CxosError as error:
                st.error(str(error))
                return
            refresh_after_write()
            st.success(f"Saved profile “{name.strip()}”.")
