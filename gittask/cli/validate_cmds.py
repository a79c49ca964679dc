"""`gittask validate`: what the pre-commit hook runs."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from gittask.cli import JsonOpt, command, cwd, echo, emit_json, note, open_project


@command("validate")
def validate_cmd(
    paths: Annotated[Optional[List[Path]], typer.Argument(help="Files or directories (default: every task file).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check task, data source, config, results and predictions files."""
    from gittask.validate import validate_worktree

    project = open_project()
    base = cwd()
    resolved = [p if p.is_absolute() else base / p for p in paths] if paths else None
    problems, count = validate_worktree(project, resolved)
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        emit_json({"files": count, "problems": [p.as_dict() for p in problems], "ok": not errors})
    else:
        for problem in problems:
            note(str(problem))
        if not errors:
            echo(f"{count} file(s) checked, no problems")
    if errors:
        if not as_json:
            note(f"error: {len(errors)} problem(s) in {count} file(s) checked")
        raise typer.Exit(1)
