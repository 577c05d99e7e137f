"""Two writers, one row: both load it, both save. The second is refused naming the first; the first's change stays.

Each room's tests describe their write paths as `WritePath`s and run `check_pair` under hypothesis; the
cross-cutting test (tests/test_every_write_versioned.py) collects every room's PATHS and fails when a write
service in cxos/ is neither among them nor listed as append-only with its reason.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from cxos.errors import StaleWrite
from cxos.identity import Actor
from cxos.models import Event
from cxos.store.store import Store
from cxos.vocabulary import EventAction, Role

# Hypothesis runs many examples on one store (a fixture is set up once per test): each example makes its
# own rows, so examples never depend on each other.
PAIRS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_UNIQUE = itertools.count(1)

# People's names as they come: letters of any script, spaces, apostrophes.
NAMES = (
    st.text(alphabet=st.characters(categories=["L", "Nd"], include_characters=" '-"), min_size=1, max_size=16)
    .map(str.strip)
    .filter(bool)
)
WRITERS = st.tuples(NAMES, NAMES).filter(lambda pair: pair[0] not in pair[1] and pair[1] not in pair[0])
# What people type into a name or a text, with single spaces (names are stored with their spaces collapsed).
WORDS = st.text(alphabet=st.characters(categories=["L", "Nd", "Zs"]), min_size=1, max_size=40).map(
    lambda text: " ".join(text.split())
)


def unique(text: str) -> str:
    """`text` made different from every value saved before in this run, so each save is a real change."""
    return f"{text} #{next(_UNIQUE)}".strip()


@dataclass(frozen=True)
class WritePath:
    """One write service and how two people race on it.

    `prepare(store)` makes the row(s) (returns a context); `load(store, ctx)` is what a page shows and later
    sends back (the version(s) seen); `save(store, ctx, actor, seen, value)` is the person's change;
    `read(store, ctx)` is what is stored now, to compare with the first writer's `value`.
    `service` is what the second writer calls, the one that must refuse.
    """

    service: str  # the dotted name of the cxos function under test, e.g. "cxos.store.settings.write_setting"
    prepare: Callable[[Store], Any]
    load: Callable[[Store, Any], Any]
    save: Callable[[Store, Any, Actor, Any, str], Any]
    read: Callable[[Store, Any], Any]
    role: Role = Role.ADMIN
    expected: Callable[[str], Any] = lambda value: value  # what `read` gives after the first writer's save
    # The first writer's change when it is another service (someone rewords a notice, the other sends it).
    first_save: Callable[[Store, Any, Actor, Any, str], Any] | None = None


def check_pair(store: Store, path: WritePath, first_name: str, second_name: str, text: str) -> None:
    """The property: both load, the first saves, the second's save from the same copy is refused naming the
    first writer, the stored value is the first writer's, and the refusal is itself in the history."""
    first, second = Actor(first_name, path.role), Actor(second_name, path.role)
    ctx = path.prepare(store)
    seen_by_first, seen_by_second = path.load(store, ctx), path.load(store, ctx)
    first_value, second_value = unique(text), unique(text)
    (path.first_save or path.save)(store, ctx, first, seen_by_first, first_value)
    before = _refusals(store, second)
    with pytest.raises(StaleWrite) as refused:
        path.save(store, ctx, second, seen_by_second, second_value)
    message = str(refused.value)
    assert first.name in message and "after you opened it" in message, message
    assert path.read(store, ctx) == path.expected(first_value), "the first acknowledged change was lost"
    assert _refusals(store, second) == before + 1, "the refused attempt is not in the history"


def _refusals(store: Store, actor: Actor) -> int:
    with store.read() as session:
        return len(
            session.exec(
                select(col(Event.id)).where(
                    Event.action == str(EventAction.REFUSED), Event.actor == actor.name
                )
            ).all()
        )


# --- pages: what a page sends is what it drew ---------------------------------------------------------------

SOMEONE_ELSE = Actor("Marco Rossi", Role.ADMIN)


def behind_the_page(change: Callable[[], Any]) -> None:
    """Someone else's change, made after the page was drawn; the page's caches are then cleared (another write
    clears them, or their time runs out), so the next run fetches the new version. A page that sends the
    version fetched at the click would overwrite the change; one that sends the version drawn is refused."""
    import streamlit

    change()
    streamlit.cache_data.clear()
