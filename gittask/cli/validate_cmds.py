"""`gittask validate`: what the pre-commit hook runs."""

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from gittask.cli import JsonOpt, command, cwd, echo, emit_json, note, open_project


@command("validate", short_help="Check the task files (the hook's check).")
def validate_cmd(
    paths: Annotated[Optional[List[Path]], typer.Argument(help="Files or directories (default: every task file; with --staged, every staged change).")] = None,
    staged: Annotated[bool, typer.Option("--staged", help="Check what the next commit records (the index), not the working tree: file contents, status moves, released versions, model weights and large files.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check task, data source, config, results, predictions and lineage files, and that
    released versions are unchanged."""
    from gittask.validate import staged_index_file, validate_staged, validate_worktree

    project = open_project()
    base = cwd()
    resolved = [p if p.is_absolute() else base / p for p in paths] if paths else None
    if staged:
        problems, count = validate_staged(project, resolved, staged_index_file())
    else:
        problems, count = validate_worktree(project, resolved)
    what = "staged file(s)" if staged else "file(s)"
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        emit_json({"files": count, "staged": staged, "problems": [p.as_dict() for p in problems],
                   "ok": not errors})
    else:
        for problem in problems:
            note(str(problem))
        if not errors:
            echo(f"{count} {what} checked, no problems")
    if errors:
        if not as_json:
            note(f"error: {len(errors)} problem(s) in {count} {what} checked")
        raise typer.Exit(1)
