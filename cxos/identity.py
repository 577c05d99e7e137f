"""Who is acting and what their role lets them do; roles come from a YAML file with a default role."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from cxos import config
from cxos.errors import NotAllowed
from cxos.vocabulary import Role

# The minimum role for each action. The service layer checks these; pages only hide what would be refused.
PERMISSIONS: dict[str, Role] = {
    "view": Role.VIEWER,
    "log_signal": Role.CONTRIBUTOR,
    "edit_own_signal": Role.CONTRIBUTOR,
    "edit_signal": Role.COUNCIL,
    "set_status": Role.COUNCIL,
    "assign_owner": Role.COUNCIL,
    "route_signals": Role.COUNCIL,
    "manage_failure_modes": Role.COUNCIL,
    "self_assess": Role.COUNCIL,
    "run_council": Role.COUNCIL,
    "manage_fixes": Role.COUNCIL,
    "send_notices": Role.COUNCIL,
    "import_signals": Role.COUNCIL,
    "import_metrics": Role.COUNCIL,
    "manage_settings": Role.ADMIN,
    "manage_journey": Role.ADMIN,
    "manage_rules": Role.ADMIN,
    "manage_integrations": Role.ADMIN,
}

ACTION_WORDS = {
    "log_signal": "logging a friction point",
    "edit_own_signal": "editing a signal",
    "edit_signal": "editing someone else's signal",
    "set_status": "changing a signal's status",
    "assign_owner": "assigning an owner",
    "route_signals": "routing signals",
    "manage_failure_modes": "changing failure modes",
    "self_assess": "rating the self-assessment",
    "run_council": "running the council session",
    "manage_fixes": "changing fixes",
    "send_notices": "sending loop notices",
    "import_signals": "importing signals",
    "import_metrics": "importing metrics",
    "manage_settings": "changing settings",
    "manage_journey": "changing the journey",
    "manage_rules": "changing routing rules",
    "manage_integrations": "managing integration tokens and the intake inbox",
}


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role

    def can(self, action: str) -> bool:
        return self.role.allows(PERMISSIONS[action])


def require(actor: Actor, action: str) -> None:
    if not actor.can(action):
        needed = PERMISSIONS[action]
        raise NotAllowed(
            f"{actor.name} has the {actor.role.value} role; {ACTION_WORDS.get(action, action)} "
            f"needs the {needed.value} role or above."
        )


@dataclass(frozen=True)
class RoleMap:
    default_role: Role
    users: dict[str, Role]  # lower-cased email or display name → role

    def role_for(self, *identities: str | None) -> Role:
        for identity in identities:
            if identity and identity.strip().lower() in self.users:
                return self.users[identity.strip().lower()]
        return self.default_role

    def role_for_typed_name(self, name: str, *, trusted: bool) -> Role:
        """The role of a display name typed in local mode, where nobody checks that it is the typist's own.

        Admin only for a name the roles file lists as admin, and only when the request is `trusted` (from this
        computer, or after the shared access code): otherwise whoever reaches the port types an admin's name
        and is that admin. A default role of admin gives council rights to names the file does not list.
        """
        listed = self.users.get(name.strip().lower())
        if listed is Role.ADMIN and trusted:
            return Role.ADMIN
        role = self.default_role if listed is None or listed is Role.ADMIN else listed
        return Role.COUNCIL if role is Role.ADMIN else role


def load_role_map(path: Path | None = None) -> RoleMap:
    """Read the roles file; a missing file means everyone gets the default role (contributor)."""
    path = path or config.roles_file()
    if not path.exists():
        return RoleMap(Role.CONTRIBUTOR, {})
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        default = Role(raw.get("default_role", Role.CONTRIBUTOR.value))
        users = {str(k).strip().lower(): Role(v) for k, v in (raw.get("users") or {}).items()}
    except ValueError as error:
        raise ValueError(f"{path}: {error}; roles are {', '.join(r.value for r in Role)}") from error
    return RoleMap(default, users)
