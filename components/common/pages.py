"""The table of pages: each page's file, title, icon and sidebar section, written once for the sidebar and every link."""

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from urllib.parse import urlencode


class Section(StrEnum):
    """Sidebar headings, in order: the loop's four steps, then the weekly council that reviews all four."""

    LISTEN = "Listen"
    UNDERSTAND = "Understand"
    ACT = "Act"
    AMPLIFY = "Amplify"
    COUNCIL = "Council"
    ADMIN = "Admin"


@dataclass(frozen=True)
class Page:
    path: str  # relative to the app's root, as st.page_link and st.switch_page take it
    title: str  # the sidebar label and the browser tab's title
    icon: str
    section: Section | None  # the sidebar heading it sits under; None for the home page, above every heading

    @property
    def url_path(self) -> str:
        """The page's address, as Streamlit derives it from the file name: '/Friction_log'; '/' for home."""
        if self.section is None:
            return "/"
        name = re.sub(r"^[0-9]*[_ -]*", "", PurePosixPath(self.path).stem)
        return "/" + re.sub(r"[_ ]+", "_", name)

    def url(self, **query: str | int) -> str:
        """A link into the page for places that take a URL rather than a page (a table's link column)."""
        return f"{self.url_path}?{urlencode(query)}" if query else self.url_path


HOME = Page("app.py", "This week", ":material/today:", None)
LOG_FRICTION = Page("pages/Log_friction.py", "Log friction", ":material/edit_note:", Section.LISTEN)
FRICTION_LOG = Page("pages/Friction_log.py", "Friction log", ":material/list_alt:", Section.LISTEN)
IMPORT = Page("pages/Import.py", "Import", ":material/upload_file:", Section.LISTEN)
JOURNEY = Page("pages/Journey.py", "Journey", ":material/route:", Section.UNDERSTAND)
HEATMAPS = Page("pages/Heatmaps.py", "Heatmaps", ":material/grid_on:", Section.UNDERSTAND)
ROUTING_RULES = Page("pages/Routing_rules.py", "Routing rules", ":material/alt_route:", Section.UNDERSTAND)
FAILURE_MODES = Page("pages/Failure_modes.py", "Failure modes", ":material/hub:", Section.UNDERSTAND)
HANDOFFS = Page("pages/Handoffs.py", "Handoffs", ":material/swap_horiz:", Section.UNDERSTAND)
ROUTING_MODEL = Page(
    "pages/Routing_model.py", "Routing model", ":material/model_training:", Section.UNDERSTAND
)
FIXES_AND_LOOPS = Page(
    "pages/Fixes_and_loops.py", "Fixes & loops", ":material/published_with_changes:", Section.ACT
)
KPIS = Page("pages/KPIs.py", "KPIs", ":material/monitoring:", Section.AMPLIFY)
FIT_SCORE = Page("pages/Fit_score.py", "OS fit score", ":material/radar:", Section.AMPLIFY)
COUNCIL = Page("pages/Council.py", "Experience Council", ":material/groups:", Section.COUNCIL)
# What only admins may do to a capability (edit the journey, the rules, the KPI costs) is a part of its page;
# the Admin heading holds what belongs to no step of the loop: the integrations signals arrive by.
INTEGRATIONS = Page("pages/Integrations.py", "Integrations", ":material/cable:", Section.ADMIN)

PAGES = (
    HOME,
    LOG_FRICTION,
    FRICTION_LOG,
    IMPORT,
    JOURNEY,
    HEATMAPS,
    ROUTING_RULES,
    FAILURE_MODES,
    HANDOFFS,
    ROUTING_MODEL,
    FIXES_AND_LOOPS,
    KPIS,
    FIT_SCORE,
    COUNCIL,
    INTEGRATIONS,
)


def sidebar_groups() -> list[tuple[Section | None, list[Page]]]:
    """The pages under their headings, in sidebar order; the home page first with no heading, empty sections left out."""
    groups: list[tuple[Section | None, list[Page]]] = [(None, [p for p in PAGES if p.section is None])]
    groups += [(section, [p for p in PAGES if p.section == section]) for section in Section]
    return [(section, pages) for section, pages in groups if pages]
