"""Domain errors, shared by the service layer; the web layer maps them to HTTP once."""

from __future__ import annotations


class VoxpopError(Exception):
    """Base of every error voxpop raises on purpose; its message is meant for the user."""


class NotFoundError(VoxpopError):
    pass


class NotUniqueError(VoxpopError):
    pass


class PermissionDeniedError(VoxpopError):
    pass


class AuthenticationError(VoxpopError):
    pass


class ValidationError(VoxpopError):
    pass


class IngestError(VoxpopError):
    """A whole file cannot be read (empty, binary, missing a required column…).

    The message names the file, and the row and field when there is one.
    """

    def __init__(self, path: str, message: str, *, row: int | None = None, field: str | None = None) -> None:
        self.path = path
        self.row = row
        self.field = field
        where = path
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")
