"""Commands about versions: draft, record, release, log."""

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from gittask.cli import JsonOpt, TaskArg, TaskOpt, command, cwd, echo, emit_json, note, open_task
from gittask.errors import GittaskError


def _path(p: Path) -> Path:
    return p if p.is_absolute() else cwd() / p


@command("draft", short_help="Start the next version.")
def draft_cmd(
    version: Annotated[Optional[str], typer.Argument(help="The new version's name (default: the next one by the task's strategy).")] = None,
    task: TaskOpt = None,
    from_: Annotated[Optional[str], typer.Option("--from", help="Parent version (default: the active version).")] = None,
    major: Annotated[bool, typer.Option("--major", help="Next major version (v2 → v3).")] = False,
    minor: Annotated[bool, typer.Option("--minor", help="Next minor version (v2 → v2.1).")] = False,
    exp: Annotated[bool, typer.Option("--exp", help="An experiment (v3-exp).")] = False,
) -> None:
    """Start the next version: copy the parent's config.yaml, record the parent."""
    from gittask.release import draft

    if version and (major or minor or exp):
        raise GittaskError("give a version name or --major/--minor/--exp, not both")
    project, t = open_task(task)
    d = draft(project, t, version, from_, major=major, minor=minor, exp=exp)
    parent = f"from {d.parent}" if d.parent else "with a starter config"
    echo(f"drafted {t.name} {d.version} ({parent}) at {t.relpath('versions', d.version)}/")
    if d.status:
        echo(f"status: {d.status[0]} → {d.status[1]}")
    echo(f"next: edit config.yaml, train, then 'gittask record RESULTS.json' and 'gittask release'")


@command("record", short_help="Attach evaluation results.")
def record_cmd(
    results: Annotated[Path, typer.Argument(help="The evaluation results (results.json format).")],
    task: TaskOpt = None,
    version: Annotated[Optional[str], typer.Option("--version", "-v", help="The drafted version (default: the only draft).")] = None,
    predictions: Annotated[Optional[Path], typer.Option(help="Per-example predictions (JSONL: id, gold, pred).")] = None,
) -> None:
    """Attach evaluation results (and predictions) to the drafted version."""
    from gittask.output import percent
    from gittask.release import record

    project, t = open_task(task)
    info = record(project, t, _path(results), version, _path(predictions) if predictions else None)
    value = info["results"].get(t.primary_metric)
    echo(f"recorded results for {t.name} {info['version']}: {t.primary_metric} {percent(value)}"
         + (" (with predictions)" if info["predictions"] else ""))
    if info["status"]:
        echo(f"status: {info['status'][0]} → {info['status'][1]}")
    echo(f"next: gittask release {info['version']}")


@command("release", short_help="Generate lineage, commit, tag TASK@V.")
def release_cmd(
    version: Annotated[Optional[str], typer.Argument(help="The drafted version (default: the only draft).")] = None,
    task: TaskOpt = None,
    message: Annotated[Optional[str], typer.Option("-m", "--message", help="Notes for lineage.yaml.")] = None,
    change: Annotated[Optional[List[str]], typer.Option("--change", help="A hand-written change line (repeatable).")] = None,
    push: Annotated[bool, typer.Option("--push", help="Push the commit and the tag together.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the lineage it would write; change nothing.")] = False,
    allow_no_results: Annotated[bool, typer.Option("--allow-no-results", help="Release without results.json.")] = False,
) -> None:
    """Generate lineage, data snapshot and model info; commit; tag TASK@VERSION."""
    from gittask.release import execute_release, plan_release
    from gittask.yamlio import dump_yaml

    project, t = open_task(task)
    plan = plan_release(project, t, version, message, tuple(change or ()), allow_no_results)
    for warning in plan.warnings:
        note(f"warning: {warning}")
    if dry_run:
        echo(f"# dry run: {plan.tag} would be created with this lineage.yaml")
        echo(dump_yaml(plan.lineage).rstrip())
        return
    execute_release(project, t, plan, push=push)
    echo(f"released {plan.tag} at {plan.commit[:12]}" + (" and pushed" if plan.pushed else ""))
    for line in plan.lineage["changes"]:
        echo(f"  - {line}")


@command("log", short_help="Version history of a task.")
def log_cmd(
    task_arg: TaskArg = None,
    task: TaskOpt = None,
    as_json: JsonOpt = False,
    md: Annotated[bool, typer.Option("--md", help="Print a markdown table (for PR comments).")] = False,
    lang: Annotated[Optional[str], typer.Option("--lang", help="en or zh-TW (default: from the locale).")] = None,
) -> None:
    """Version history: version, created, primary metric, main changes; * = active."""
    from gittask.history import history, render_log

    project, t = open_task(task_arg or task)
    rows = history(project, t)
    if as_json:
        emit_json({"task": t.name, "active": t.version, "primary_metric": t.primary_metric,
                   "versions": rows})
        return
    echo(render_log(t, rows, markdown=md, lang=lang))
