"""Commands about tasks: init, new, list, show, switch, shell-init, state, schema, demo."""

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from gittask.cli import (JsonOpt, TaskArg, TaskOpt, command, cwd, echo, emit_json, note, open_project,
                         open_task)
from gittask.errors import GittaskError


@command("init", short_help="Make a directory a gittask project.")
def init_cmd(
    path: Annotated[Optional[Path], typer.Argument(help="The directory (default: the current one).")] = None,
) -> None:
    """Make a directory a gittask project: git init when needed, models/ kept out of git."""
    from gittask.tasks import init_project

    target = path if path is None or path.is_absolute() else cwd() / path
    info = init_project(target or cwd())
    what = "initialised a new git repository" if info["created_repo"] else "using the existing git repository"
    echo(f"gittask project at {info['root']} ({what})")
    if info["gitignore_updated"]:
        echo("  .gitignore: models/ folders are ignored")
    hook = info["hook"]
    if isinstance(hook, GittaskError):
        note(f"note: the pre-commit hook was not installed: {hook.message}")
        if hook.hint:
            note(f"hint: {hook.hint}")
    else:
        from gittask.cli.hook_cmds import installed_lines

        for line in installed_lines(hook, Path(info["root"])):
            echo(f"  {line}")
    echo("next: gittask new TASK")


@command("new", short_help="Scaffold a task and commit it.")
def new_cmd(
    name: Annotated[str, typer.Argument(help="The task name, a slug such as entity-sentiment.")],
    task_type: Annotated[str, typer.Option("--type", help="Task type (classification, ner, generation, …).")] = "classification",
    domain: Annotated[str, typer.Option(help="Domain, e.g. finance.")] = "general",
    language: Annotated[str, typer.Option(help="Language tag, e.g. zh-TW.")] = "zh-TW",
    labels: Annotated[Optional[str], typer.Option(help="Comma-separated labels, e.g. 正面,負面,中立.")] = None,
    label_field: Annotated[str, typer.Option(help="The output/data field that holds the label.")] = "label",
    metric: Annotated[str, typer.Option("--metric", help="The primary metric.")] = "macro_f1",
    threshold: Annotated[float, typer.Option(help="Success threshold of the primary metric, as a fraction.")] = 0.8,
    strategy: Annotated[str, typer.Option(help="Version naming: semantic, date or hybrid.")] = "semantic",
    hf_repo: Annotated[Optional[str], typer.Option(help="Hugging Face repo to deploy to (org/name).")] = None,
    ollama_model: Annotated[Optional[str], typer.Option(help="Ollama model name to deploy to (org/name).")] = None,
    no_commit: Annotated[bool, typer.Option("--no-commit", help="Scaffold only; do not commit.")] = False,
) -> None:
    """Scaffold a task (task.yaml, data_source.yaml, versions/, data/, …) and commit it."""
    from gittask.tasks import NewTaskOptions, new_task

    if strategy not in ("semantic", "date", "hybrid"):
        raise GittaskError(f"unknown strategy '{strategy}'", hint="strategies: semantic, date, hybrid")
    project = open_project()
    project.require_git()
    opts = NewTaskOptions(task_type=task_type, domain=domain, language=language,
                          labels=tuple(l.strip() for l in (labels or "").split(",") if l.strip()),
                          label_field=label_field, primary_metric=metric, threshold=threshold,
                          strategy=strategy, hf_repo=hf_repo, ollama_model=ollama_model)
    task = new_task(project, name, opts, commit=not no_commit)
    echo(f"created task {task.name} at {task.dir}")
    echo(f"next: edit {task.relpath('data_source.yaml')}, then 'gittask draft -t {task.name}'")


def _list_table(rows) -> str:
    """The seed's table; the metric column is named after the metric when all tasks
    share one, else each cell names its metric."""
    from gittask.output import percent, table

    metrics = {r.metric for r in rows if r.metric and not r.error}
    shared = metrics.pop() if len(metrics) == 1 else None

    def cell(r) -> str:
        if r.value is None or shared:
            return percent(r.value)
        return f"{percent(r.value)} {r.metric}"

    body = [[r.name, "error", "-", "-", "-"] if r.error else
            [r.name, r.status or "-", r.version or "-", cell(r), r.updated or "-"] for r in rows]
    header = _metric_header(shared) if shared else "Metric"
    return table(["Task", "Status", "Version", header, "Updated"], body,
                 ["left", "left", "left", "right", "left"])


def _metric_header(metric: str) -> str:
    known = {"macro_f1": "Macro-F1", "micro_f1": "Micro-F1", "weighted_f1": "Weighted-F1",
             "accuracy": "Accuracy", "f1": "F1"}
    return known.get(metric, metric)


@command("list", short_help="All tasks: status, version, metric.")
def list_cmd(
    status: Annotated[Optional[List[str]], typer.Option("--status", help="Only tasks in this status (repeatable).")] = None,
    sort: Annotated[str, typer.Option(help="Sort by name, status, metric, updated or version.")] = "name",
    as_json: JsonOpt = False,
) -> None:
    """All tasks: status, active version, primary metric, updated date."""
    from gittask.tasks import sort_rows, task_rows

    project = open_project()
    rows = sort_rows(task_rows(project), sort)
    if status:
        from gittask.schema import STATUSES

        unknown = [s for s in status if s not in STATUSES]
        if unknown:
            raise GittaskError(f"unknown status '{unknown[0]}'", hint="statuses: " + ", ".join(STATUSES))
        rows = [r for r in rows if r.status in status]
    if as_json:
        emit_json({"root": str(project.root), "tasks": [r.as_dict() for r in rows]})
        return
    if not project.task_names():
        note(f"no tasks in {project.root}; create one with 'gittask new NAME'")
        return
    echo(_list_table(rows))
    for r in rows:
        if r.error:
            note(f"{r.name}: {r.error}")


