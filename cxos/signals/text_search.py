"""The friction log's text search: a substring of a signal's title, details, account or reference.

One condition, compiled per database so each uses its index (migration t006): on SQLite the FTS5 trigram
table `signal_text`, on PostgreSQL the pg_trgm GIN index on each column. Both answer a substring of
three or more characters without reading every signal; a shorter one is a scan, which is cheap to write and
rare to want. Matching ignores case (ASCII letters on both; SQLite's trigrams fold other letters too).
"""

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, literal, literal_column, or_, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import col

from cxos.models import Signal

SEARCHED = (Signal.title, Signal.description, Signal.account, Signal.external_ref)
TRIGRAM = 3  # characters: the shortest text a trigram index can find


class TextMatch(ColumnElement[bool]):
    """`text` appears in one of SEARCHED (compiled below, per database)."""

    type = Boolean()
    inherit_cache = False  # the SQL differs with the text's length; not worth a cache key

    def __init__(self, text: str) -> None:
        self.text = text


def text_matches(text: str) -> ColumnElement[bool]:
    return TextMatch(text)


def substring_scan(text: str) -> ColumnElement[bool]:
    return or_(*(col(column).icontains(text, autoescape=True) for column in SEARCHED))


def fts_phrase(text: str) -> str:
    """The text as one FTS5 phrase: inside double quotes every character is literal, a quote written twice."""
    return '"' + text.replace('"', '""') + '"'


@compiles(TextMatch)
def _ilike(element: TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL (and any other): column ILIKE '%text%', which pg_trgm's GIN indexes serve
    return compiler.process(substring_scan(element.text), **kw)


@compiles(TextMatch, "sqlite")
def _fts_trigrams(element: TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    if len(element.text) < TRIGRAM:
        return compiler.process(substring_scan(element.text), **kw)
    match = literal_column("signal_text").op("MATCH")(literal(fts_phrase(element.text)))
    indexed: Select[Any] = select(literal_column("rowid")).select_from(table("signal_text")).where(match)
    return compiler.process(col(Signal.id).in_(indexed.scalar_subquery()), **kw)
