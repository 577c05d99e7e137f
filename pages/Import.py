"""Import page: a ticket or chat export file, or the team's own friction-log Google Sheet, as signals."""

import streamlit as st

from components.common import pages
from components.common.page import setup_page
from components.common.safe import md_escape
from components.imports.sheet import sheet_section
from components.imports.wizard import file_section

ctx = setup_page(pages.IMPORT)
st.title("Import signals")
st.caption(
    "Exports from Zendesk, Intercom, Freshdesk, HubSpot, Jira Service Management, Help Scout, Front, "
    "Discourse, Slack, Typeform and SurveyMonkey (the tool is detected from the header), any CSV/XLSX, or your "
    "team's friction-log Google Sheet: every row becomes a signal, a skipped duplicate, or a reported error "
    "with its row number."
)

if not ctx.actor.can("import_signals"):
    st.info(
        f"Importing needs the council role; {md_escape(ctx.actor.name)} has the {ctx.actor.role.value} role."
    )
    st.stop()

file_tab, sheet_tab = st.tabs(["From a file", "From a Google Sheet"])
with file_tab:
    file_section(ctx)
with sheet_tab:
    sheet_section(ctx)
