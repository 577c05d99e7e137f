"""Import profiles: the built-in ones (Zendesk, Intercom, Slack, generic CSV) and the team's saved ones."""

import json
from dataclasses import replace
from typing import TypedDict

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cxos.errors import NotFound, ValidationFailed
from cxos.identity import Actor, require
from cxos.importers.mapping import FIELDS, Profile, guess_mapping
from cxos.inputs import storable_field
from cxos.models import ImportProfile, saved_id
from cxos.store.audit import add_created, apply_changes, editing, record_event, stale_write, versioned_write
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity, Source

GENERIC = "Generic CSV"
BUILT_IN: dict[str, Profile] = {
    p.name: p
    for p in [
        Profile(
            "Zendesk tickets",
            "csv",
            {
                "Id": "external_ref",
                "Subject": "title",
                "Description": "description",
                "Requester": "reporter",
                "Organization": "account",
                "Created at": "created_at",
                "Priority": "severity",
            },
            default_source=Source.TICKET.value,
            ref_prefix="ZD-",
            built_in=True,
        ),
        Profile(
            "Intercom conversations",
            "csv",
            {
                "Conversation ID": "external_ref",
                "Title or first message": "message",
                "Company name": "account",
                "User email": "reporter",
                "Created at": "created_at",
            },
            default_source=Source.TICKET.value,
            ref_prefix="INTERCOM-",
            built_in=True,
        ),
        Profile(
            "Slack channel export",
            "slack_json",
            {
                "text": "message",
                "user_name": "reporter",
                "permalink": "external_ref",
                "ts": "created_at",
            },
            default_source=Source.SLACK.value,
            ref_prefix="SLACK-",
            skip_replies=True,
            built_in=True,
        ),
        Profile(GENERIC, "csv", {}, built_in=True),
    ]
}


def list_profiles(store: Store) -> list[Profile]:
    """Built-in profiles first, then the saved ones by name."""
    with store.read() as session:
        saved = session.exec(select(ImportProfile).order_by(ImportProfile.name)).all()
    return [*BUILT_IN.values(), *(_profile(row) for row in saved)]


def get_profile(store: Store, name: str) -> Profile:
    with store.read() as session:
        profile = profile_in(session, name)
    if profile is None:
        known = ", ".join(p.name for p in list_profiles(store))
        raise NotFound(f"No import profile is called {name!r}. Known profiles: {known}.")
    return profile


def profile_in(session: Session, name: str) -> Profile | None:
    """The built-in or saved profile of this name, read in the caller's session (a webhook's mapping)."""
    if name in BUILT_IN:
        return BUILT_IN[name]
    row = session.exec(select(ImportProfile).where(ImportProfile.name == name)).first()
    return None if row is None else _profile(row)


def suggest_profile(header: list[str], kind: str) -> Profile:
    """The built-in profile whose columns the header has most of (at least three), else the generic one."""
    if kind == "slack_json":
        return BUILT_IN["Slack channel export"]
    columns = set(header)
    scored = [(len(columns & set(p.mapping)), p) for p in BUILT_IN.values() if p.kind == "csv" and p.mapping]
    best_score, best = max(scored, key=lambda pair: pair[0])
    if best_score >= 3:
        return best
    return replace(BUILT_IN[GENERIC], mapping=guess_mapping(header))


class _StoredMapping(TypedDict):
    """A profile's columns besides its name, as the import_profile table stores them (JSON as text)."""

    kind: str
    mapping: str
    options: str


def save_profile(store: Store, *, profile: Profile, actor: Actor) -> Profile:
    """Save a mapping under its name: new, or an update of the saved one at `profile.version` (stale is refused)."""
    require(actor, "import_signals")
    name = storable_field("name", profile.name, name=True).strip()
    # Column headers come from a file someone exported: cleaned like any text before they are stored.
    profile = replace(
        profile,
        mapping=storable_field("mapping", profile.mapping),
        ref_prefix=storable_field("ref_prefix", profile.ref_prefix),
    )
    problems = {}
    if not name or len(name) > 80:
        problems["name"] = "give the profile a name (at most 80 characters)"
    elif name in BUILT_IN:
        problems["name"] = "built-in profiles cannot be overwritten: choose another name"
    if set(profile.mapping.values()) - set(FIELDS):
        problems["mapping"] = (
            f"unknown fields: {', '.join(sorted(set(profile.mapping.values()) - set(FIELDS)))}"
        )
    if problems:
        raise ValidationFailed(problems)
    values: _StoredMapping = {
        "kind": profile.kind,
        "mapping": json.dumps(profile.mapping, ensure_ascii=False),
        "options": json.dumps(profile.options(), ensure_ascii=False),
    }
    if profile.id is not None:
        with editing(store, ImportProfile, profile.id, profile.version or 0, actor) as (session, row):
            apply_changes(session, row, actor, {"name": name, **values})
            return _profile(row)
    try:
        return _create_profile(store, name, values, actor)
    except IntegrityError:
        # Two first saves of one name at once (PostgreSQL): the other one won; this one is refused by name.
        return _create_profile(store, name, values, actor)


def _create_profile(store: Store, name: str, values: _StoredMapping, actor: Actor) -> Profile:
    with versioned_write(store, actor) as session:
        taken = session.exec(select(ImportProfile).where(ImportProfile.name == name)).first()
        if taken is not None:
            # Someone saved this name after the person started from a blank one: theirs stays.
            raise stale_write(taken, what=f"The profile {name!r}")
        row = ImportProfile(name=name, **values, created_by=actor.name, updated_by=actor.name)
        add_created(
            session,
            row,
            actor=actor,
            entity=EventEntity.IMPORT_PROFILE,
            to_value=name,
        )
        return _profile(row)


def delete_profile(store: Store, *, profile_id: int, expected_version: int, actor: Actor) -> None:
    require(actor, "import_signals")
    with editing(store, ImportProfile, profile_id, expected_version, actor) as (session, row):
        record_event(
            session,
            actor=actor,
            entity=EventEntity.IMPORT_PROFILE,
            entity_id=saved_id(row),
            action=EventAction.DELETED,
            from_value=row.name,
        )
        session.delete(row)


def _profile(row: ImportProfile) -> Profile:
    options = json.loads(row.options or "{}")
    return Profile(
        row.name,
        row.kind,
        json.loads(row.mapping or "{}"),
        default_source=options.get("default_source"),
        default_touchpoint_id=options.get("default_touchpoint_id"),
        ref_prefix=options.get("ref_prefix") or "",
        skip_replies=bool(options.get("skip_replies")),
        id=row.id,
        version=row.version,
    )
