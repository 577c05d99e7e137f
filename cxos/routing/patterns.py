"""Rule regexes an admin types, compiled so that none can stall the process (catastrophic backtracking).

The `regex` package does the matching: it gives each search a time limit and lets go of the GIL while it
searches, so a pattern that backtracks forever costs one signal a short wait and never every other session of
the process. A pattern is also tried on inputs built from its own characters before it is saved, so the usual
culprits (`(a|aa)+$`, `(x+x+)+y`) are refused with the reason instead of being found in the hot loop.
"""

from collections.abc import Callable
from functools import lru_cache

import regex

SEARCH_TIMEOUT_S = 0.05  # one search of one signal's text; a sane pattern takes microseconds
PROBE_TIMEOUT_S = 0.2  # the whole save-time probe of a new pattern
PATTERN_MAX = 500
_PROBE_LENGTH = 40
_PROBE_ENDINGS = ("", "!", "\x00", " ")

Search = Callable[[str], bool]


def compile_pattern(pattern: object) -> "regex.Pattern[str]":
    """The pattern compiled case-insensitively; raises ValueError saying why it cannot be a rule."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError("matches needs a regular expression")
    if len(pattern) > PATTERN_MAX:
        raise ValueError(f"the regular expression is longer than {PATTERN_MAX} characters")
    return _compiled(pattern)


@lru_cache(maxsize=512)  # saving, test benches and every load of the rule set compile the same few patterns
def _compiled(pattern: str) -> "regex.Pattern[str]":
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE | regex.V0)
    except (regex.error, ValueError, TypeError, OverflowError) as error:
        raise ValueError(f"the regular expression {pattern!r} does not compile: {error}") from None
    _probe(compiled, pattern)
    return compiled


def _probe(compiled: "regex.Pattern[str]", pattern: str) -> None:
    """Refuse a pattern that backtracks catastrophically on a run of one of its own characters."""
    characters = sorted({c for c in pattern if c.isalnum() or c in " -_."} | {"a", "1", " "})
    for character in characters:
        for ending in _PROBE_ENDINGS:
            try:
                compiled.search(character * _PROBE_LENGTH + ending, timeout=PROBE_TIMEOUT_S, concurrent=True)
            except TimeoutError:
                raise ValueError(
                    f"the regular expression {pattern!r} takes too long on a run of {character!r} "
                    "(nested or overlapping repeats such as (a+)+ or (a|aa)+ backtrack without end); "
                    "write it without repeating a repeat"
                ) from None


def pattern_search(pattern: str) -> Search:
    """A yes/no search for a rule's pattern; a search that runs out of time counts as no match."""
    compiled = compile_pattern(pattern)

    def search(text: str) -> bool:
        try:
            return compiled.search(text, timeout=SEARCH_TIMEOUT_S, concurrent=True) is not None
        except TimeoutError:
            return False

    return search
