"""Why a poll failed. The scheduler records the message as the source's last error and backs off."""

from __future__ import annotations

from voxpop.errors import VoxpopError


class SourceError(VoxpopError):
    """A live source could not be read. ``retry_after`` (seconds) is the platform's own request to wait."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class AuthExpiredError(SourceError):
    """The platform refused the access token (HTTP 401): refresh it and try once more."""


class PayloadError(SourceError):
    """The platform answered, but not in its documented format."""
