"""Commands that look after versions: rollback, promote, prune, verify."""

from typing import Annotated, Optional

import typer

from gittask.cli import JsonOpt, TaskArg, TaskOpt, command, cwd, echo, emit_json, note, open_project, open_task
from gittask.errors import GittaskError

DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print what would change; change nothing.")]


def _task_and_version(arg: str, task: str | None):
    """VERSION or TASK@VERSION, the task otherwise from -t / the current directory."""
    from gittask.project import split_ref

    named, version = split_ref(arg)
    if named and task and named != task:
        raise GittaskError(f"{arg} names task '{named}' but -t says '{task}'", hint="give one of them")
    project, t = open_task(named or task)
    return project, t, version


# --- rollback ----------------------------------------------------------------------------

@command("rollback", short_help="Restore a task from a released version.")
def rollback_cmd(
    version: Annotated[str, typer.Argument(metavar="VERSION", help="The released version to go back to (VERSION or TASK@VERSION).")],
    task: TaskOpt = None,
    deploy: Annotated[bool, typer.Option("--deploy", help="Also re-point the deployments (Hub main, Ollama latest) to it.")] = False,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Restore the task's files (all but versions/) from TASK@VERSION; one new commit."""
    from gittask.rollback import execute_rollback, plan_rollback

    project, t, name = _task_and_version(version, task)
    plan = plan_rollback(project, t, name, deploy=deploy)
    if not dry_run:
        execute_rollback(project, t, plan)
    if as_json:
        emit_json({**plan.as_dict(), "dry_run": dry_run})
        return
    echo(_rollback_text(plan, dry_run))


def _rollback_text(plan, dry_run: bool) -> str:
    marks = {"restore": "M", "add": "A", "delete": "D"}
    head = f"{plan.task} {plan.previous or '-'} → {plan.version}"
    if plan.noop:
        lines = [f"{plan.task} is already at {plan.version}: no file to restore"]
    elif dry_run:
        lines = [f"# dry run: rollback {head} would change {len(plan.changes)} file(s); nothing changed"]
    else:
        lines = [f"rolled back {head}: commit {plan.commit[:12]} 'rollback {plan.task} to {plan.version}'"]
    lines += [f"  {marks[c.action]} {c.path}" for c in plan.changes]
    if plan.status:
        lines.append(f"status: {plan.status[0]} → {plan.status[1]}")
    for dep in plan.deployments:
        lines.append(f"re-pointed {dep.target}: {dep.location}")
    if dry_run and not plan.noop:
        lines.append("run without --dry-run to roll back")
    return "\n".join(lines)


# --- promote -----------------------------------------------------------------------------

@command("promote", short_help="Make an experiment a regular version.")
def promote_cmd(
    experiment: Annotated[str, typer.Argument(metavar="V-EXP", help="The released experiment (e.g. v3-exp, or TASK@v3-exp).")],
    task: TaskOpt = None,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Make a successful experiment the next regular version (keeps its lineage)."""
    from gittask.rollback import execute_promote, plan_promote

    project, t, name = _task_and_version(experiment, task)
    plan = plan_promote(project, t, name)
    if not dry_run:
        execute_promote(project, t, plan)
    if as_json:
        emit_json({**plan.as_dict(), "dry_run": dry_run})
        return
    if dry_run:
        echo(f"# dry run: {plan.task}@{plan.experiment} would become {plan.tag} "
             f"(parent {plan.parent or '-'}); nothing changed")
        return
    echo(f"promoted {plan.task} {plan.experiment} → {plan.version}: {plan.tag} at {plan.commit[:12]} "
         f"(parent {plan.parent or '-'}; {plan.experiment} stays in history)")


# --- prune -------------------------------------------------------------------------------

@command("prune", short_help="Apply the retention policy.")
def prune_cmd(
    task_arg: TaskArg = None,
    task: TaskOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Every task of the project.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Apply the plan (default: only print it).")] = False,
    remote: Annotated[bool, typer.Option("--remote", help="With --yes: delete dropped tags on origin too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Apply the retention policy: print the plan; --yes removes what it lists."""
    from gittask.retention import apply_prune, plan_prune

    tasks = _prune_tasks(task_arg or task, all_)
    project = tasks[0][0]
    plans = [plan_prune(project, t) for _, t in tasks]
    result = None
    if yes:
        result = apply_prune(project, [t for _, t in tasks], plans, "origin" if remote else None)
    if as_json:
        emit_json({"applied": yes, "remote": remote and yes,
                   "bytes_freed": sum(p.bytes_freed for p in plans),
                   "tasks": [p.as_dict() for p in plans],
                   "result": result.as_dict() if result else None})
        return
    for plan in plans:
        for warning in plan.warnings:
            note(f"warning: {plan.task}: {warning}")
    echo("\n\n".join(_plan_text(p) for p in plans))
    echo(_prune_footer(plans, result, remote))


def _prune_tasks(name: str | None, all_: bool):
    from gittask.tasks import load_task

    if all_:
        if name:
            raise GittaskError("give a TASK or --all, not both")
        project = open_project()
        names = project.task_names()
        if not names:
            raise GittaskError("this project has no tasks", hint="create one with 'gittask new NAME'")
        return [(project, load_task(project, n)) for n in names]
    return [open_task(name)]


def _plan_text(plan) -> str:
    from gittask.output import table

    r = plan.retention
    head = (f"{plan.task}: keep_recent {r['keep_recent']}, deployed and best always kept, "
            f"experiments cleaned after {r['cleanup_exp_after']}")
    if not plan.decisions:
        return head + "\n(no released versions)"
    rows = [[d.version, d.action, d.rule, d.reason, human_bytes(d.bytes) if d.action == "remove" else "-"]
            for d in plan.decisions]
    return head + "\n" + table(["Version", "Action", "Rule", "Why", "Frees"], rows,
                               ["left", "left", "left", "left", "right"])


def _prune_footer(plans, result, remote: bool) -> str:
    removals = [(p.task, d) for p in plans for d in p.removals]
    freed = human_bytes(sum(p.bytes_freed for p in plans))
    if not removals:
        return "nothing to remove"
    if result is None:
        dropped = [f"{t}@{d.version}" for t, d in removals if d.drop_tag]
        tags = f"; tags to delete: {', '.join(dropped)}" if dropped else ""
        return (f"plan: remove {len(removals)} version(s), free {freed}{tags}\n"
                f"nothing changed: run with --yes to apply" + (" (and --remote for origin)" if dropped and not remote else ""))
    lines = [f"removed {len(removals)} version(s): freed {freed}"]
    for task, commit in result.commits.items():
        lines.append(f"  {task}: dropped expired experiment folders in {commit[:12]}")
    if result.tags_deleted:
        lines.append(f"  deleted tags: {', '.join(result.tags_deleted)}")
    if result.remote_tags_deleted:
        lines.append(f"  deleted on origin: {', '.join(result.remote_tags_deleted)}")
    return "\n".join(lines)


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


# --- verify ------------------------------------------------------------------------------

@command("verify", short_help="Check data, artifacts and tags.")
def verify_cmd(
    version: Annotated[Optional[str], typer.Argument(metavar="[VERSION]", help="The version (default: the active one); VERSION or TASK@VERSION.")] = None,
    task: TaskOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Every tagged version (of every task when no task is given or implied by the directory).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Data and artifacts still match the version's snapshot; tag, lineage and task.yaml agree."""
    from gittask.verify import verify_task

    if all_ and version:
        raise GittaskError("give a VERSION or --all, not both")
    reports = []
    for project, t, name in _verify_targets(version, task, all_):
        reports += verify_task(project, t, name, every=all_)
    bad = [r for r in reports if not r.ok]
    if as_json:
        emit_json({"ok": not bad, "versions": [r.as_dict() for r in reports]})
    else:
        echo("\n".join(_report_text(r) for r in reports))
    if bad:
        count = sum(len(r.mismatches) for r in bad)
        raise GittaskError(f"{count} mismatch(es) in {len(bad)} version(s)",
                           hint="restore what changed (git checkout TAG -- PATH for files in git, "
                                "the artifacts from where they were built), or release a new "
                                "version that records the change")


def _verify_targets(version: str | None, task: str | None, all_: bool):
    from gittask.project import task_of_cwd
    from gittask.tasks import load_task

    if not all_:
        if version is None:
            project, t = open_task(task)
            return [(project, t, None)]
        return [_task_and_version(version, task)]
    if task:
        project, t = open_task(task)
        return [(project, t, None)]
    project = open_project()
    here = task_of_cwd(project, cwd())
    names = [here] if here else project.task_names()
    return [(project, load_task(project, n), None) for n in names]


def _report_text(report) -> str:
    checked = report.checked
    what = f"{checked['data_files']} data file(s), {checked['artifacts']} artifact(s) checked"
    state = "ok" if report.ok else f"{len(report.mismatches)} mismatch(es)"
    lines = [f"{report.task}@{report.version}: {state} ({what})"]
    lines += [f"  {m}" for m in report.mismatches]
    lines += [f"  note: {n}" for n in report.notes]
    return "\n".join(lines)
