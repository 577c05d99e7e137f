"""Rule regexes an admin types, compiled so that none can stall the process (catastrophic backtracking).

The `regex` package does the matching: it gives each search a time limit and lets go of the GIL while it
searches, so a pattern that backtracks forever costs one signal a short wait and never every other session of
the process. A pattern is also tried on inputs built from its own characters before it is saved, so the usual
culprits (`(a|aa)+$`, `(x+x+)+y`) are refused with the reason instead of being found in the hot loop.
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

import regex

SEARCH_TIMEOUT_S = 0.05  # one search of one signal's text; a sane pattern takes microseconds
PROBE_TIMEOUT_S = 0.2  # the whole save-time probe of a new pattern
PATTERN_MAX = 500
_PROBE_LENGTH = 40
_PROBE_ENDINGS = ("", "!", "\x00", " ")

Search = Callable[[str], bool]

_log = logging.getLogger(__name__)
# Searches that ran out of time, per pattern, in this process: a timed-out search counts as no match (the
# signal goes on to the next rule, then the model), so the rules page shows these and the log names them.
_timeouts: Counter[str] = Counter()
_timeouts_lock = threading.Lock()


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
    """Refuse a pattern that backtracks catastrophically on a run of one of its own characters.

    PROBE_TIMEOUT_S is the budget of the whole probe, not of each try: a pattern with many characters must not
    hold a save for (characters x endings) x the limit.
    """
    characters = sorted({c for c in pattern if c.isalnum() or c in " -_."} | {"a", "1", " "})
    deadline = time.monotonic() + PROBE_TIMEOUT_S
    for character in characters:
        for ending in _PROBE_ENDINGS:
            try:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                compiled.search(character * _PROBE_LENGTH + ending, timeout=left, concurrent=True)
            except TimeoutError:
                raise ValueError(
                    f"the regular expression {pattern!r} takes too long on a run of {character!r} "
                    "(nested or overlapping repeats such as (a+)+ or (a|aa)+ backtrack without end); "
                    "write it without repeating a repeat"
                ) from None


def pattern_search(pattern: str) -> Search:
    """A yes/no search for a rule's pattern; a search that runs out of time counts as no match, and is counted."""
    compiled = compile_pattern(pattern)

    def search(text: str) -> bool:
        try:
            return compiled.search(text, timeout=SEARCH_TIMEOUT_S, concurrent=True) is not None
        except TimeoutError:
            with _timeouts_lock:
                _timeouts[pattern] += 1
            _log.warning(
                "rule pattern %r ran out of time (%s s) on a %d-character text",
                pattern,
                SEARCH_TIMEOUT_S,
                len(text),
            )
            return False

    return search


def search_timeouts() -> list[tuple[str, int]]:
    """(pattern, how many searches ran out of time) in this process, most first."""
    with _timeouts_lock:
        return _timeouts.most_common()
