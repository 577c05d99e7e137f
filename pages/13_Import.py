"""Import wizard: upload a ticket or chat export, check the mapping, dry-run it, then import it as signals."""

import streamlit as st

from components.import_report import report_card
from components.import_wizard import (
    mapping_card,
    preview_card,
    read_upload,
    run_with_progress,
    save_profile_form,
)
from components.page import setup_page

ctx = setup_page("Import", ":material/upload_file:")
st.title("Import signals")
st.caption("Zendesk and Intercom ticket exports, Slack channel exports or any CSV/XLSX: every row becomes a signal, "
           "a skipped duplicate, or a reported error with its row number.")

if not ctx.actor.can("import_signals"):
    st.info(f"Importing needs the council role; {ctx.actor.name} has the {ctx.actor.role.value} role.")
    st.stop()

upload = st.file_uploader("Export file", type=["csv", "tsv", "txt", "xlsx", "json"], key="import_upload")
if upload is None:
    st.info("Choose a file to see a preview. Nothing is stored until you press Import.")
    st.stop()

table = read_upload(upload.getvalue(), upload.name)
if table is None:
    st.stop()
preview_card(table)
profile = mapping_card(ctx, table)
actions = st.columns([1, 1, 1, 3])
dry_run = actions[0].button("Dry run", icon=":material/fact_check:", help="Validate every row; store nothing.")
go = actions[1].button("Import", type="primary", icon=":material/upload:")
with actions[2]:
    save_profile_form(ctx, profile)
if dry_run or go:
    st.session_state["import_report"] = run_with_progress(ctx, table, profile, label=upload.name, dry_run=dry_run)
if st.session_state.get("import_report") is not None:
    report_card(st.session_state["import_report"])
