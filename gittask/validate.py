"""Checking the files of a project: each file kind by its content, so the same checks
serve the working tree (`gittask validate`) and the index (the pre-commit hook)."""
from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from gittask import schema, yamlio
from gittask.errors import Problem, ValidationError
from gittask.project import TASK_FILE, Project

KINDS = {
    TASK_FILE: "task",
    "data_source.yaml": "data-source",
    "config.yaml": "config",
    "results.json": "results",
    "predictions.jsonl": "predictions",
}


def kind_of(relpath: str) -> str | None:
    """The file kind of a path relative to the project root, or None."""
    p = PurePosixPath(relpath)
    kind = KINDS.get(p.name)
    if kind in ("config", "results", "predictions"):
        return kind if len(p.parts) >= 3 and p.parts[-3] == "versions" else None
    return kind


def check_text(kind: str, display: str, text: str, dir_name: str | None = None) -> list[Problem]:
    """Every problem of one file's text."""
    if kind == "predictions":
        return check_predictions(display, text)
    try:
        doc = yamlio.parse_json(text, display) if kind == "results" else yamlio.parse_yaml(text, display)
    except ValidationError as exc:
        return exc.problems
    if kind == "task":
        from gittask.tasks import task_problems

        return task_problems(doc, dir_name)
    if doc.data is None:
        return [Problem(display, "the file is empty", 1, 1)]
    return schema.validate(doc, schema.SCHEMAS[kind])


def check_predictions(display: str, text: str) -> list[Problem]:
    """predictions.jsonl: one JSON object per line with id, gold and pred; ids unique."""
    problems, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(display, f"invalid JSON: {exc.msg}", number, exc.colno))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(display, "expected a JSON object", number, 1))
            continue
        missing = [k for k in ("id", "gold", "pred") if k not in row]
        if missing:
            problems.append(Problem(display, f"missing {', '.join(missing)} (each line needs "
                                    "id, gold and pred)", number, 1))
            continue
        if row["id"] in seen:
            problems.append(Problem(display, f"duplicate id {json.dumps(row['id'], ensure_ascii=False)}",
                                    number, 1))
        seen.add(row["id"])
    return problems


def task_dir_name(relpath: str) -> str | None:
    parts = PurePosixPath(relpath).parts
    return parts[0] if len(parts) > 1 else None


def project_files(project: Project) -> list[str]:
    """Every checkable file of every task, relative to the root."""
    files = []
    for name in project.task_names():
        rel = project.task_rel(name)
        base = project.task_dir(name)
        prefix = "" if rel == "." else f"{rel}/"
        for fname in (TASK_FILE, "data_source.yaml"):
            if (base / fname).is_file():
                files.append(prefix + fname)
        versions = base / "versions"
        if versions.is_dir():
            for vdir in sorted(p for p in versions.iterdir() if p.is_dir()):
                for fname in ("config.yaml", "results.json", "predictions.jsonl"):
                    if (vdir / fname).is_file():
                        files.append(f"{prefix}versions/{vdir.name}/{fname}")
    return files


def validate_worktree(project: Project, paths: list[Path] | None = None) -> tuple[list[Problem], int]:
    """Problems of the given files (default: every file of every task) and how many
    files were checked."""
    rels = _select(project, paths) if paths else project_files(project)
    problems: list[Problem] = []
    for rel in rels:
        kind = kind_of(rel)
        if kind is None:
            continue
        text = yamlio.read_text(project.root / rel, rel)
        dir_name = None if project.single_task else task_dir_name(rel)
        problems.extend(check_text(kind, rel, text, dir_name))
    return problems, len(rels)


def _select(project: Project, paths: list[Path]) -> list[str]:
    """Files named on the command line (a directory means every file below it)."""
    chosen = []
    all_files = project_files(project)
    for path in paths:
        rel = Path(path).resolve().relative_to(project.root).as_posix() if Path(path).exists() else None
        if rel is None:
            raise ValidationError([Problem(str(path), "no such file or directory")])
        if (project.root / rel).is_dir():
            prefix = "" if rel == "." else rel + "/"
            chosen.extend(f for f in all_files if f.startswith(prefix))
        else:
            chosen.append(rel)
    return chosen
