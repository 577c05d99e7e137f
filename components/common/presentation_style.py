"""Presentation mode for the shared screen: one static style sheet that hides the chrome and enlarges the type.

Streamlit has no API for hiding its toolbar or sizing type, so this is the one place the app injects CSS.
PRESENTATION_CSS is a constant and is never formatted with any data: nothing a person typed can reach it.
"""

import streamlit as st

PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="collapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], footer { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding: 1.2rem 2.5rem 1rem 2.5rem !important; max-width: 100% !important; }
html, body, [data-testid="stApp"] { background: #ffffff; color: #000000; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; line-height: 1.45; color: #000000; }
[data-testid="stMarkdownContainer"] h1 { font-size: 2.6rem; }
[data-testid="stMarkdownContainer"] h3 { font-size: 2.1rem; color: #0b2a4a; }
[data-testid="stMarkdownContainer"] h4 { font-size: 1.6rem; color: #0b2a4a; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1.2rem !important; color: #1b1b1b !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] div, [data-testid="stMetricValue"] p { font-size: 3rem !important; color: #000000; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem !important; color: #1b1b1b; }
[data-testid="stMetricDelta"] { font-size: 1.2rem !important; }
[data-testid="stProgress"] p { font-size: 1.4rem !important; font-weight: 600; }
button p { font-size: 1.25rem !important; }
</style>
"""


def apply_presentation_style() -> None:
    st.html(PRESENTATION_CSS)
