"""Showing user-typed text safely on a page: Markdown-escaped, never as HTML.

The escaper itself lives in cxos/inputs.py, so that the Markdown the app writes to files (minutes, digest,
loop notices) uses the same one; pages and components import it from here.
"""

from cxos.inputs import md_escape, md_inline

__all__ = ["md_escape", "md_inline"]
