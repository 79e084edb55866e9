"""The exceptions that cross module boundaries.

Third-party errors (sqlite3, elasticsearch, email) are translated into these at
the edge that catches them, so the CLI and the API deal with one vocabulary.
"""

from __future__ import annotations


class ApplyLensError(Exception):
    """Base class of every error the product reports to a user."""


class ConfigError(ApplyLensError):
    """A setting has an invalid value."""


class QuerySyntaxError(ApplyLensError):
    """A search query cannot be parsed; the message states what is wrong.

    `position` is the 0-based index in `query` of the part that is wrong,
    when one part is; messages count characters from 1.
    """

    def __init__(self, message: str, *, query: str, position: int | None = None):
        super().__init__(message)
        self.query = query
        self.position = position


class MessageParseError(ApplyLensError):
    """One message could not be read; the import reports it and goes on."""


class BackendUnavailable(ApplyLensError):
    """The search backend cannot be reached or failed to answer.

    `backend` is the backend's name ("sqlite", "elasticsearch"), `target` the
    file or URL it tried and `setting` the variable that changes it.
    """

    def __init__(self, backend: str, target: str, setting: str, detail: str):
        super().__init__(
            f"{backend} backend at {target} is unavailable: {detail} "
            f"(set {setting} to change it)"
        )
        self.backend = backend
        self.target = target
        self.setting = setting
        self.detail = detail


class BackendNotReady(ApplyLensError):
    """The backend answers but is not set up; the message names the fix."""


class NotFound(ApplyLensError):
    """A message, action or other record does not exist for this owner."""
