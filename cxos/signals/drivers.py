"""CX drivers read from a signal's own words: local phrase patterns, each hit kept as the evidence shown.

Six drivers (cxos.vocabulary.DRIVERS): customer effort, strong emotion, answer quality of an AI agent or of a
person, product feedback, policy feedback. Each is a list of regular expressions over the title and the
description; a driver is detected when one matches, and the matched phrases ("still waiting", "third time")
are stored with the signal (`driver_evidence`) so anyone can see why. Nothing leaves the process, nothing is
trained: a pattern that misfires is fixed here, and bench/drivers.py measures precision and recall on the
labelled set in bench/data/driver_labels.csv (tuned on its `tune` rows, reported on the `heldout` rows).

A person's choice always wins. Drivers a person ticked when logging, or ticked or unticked later, are kept in
`driver_labels` ({field: true/false}), the labels a later, learned detector can train on; the detector never
overrides them. Detection runs on arrival, before routing, so rules on drivers (the QA template) see it.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

from cxos.vocabulary import DRIVERS

MAX_PHRASES = 3  # evidence kept per driver: enough to explain, short enough to read in a table cell
# Characters of a signal read: a ticket's pasted thread adds time (about 1 ms per 500 characters), not drivers.
MAX_READ = 1_000
_WORD = re.compile(r"\w+")


def _patterns(*parts: str) -> tuple[str, ...]:
    return parts


_NUMBER = r"(?:a|an|one|two|three|four|five|six|several|many|few|couple(?: of)?|\d+(?:-\d+)?)"
_SPAN = r"(?:hours?|days?|weeks?|months?|hrs?)"  # minutes are not yet effort
_DOESNT = r"(?:doesn'?t|does not|didn'?t|did not|won'?t|will not|wouldn'?t|isn'?t|is not|wasn'?t|was not|not)"

# The phrases of each driver. Keep each pattern specific: a neutral question ("are there any fees?",
# "how long does a transfer take?") must not match; the customer has to report or object to something.
PATTERNS: dict[str, tuple[str, ...]] = {  # matched on the lower-cased text, except (?-i:…) ones
    # Effort: asking again, waiting, trying repeatedly, being passed around.
    "driver_effort": _patterns(
        r"\b(?:first|second|third|fourth|fifth) time (?:i|we)(?:'ve| have)? (?:ask|call|writ|contact|email|messag|tr)\w*",
        r"\d+(?:st|nd|rd|th) time (?:i|we)(?:'ve| have)? (?:ask|call|writ|contact|email|messag|tr)\w*",
        r"\bstill (?:not|no|waiting|pending|haven'?t|hasn'?t|isn'?t|hasn'?t|says|listed|declined|telling|killing|in progress|nothing|hav(?:e|ing))\b",
        r"\b(?:keeps?|kept) (?:getting|being|on|happening|failing|declin\w*|crash\w*|saying|asking)\b",
        r"\b(?:again|once more)\b(?<!happens again)(?<!happen again)",  # "if it happens again" is not effort
        r"\b(?:tried|try|trying|called|asked|contacted|emailed|messaged|written)\b[^.!?]{0,30}\b(?:several|multiple|many|numerous|countless|\d+(?:-\d+)?) times\b",
        r"\b(?:several|multiple|many|numerous|countless) times\b",
        r"\btried everything\b",
        r"\balready (?:tried|asked|called|contacted|sent|told|explained|checked|done)\b",
        rf"(?#needs:hou,hr,day,wee,mon)\b(?:for|over|in) (?:over |more than |almost |nearly )?(?:the past |the last )?{_NUMBER} {_SPAN}\b",
        rf"\b(?:{_SPAN}|ages|time|while|long) ago\b",
        r"\bfor (?:quite )?(?:a while|ages|so long|a long time)\b",
        r"\ball day\b",
        r"\bwaiting (?:for|on|since)\b",
        r"\bwait over\b",
        r"\bdelay(?:s|ed)?\b",
        r"\bhaven'?t (?:heard|received|recd|got|gotten)\b",
        r"\bno (?:one|response|reply|answer) (?:yet|back|has)\b",
        r"\b(?:transferred|passed|bounced|sent) (?:around|from one|between)\b",
        r"\b(?:handovers?|hand-?offs?|escalat\w*|chas(?:e|ed|ing) (?:this|you|it)|follow(?:ing)? up)\b",
        r"\b(?:dead end|round in circles|going in circles|run-?around)\b",
    ),
    # Strong emotion: anger, alarm, distress, said in words, swearing, emphasis or emoji.
    "driver_emotion": _patterns(
        r"\b(?:furious|angry|livid|outraged|outrageous|ridiculous|disgrace\w*|unacceptable|appall\w*|disgust\w*)\b",
        r"\b(?:terrible|horrible|awful|worst|pathetic|useless|rubbish|joke|scam\w*|robb\w*|thie(?:f|ves))\b",
        r"\b(?:hate|sucks?|sux|wtf|fu+c?k\w*|fck\w*|shit\w*|damn\w*|crap)\b",
        r"\b(?:fed up|had enough|sick of|painful\w*|paralys\w*|nightmare)\b",
        r"\b(?:so frustrat\w*|frustrat\w*|annoy\w*|upset|devastat\w*|panic\w*|scared)\b",
        r"\bwhat'?s the deal\b",
        r"\b(?:disappeared|declined|won'?t|can'?t|don'?t|didn'?t|never|please|help)\b[^.?!]{0,40}!",  # a complaint exclaimed
        r"\b(?:asap|immediately|it'?s urgent|urgent(?:ly)?)\b",
        r"\b(?:please help|help)\s*!",
        r"\bi don'?t like (?:your|you)\b",
        r"\bgr{3,}\w*",
        r"![!?]*!|\?!",  # two exclamation marks, or ?!
        r"[\U0001F620\U0001F621\U0001F92C\U0001F624\U0001F629\U0001F62B\U0001F62D]",
        r"(?-i:\b(?:NO|NOT|NEVER|WORST|STILL|NOBODY)\b)",  # shouted, in capitals
    ),
    # An AI agent's answer was poor: the bot, the assistant, an automated or canned reply.
    "driver_answer_ai": _patterns(
        r"\b(?:chat ?bot|bot|virtual (?:assistant|agent)|ai (?:agent|assistant)|assistant)\b[^.!?]{0,60}\b(?:useless|wrong|no help|not help\w*|didn'?t help|doesn'?t (?:understand|help|get)|keeps? (?:saying|repeating|sending)|same (?:answer|reply)|makes? no sense|nonsense|loop)\w*",
        r"\b(?:automated|automatic|auto-?|canned|generic|copy-?paste[d]?|template[d]?) (?:reply|replies|response|responses|answer|answers|message|email)\b",
        r"\b(?:talk|speak|chat) (?:to|with) (?:a |an )?(?:real |actual )?(?:human|person)\b",
    ),
    # A person's answer was poor: an agent or colleague rude, wrong, unhelpful, contradicting another.
    "driver_answer_human": _patterns(
        r"\b(?:agent|rep|representative|advis[oe]r|colleague|staff|employee|operator|person on the phone|support (?:team|person|guy|lady)|customer (?:service|care)|cashier|manager)s?\b[^.!?]{0,60}\b(?:rude|unhelpful|not helpful|no help|useless|clueless|incompetent|no idea|wrong|hung up|ignored|didn'?t (?:help|know|listen|care)|couldn'?t (?:help|answer)|lied|contradict\w*)\b",
        r"\b(?:was|were|got) (?:told|given) (?:the )?(?:wrong|different|conflicting|contradictory|incorrect)\b",
        r"\b(?:told|said) (?:me )?(?:something )?(?:different|the opposite|otherwise)\b",
        r"\bnobody (?:knows|could tell|helped)\b",
    ),
    # Product feedback: something does not work, fails, is missing, or should exist.
    "driver_product": _patterns(
        r"\b(?:isn'?t|is not|not|aren'?t|are not|stopped) working\b",
        r"\bget\b[^.!?]{0,40}\bto work\b|\bget my card back\b",
        r"\b(?:is|are|was|went|been|goes) down\b|\bmessed up\b|\bparalys\w*",
        rf"\b{_DOESNT}\b[^.!?]{{0,25}}\b(?:work\w*|go(?:ing)? through|show\w*|reflect\w*|let\w* me|accept\w*|load\w*|open\w*|connect\w*|successful|dispensed|deposited|arriv\w*|give\w*)\b",
        r"\b(?:won'?t|can'?t|cannot|couldn'?t|unable to|impossible to) (?:get|make|use|see|log|sign|verify|pay|top|find the option|enable|link|add|transfer|withdraw)\w*\b[^.!?]{0,40}\b(?:work|back|in|up|identity|card|money|cash|contactless|refund|it)\b",
        r"\b(?:stopped|stops|stop) (?:working|midway)\b",
        r"\b(?:error|bug|glitch|broken|crash\w*|freez(?:es|ing)|frozen|disconnect\w*|lag\w*|slow\w*|drain\w*|skipping)\b",
        r"\b(?:declined|denied|rejected|reverted|reversion|cancell?ed|blocked|failed|fail|unsuccessful|not successful|disappeared)\b",
        r"\b(?:wrong|incorrect) amount\b|\bcharged (?:the wrong|twice|double)|\bdouble charged\b|\bmore than once\b|\bcharged twice\b",
        r"\b(?:didn'?t|did not|haven'?t|not) (?:get|receive|given?) (?:all|the (?:full|right|correct|rest)|what i)\b",
        r"\b(?:less|only|just) (?:cash|money)? ?(?:than|got|gave)\b|\bi just got\b",
        r"\b(?:wasn'?t|was not|not) (?:dispensed|processed|deposited|credited)\b",
        r"\b(?:is missing|are missing|went wrong|problems? (?:with|making)|issues? with|having (?:a )?problems?)\b",
        r"\b(?:i wish|please add|would be (?:nice|great) if|feature request|should (?:have|let|allow)|there'?s no option|no option)\b",
        r"\bdoesn'?t let me\b|\bnot letting me\b|\bwon'?t let me\b|\bdoes not let me\b",
        r"\bfix (?:it|this|my)\b|\bsort (?:your|it|this)\b",
    ),
    # Policy feedback: objecting to a fee, rate, limit, requirement or rule, or hit by one unexpectedly.
    "driver_policy": _patterns(
        r"\bwhy (?:am|was|were|is|are|did|do|does|has|have) (?:i|a|we|you|there)\b[^.!?]{0,25}\b(?:charg\w*|fees?|rates?)\b",
        r"\b(?:charged|got|received|paid|having) (?:me )?(?:a |an |this )?(?:\w+ )?(?:fees?|extra)\b",
        r"\b(?:more|so many|hidden|outrageous|high) (?:fees|charges?)\b",
        r"\b(?:shows?|showing|having|got|charged|this|paid) (?:an? )?extra (?:fees?|charges?)\b",
        r"\brates?\b[^.!?]{0,40}\b(?:wrong|incorrect|different|isn'?t right|not right)\b",
        r"\b(?:exchange|conversion) (?:rate|value)s?\b[^.!?]{0,30}\b(?:wrong|incorrect|different|isn'?t right|not right|off|change|bad)\b",
        r"\b(?:wrong|incorrect|different|bad) (?:exchange |conversion )?rate\b|\brate (?:of exchange|for a currency exchange) (?:was|isn'?t)\b",
        r"\bwhy do your (?:\w+ )?(?:rates?|fees?|prices?)\b",
        r"\b(?:thought|used to be) (?:it was |they were |\w+ )*(?:free|no fee|didn'?t have a fee)\b",
        r"\bwhy (?:do|must|should) i (?:have to|need to)\b|\bwhy am i required\b|\bhow come you need\b|\bwhy do you need\b",
        r"\bso much (?:information|info|about me)\b",
        r"\bwhy can'?t i\b(?! get)",
        r"\b(?:policy|policies|terms and conditions|law|legal(?:ly)? (?:age|limit)|not allowed|forbidden|rules? (?:say|says|are))\b",
        r"\b(?:limits?|cap) (?:is|are) (?:too )?(?:low|small)\b|\btoo low\b",
    ),
}

assert set(PATTERNS) == set(DRIVERS), "every driver has patterns, and no pattern is for a driver that is not"


@dataclass(frozen=True)
class _Compiled:
    pattern: re.Pattern[str]
    exact: bool  # reads the text as written (a (?-i:…) pattern), not lower-cased
    # The letters every match starts a word with, one string per alternative (None: no such letters), e.g.
    # "still", "keep", "kept": the pattern is tried only where a word starts so, never scanned across the text.
    starts: frozenset[str] | None
    # Those of `starts` that are a whole word (the pattern goes on with a space, a \b or a sign): the text must
    # have that word. The others are prefixes ("frustrat" of "frustrat\w*"): some word must start with them.
    whole: frozenset[str] = frozenset()
    # The other starts by their first (up to) three letters, which a word of the text must start with.
    prefixes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # A pattern that starts with common words ("for", "in") can name a rarer word it needs, as a regex comment
    # "(?#needs:day,wee)": run only when some word of the text starts with one of them.
    needs: frozenset[str] | None = None
    # A pattern with no such starts: strings one of which every match contains (its possible first characters,
    # or a literal run it always has), so a text without any of them is not scanned. None: always scanned.
    gate: re.Pattern[str] | None = None


_Parsed = list[Any]


def _starts(parsed: Any) -> tuple[frozenset[str], frozenset[str]] | None:
    """Every literal start of a pattern that begins at a word boundary, each as far as its letters go, and
    which of them are whole words; None when some alternative can start with something else (a class, a
    repeat, an optional word)."""
    items = list(parsed)
    if not items or items[0] != (_sre.AT, _sre.AT_BOUNDARY):
        return None

    def walk(seq: _Parsed, prefix: str) -> set[tuple[str, bool]] | None:
        i = 0
        while i < len(seq):
            op, arg = seq[i]
            if op is _sre.AT and not prefix:
                i += 1
            elif op is _sre.AT:  # \b right after letters: the word ends there
                return {(prefix, arg is _sre.AT_BOUNDARY)}
            elif op is _sre.LITERAL and chr(arg).isalnum():
                prefix += chr(arg)
                i += 1
            elif op is _sre.LITERAL and chr(arg) != "_":  # a space or a sign: the word ends there
                return {(prefix, True)} if prefix else None
            elif op is _sre.SUBPATTERN and not arg[1] and not arg[2]:
                seq = seq[:i] + list(arg[3]) + seq[i + 1 :]
            elif op is _sre.BRANCH:
                found: set[tuple[str, bool]] = set()
                for branch in arg[1]:
                    rest = walk(list(branch) + seq[i + 1 :], prefix)
                    if rest is None:
                        return None
                    found |= rest
                return found
            else:
                break
        return {(prefix, False)} if prefix else None

    found = walk(items, "")
    if not found:
        return None
    return frozenset(start for start, _ in found), frozenset(start for start, whole in found if whole)


def _first_characters(seq: _Parsed) -> set[str] | None:
    """The characters a match can start with, when they are a few known ones; else None."""
    for op, arg in seq:
        if op is _sre.AT:
            continue
        if op is _sre.LITERAL:
            return {chr(arg)}
        if op is _sre.IN and all(kind is _sre.LITERAL for kind, _ in arg):
            return {chr(value) for _, value in arg}
        if op is _sre.SUBPATTERN:
            return _first_characters(list(arg[3]))
        if op is _sre.BRANCH:
            found: set[str] = set()
            for branch in arg[1]:
                first = _first_characters(list(branch))
                if first is None:
                    return None
                found |= first
            return found
        return None
    return None


def _longest_literal(seq: _Parsed) -> str:
    """The longest run of literal characters every match contains (at the pattern's top level)."""
    best, run = "", ""
    for op, arg in seq:
        if op is _sre.LITERAL:
            run += chr(arg)
            best = max(best, run, key=len)
        elif op is _sre.SUBPATTERN and len(arg[3]) == 1 and not arg[1] and not arg[2]:
            inner = _longest_literal(list(arg[3]))  # (?-i:…) and the like hold one sequence
            best = max(best, inner, key=len)
            run = ""
        else:
            run = ""
    return best


def _gate(parsed: Any) -> re.Pattern[str] | None:
    seq = list(parsed)
    if len(seq) == 1 and seq[0][0] is _sre.SUBPATTERN:  # a (?-i:…) pattern: look inside
        seq = list(seq[0][1][3])
    literal = _longest_literal(seq)
    if len(literal) >= 3:
        return re.compile(re.escape(literal))
    first = _first_characters(seq)
    if first and len(first) <= 8:
        return re.compile("[" + "".join(re.escape(character) for character in sorted(first)) + "]")
    return None


_NEEDS = re.compile(r"^\(\?#needs:([^)]*)\)")


def _compile(source: str) -> _Compiled:
    needs = _NEEDS.match(source)
    body = source[needs.end() :] if needs else source
    exact = body.startswith("(?-i:")
    parsed = _parser.parse(body)
    starts = None if exact else _starts(parsed)
    prefixes: dict[str, tuple[str, ...]] = {}
    for start in sorted(starts[0] - starts[1]) if starts else ():
        prefixes[start[:3]] = (*prefixes.get(start[:3], ()), start)
    return _Compiled(
        re.compile(body),
        exact,
        starts[0] if starts else None,
        starts[1] if starts else frozenset(),
        prefixes,
        frozenset(needs.group(1).split(",")) if needs else None,
        None if starts else _gate(parsed),
    )


_COMPILED = {driver: [_compile(source) for source in sources] for driver, sources in PATTERNS.items()}


# Which pattern a word (or a word's first letters) can start, for every pattern with known starts: entry ->
# the starts that reach it. Looking the text's words up here is one set operation in C, not one per pattern.
_BY_WORD: dict[str, list[tuple[int, str]]] = {}
_BY_LETTERS: dict[str, list[tuple[int, str]]] = {}
_ENTRIES = [entry for compiled in _COMPILED.values() for entry in compiled]
for _number, _entry in enumerate(_ENTRIES):
    for _start in sorted(_entry.starts or ()):
        _index = _BY_WORD if _start in _entry.whole else _BY_LETTERS
        _index.setdefault(_start if _start in _entry.whole else _start[:3], []).append((_number, _start))
_ORDER = {
    driver: [(_ENTRIES.index(entry), entry) for entry in compiled] for driver, compiled in _COMPILED.items()
}


def detect(text: str) -> dict[str, list[str]]:
    """The drivers the text shows, each with the (up to MAX_PHRASES) phrases that showed it, as written."""
    text = text[:MAX_READ]
    lowered = text.lower()  # patterns are lower case: faster than IGNORECASE
    aligned = len(lowered) == len(
        text
    )  # lower() can lengthen a few letters (İ): then quote the lowered phrase
    # The text's words, and every first one, two and three letters of them: a pattern none of whose starts is
    # a word (or starts one) is not run; one that is, is tried only where a word starts so (re.match at those
    # positions), never scanned across the whole text. Python's re cannot skip ahead for a pattern that
    # begins with \b, so a scan costs 10-35 µs a pattern on a 340-character ticket. The look-ups are set
    # operations in C, so a pattern that cannot match costs nothing.
    words = set(_WORD.findall(lowered))
    letters = {word[:3] for word in words}
    letters |= {start[:2] for start in letters} | {start[:1] for start in letters}
    reached: dict[int, list[str]] = {}
    for key in _BY_WORD.keys() & words:
        for number, start in _BY_WORD[key]:
            reached.setdefault(number, []).append(start)
    for key in _BY_LETTERS.keys() & letters:
        for number, start in _BY_LETTERS[key]:
            reached.setdefault(number, []).append(start)
    where: dict[str, list[int]] = {}
    found: dict[str, list[str]] = {}
    for driver, compiled in _ORDER.items():
        spans: list[tuple[int, int]] = []
        for number, entry in compiled:
            if entry.starts is not None:
                if number not in reached:
                    continue
                if entry.needs is not None and entry.needs.isdisjoint(letters):
                    continue
                matched = _matches_at_words(entry.pattern, reached[number], lowered, where)
            else:
                if entry.needs is not None and entry.needs.isdisjoint(letters):
                    continue
                subject = text if entry.exact else lowered
                if entry.gate is not None and not entry.gate.search(subject):
                    continue
                matched = [match.span() for match in entry.pattern.finditer(subject)]
            for span in matched:
                spans = _merged(spans, span)
            if len(spans) >= MAX_PHRASES:
                break
        phrases = [" ".join((text[a:b] if aligned else lowered[a:b]).split()) for a, b in sorted(spans)]
        if phrases := [phrase for phrase in phrases if phrase]:
            found[driver] = phrases[:MAX_PHRASES]
    return found


def _matches_at_words(
    pattern: re.Pattern[str], starts: list[str], lowered: str, where: dict[str, list[int]]
) -> list[tuple[int, int]]:
    """The spans finditer would give for a pattern every match of which starts a word with one of `starts`
    (those of its starts the text has): tried where a word starts so, left to right, resuming after each
    match as finditer does. `where` keeps each start's word positions for the text's other patterns."""
    if len(starts) == 1:
        candidates = where.get(starts[0]) or where.setdefault(starts[0], _word_starts(starts[0], lowered))
    else:
        candidates = sorted(
            {
                position
                for start in starts
                for position in (where.get(start) or where.setdefault(start, _word_starts(start, lowered)))
            }
        )
    spans, resume = [], 0
    for position in candidates:
        if position < resume:
            continue
        match = pattern.match(lowered, position)
        if match:
            spans.append(match.span())
            resume = match.end() if match.end() > position else position + 1
    return spans


def _word_starts(start: str, lowered: str) -> list[int]:
    """Where a word of the text starts with `start` (\\w is a letter, a digit or "_")."""
    positions = []
    at = lowered.find(start)
    while at >= 0:
        if not at or not (lowered[at - 1].isalnum() or lowered[at - 1] == "_"):
            positions.append(at)
        at = lowered.find(start, at + 1)
    return positions


def _merged(spans: list[tuple[int, int]], new: tuple[int, int]) -> list[tuple[int, int]]:
    """Two patterns can match overlapping words ("still waiting", "waiting for"): one phrase covers both."""
    start, end = new
    kept = []
    for a, b in spans:
        if a < end and start < b:
            start, end = min(start, a), max(end, b)
        else:
            kept.append((a, b))
    return [*kept, (start, end)]


def signal_text(fields: Mapping[str, Any]) -> str:
    """What the detector reads: the title, then the description (a sentence break between them)."""
    title, description = str(fields.get("title") or ""), str(fields.get("description") or "")
    return f"{title}.\n{description}" if description and description != title else title


def on_arrival(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A new signal's fields with its drivers decided: a person's ticks stay and become labels, every other
    driver is what the text shows; `driver_evidence` keeps the phrases (None when nothing was found)."""
    ticked = {driver: True for driver in DRIVERS if fields.get(driver)}
    evidence = detect(signal_text(fields))
    return (
        dict(fields)
        | {driver: bool(ticked.get(driver, driver in evidence)) for driver in DRIVERS}
        | {"driver_evidence": dump(evidence), "driver_labels": dump(ticked)}
    )


def labels_after_edit(signal: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The `driver_labels` change when a person edits drivers: each driver they changed becomes their label.

    An edit that sends every driver (the detail form does) labels only the ones whose value it changes, so
    saving an unrelated field does not turn detected drivers into a person's choices."""
    labels = load(getattr(signal, "driver_labels", None))
    changed = {
        driver: bool(changes[driver])
        for driver in DRIVERS
        if driver in changes and bool(changes[driver]) != bool(getattr(signal, driver))
    }
    if not changed:
        return {}
    return {"driver_labels": dump(labels | changed)}


def how_set(signal: Any) -> dict[str, str]:
    """For each driver the signal has: 'detected: "phrase", …' or 'by hand', for the signal's page."""
    evidence, labels = load(signal.driver_evidence), load(signal.driver_labels)
    told: dict[str, str] = {}
    for driver in DRIVERS:
        if driver in labels:
            told[driver] = "by hand" if labels[driver] else "cleared by hand"
        elif getattr(signal, driver):
            phrases = evidence.get(driver)
            told[driver] = "detected: " + ", ".join(f"“{p}”" for p in phrases) if phrases else "by hand"
    return told


def dump(mapping: Mapping[str, Any]) -> str | None:
    return json.dumps(dict(mapping), ensure_ascii=False, sort_keys=True) if mapping else None


def load(stored: str | None) -> dict[str, Any]:
    """A stored JSON object (evidence or labels); anything unreadable reads as nothing, never as an error."""
    if not stored:
        return {}
    try:
        value = json.loads(stored)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
