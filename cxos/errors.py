"""The refusals the service layer can answer with; each carries a message fit to show a user."""

from cxos.vocabulary import field_label


class CxosError(Exception):
    """Base of every refusal; str(error) is the user-facing message."""


class ValidationFailed(CxosError):
    """Input was refused; `problems` maps a field name to what is wrong with it; the message names each field as
    the forms label it."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{field_label(field)}: {why}" for field, why in problems.items()))


class NotAllowed(CxosError):
    """The actor's role does not allow this action."""


class StaleWrite(CxosError):
    """The row changed since the caller read it; nothing was written over it.

    `entity` and `entity_id` name the row that had moved on, so the refused attempt can be recorded on it.
    """

    def __init__(self, message: str, *, entity: str | None = None, entity_id: int | None = None):
        self.entity = entity
        self.entity_id = entity_id
        super().__init__(message)


class NotFound(CxosError):
    pass


class StorageFault(CxosError):
    """The database could not keep a change (full disk, read-only, replaced file, I/O error); nothing was saved."""


class DatabaseBusy(StorageFault):
    """Other writers held the database for the whole wait; nothing was saved."""
