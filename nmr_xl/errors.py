"""Errors a user can cause, each with a short stable code and one plain sentence."""

from __future__ import annotations


class InputError(Exception):
    """An input that cannot be checked. `code` is short kebab-case for reports and scripts."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        # Results cross process boundaries in a parallel batch: pickle both fields.
        return (InputError, (self.code, self.message))


class ConfigError(Exception):
    """A rules or reference file that cannot be used; the message is one line for the user."""