@command("show", short_help="One task: status, metric vs threshold.")
def show_cmd(
    task_arg: TaskArg = None,
    task: TaskOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One task: status, active version, primary metric against its threshold, paths."""
    from gittask.output import percent, style
    from gittask.tasks import task_summary

    project, t = open_task(task_arg or task)
    info = task_summary(project, t)
    if as_json:
        emit_json(info)
        return
    verdict = ""
    if info["meets_threshold"] is not None:
        verdict = style("  meets the threshold", "green") if info["meets_threshold"] else \
            style("  below the threshold", "red")
    threshold = percent(info["threshold"]) if info["threshold"] is not None else "-"
    lines = [
        f"Task:      {info['task']}",
        f"Status:    {info['status']}  (next: {', '.join(info['next_states']) or 'none'})",
        f"Version:   {info['version'] or '-'}",
        f"{_metric_header(info['primary_metric'])}: {percent(info['value'])} (threshold {threshold}){verdict}",
        f"Type:      {info['task_type'] or '-'} · {info['domain'] or '-'} · {info['language'] or '-'}",
        f"Versions:  {', '.join(info['local_versions']) or '-'} ({info['strategy']})",
        f"Updated:   {info['updated'] or '-'}",
        "Paths:",
    ]
    lines += [f"  {key:<12} {value}" for key, value in info["paths"].items()]
    echo("\n".join(lines))


@command("switch", short_help="Make TASK the current task.")
def switch_cmd(
    task: Annotated[str, typer.Argument(help="The task to make current, or '-' for the previous one.")],
) -> None:
    """Make TASK the current task of this clone and print its path (see shell-init)."""
    project = open_project()
    state = project.read_state()
    if task == "-":
        previous = state.get("previous")
        if not previous:
            raise GittaskError("no previous task to switch back to", hint="gittask switch TASK")
        task = previous
    name = project.require_task(task)
    if state.get("current") != name:
        state["previous"], state["current"] = state.get("current"), name
        project.write_state(state)
    echo(str(project.task_dir(name)))


_SHELL_FUNCS = {
    "bash": '''gittask() {
  if [ "$1" = "switch" ] && [ $# -ge 2 ]; then
    local dir
    dir="$(command gittask "$@")" || return $?
    cd "$dir" && printf 'switched to %s\\n' "$dir"
  else
    command gittask "$@"
  fi
}''',
    "fish": '''function gittask
    if test (count $argv) -ge 2; and test "$argv[1]" = switch
        set -l dir (command gittask $argv); or return $status
        cd $dir; and printf 'switched to %s\\n' $dir
    else
        command gittask $argv
    end
end''',
}
_SHELL_FUNCS["zsh"] = _SHELL_FUNCS["bash"]


@command("shell-init", short_help="Shell function: switch also cds.")
def shell_init_cmd(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish.")],
) -> None:
    """Print a shell function so that 'gittask switch TASK' also changes directory.

    Add to ~/.bashrc:  eval "$(gittask shell-init bash)"
    """
    if shell not in _SHELL_FUNCS:
        raise GittaskError(f"unknown shell '{shell}'", hint="shells: bash, zsh, fish")
    echo(_SHELL_FUNCS[shell])


@command("state", short_help="Move the task through its lifecycle.")
def state_cmd(
    new_state: Annotated[str, typer.Argument(metavar="STATE", help="created, configuring, training, evaluating, deployed or archived.")],
    task: TaskOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Allow a move outside the lifecycle.")] = False,
    no_commit: Annotated[bool, typer.Option("--no-commit", help="Edit task.yaml only; do not commit.")] = False,
) -> None:
    """Move the task through its lifecycle (and commit task.yaml)."""
    from gittask.tasks import change_state

    project, t = open_task(task)
    old, new = change_state(project, t, new_state, force=force, commit=not no_commit)
    echo(f"{t.name}: {old} → {new}" if old != new else f"{t.name} is already {new}")


@command("schema", short_help="JSON Schema of a file kind.")
def schema_cmd(
    kind: Annotated[str, typer.Argument(help="task, data-source, config or results.")],
) -> None:
    """Print the JSON Schema of a file kind (for yaml-language-server and editors)."""
    from gittask.schema import SCHEMAS

    if kind not in SCHEMAS:
        raise GittaskError(f"unknown kind '{kind}'", hint="kinds: " + ", ".join(SCHEMAS))
    emit_json(SCHEMAS[kind])


@command("demo", short_help="Build the seed's sample project.")
def demo_cmd(
    path: Annotated[Optional[Path], typer.Argument(help="Where to build the sample project (default: ./gittask-demo).")] = None,
) -> None:
    """Build the seed's sample project (entity-sentiment, stance-detection, ner-finance) and show it."""
    from gittask.demo import build_demo

    from gittask.project import open_project as open_at
    from gittask.tasks import task_rows

    target = path or Path("gittask-demo")
    target = target if target.is_absolute() else cwd() / target
    for step in build_demo(target):
        echo(f"$ {step}")
    echo()
    project = open_at(target)
    echo(f"$ cd {target} && gittask list")
    echo(_list_table(task_rows(project)))
    echo()
    from gittask.history import history, render_log
    from gittask.tasks import load_task

    echo("$ gittask log -t entity-sentiment")
    task = load_task(project, "entity-sentiment")
    echo(render_log(task, history(project, task)))
    echo()
    from gittask import compare, report

    echo("$ gittask compare v1 v2 -t entity-sentiment")
    echo(report.render_pair(compare.compare_pair(project, task, ["v1", "v2"]), "en", False, 1, color=False))

