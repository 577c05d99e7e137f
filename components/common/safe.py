"""Showing user-typed text safely: markdown-escaped, never as HTML."""

import re

# ASCII punctuation that Markdown or Streamlit's extensions act on ($ LaTeX, : emoji, @ and / autolinks).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'@/%^])")


def md_escape(text: object) -> str:
    """Backslash-escape text so st.markdown shows exactly what was typed: no links, images, HTML or formatting."""
    if text is None:
        return ""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")
