"""The one error family of gittask.

Core code raises these; only the CLI layer turns them into text on stderr and an
exit code. A message names the file (and line/column when known) and says what to do
next in `hint`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, at a position when it is known."""

    path: str
    message: str
    line: int | None = None
    col: int | None = None
    severity: str = "error"  # "error" or "warning"

    def location(self) -> str:
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}:{self.col or 1}"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.location()}: {prefix}{self.message}"

    def as_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "col": self.col,
                "severity": self.severity, "message": self.message}


class GittaskError(Exception):
    """An expected failure caused by input or repository state (exit code 1)."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None,
                 problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems = problems or []


class ValidationError(GittaskError):
    """One or more files failed validation; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem], hint: str | None = None):
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} problem(s) found", hint=hint, problems=problems)


class GitError(GittaskError):
    """git itself failed; the message carries git's own words."""
