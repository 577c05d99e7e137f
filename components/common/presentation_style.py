"""Presentation mode for the shared screen: one static style sheet that hides the chrome and enlarges the type.

Streamlit has no API for hiding its toolbar or sizing type, so this is the one place the app injects CSS.
PRESENTATION_CSS is a constant and is never formatted with any data: nothing a person typed can reach it.
"""

import streamlit as st

from components.common.url_params import url_flag

ROOM_CHART_FONT_PX = 22  # chart text is drawn in px, not rem: builders take it as their font size
ROOM_LABEL_ANGLE = -40  # at that size category names side by side collide, and Vega would drop some

PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="collapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], footer,
[data-testid="stSkipToContent"] { display: none !important; }
/* Everything Streamlit draws is sized in rem, the canvas tables too (their theme reads the root size):
   at 23 px its smallest text (0.875rem) is 20 px. */
html { font-size: 23px !important; }
[data-testid="stMainBlockContainer"], .block-container { padding: 1rem 2rem 1rem 2rem !important; max-width: 100% !important; }
html, body, [data-testid="stApp"] { background: #ffffff; color: #000000; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li, [data-testid="stMarkdownContainer"] td,
[data-testid="stMarkdownContainer"] th { font-size: 1rem; line-height: 1.4; }
[data-testid="stMarkdownContainer"] h1 { font-size: 2rem; }
[data-testid="stMarkdownContainer"] h3 { font-size: 1.5rem; color: #0b2a4a; }
[data-testid="stMarkdownContainer"] h4 { font-size: 1.25rem; color: #0b2a4a; }
[data-testid="stMarkdownContainer"] h5 { font-size: 1.1rem; color: #0b2a4a; }
/* Grey is unreadable across a room: captions, labels, placeholders and hints in near-black. */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p, [data-testid="stWidgetLabel"] p,
[data-testid="stMetricLabel"] p, [data-testid="stMetricDelta"] { color: #1b1b1b !important; }
[data-testid="stCaptionContainer"] { opacity: 1 !important; }  /* Streamlit greys captions by fading them */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 0.9rem !important; }
input::placeholder, textarea::placeholder { color: #4a4a4a !important; opacity: 1 !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] div, [data-testid="stMetricValue"] p { font-size: 2.2rem !important; color: #000000; }
[data-testid="stProgress"] p { font-weight: 600; }
input, textarea, [data-baseweb="select"] div, [data-baseweb="input"] span { font-size: 1rem !important; }
</style>
"""


def presenting() -> bool:
    """Whether this screen is the meeting room's (`?present=1`)."""
    return url_flag("present", "Presentation mode")


def apply_presentation_style() -> None:
    st.html(PRESENTATION_CSS)
