"""Commands that compare versions: compare (alias diff) and plot."""

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from gittask.cli import JsonOpt, TaskArg, TaskOpt, command, cwd, echo, emit_json, open_task

LangOpt = Annotated[Optional[str], typer.Option("--lang", help="en or zh-TW (default: from the locale).")]


def _compare(
    refs: Annotated[Optional[List[str]], typer.Argument(metavar="[A] [B] [MORE]...", help="Versions (VERSION or TASK@VERSION). None: the active version against its parent; one: that version against its parent; three or more: one table.")] = None,
    task: TaskOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Also unchanged settings and classes, per-class precision and recall (with many versions: per-class F1).")] = False,
    all_versions: Annotated[bool, typer.Option("--all-versions", help="One table of every version of the task.")] = False,
    metric: Annotated[Optional[List[str]], typer.Option("--metric", help="A metric for the many-versions table (repeatable): macro_f1, accuracy, f1:LABEL …")] = None,
    sort: Annotated[Optional[str], typer.Option("--sort", metavar="METRIC", help="Sort the many-versions table by METRIC, best first.")] = None,
    as_json: JsonOpt = False,
    md: Annotated[bool, typer.Option("--md", help="Print GitHub-flavoured markdown (for PR comments).")] = False,
    precision: Annotated[int, typer.Option("--precision", min=0, max=6, help="Decimals of percentages and point changes.")] = 1,
    lang: LangOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the paired bootstrap (same seed, same interval).")] = 0,
    resamples: Annotated[int, typer.Option("--resamples", min=1, help="Bootstrap resamples.")] = 2000,
) -> None:
    """Compare versions: config and data changes, metrics with deltas in percentage
    points, per-class F1, significance and a verdict against the success criteria."""
    from gittask import compare, i18n, report
    from gittask.output import use_color

    refs = list(refs or [])
    lang = i18n.resolve(lang)  # a bad --lang fails before any work
    project, t = open_task(compare.task_of_refs(refs, task))
    # --metric and --sort only make sense for the table of versions, so they ask for it.
    many = all_versions or len(refs) > 2 or bool(metric) or bool(sort)
    if many:
        data = compare.compare_many(project, t, [] if all_versions else refs, metric, sort, all_)
    else:
        data = compare.compare_pair(project, t, refs, all_, seed, resamples)
    if as_json:
        emit_json(data)
    elif many:
        echo(report.render_many(data, lang, md, precision))
    else:
        echo(report.render_pair(data, lang, md, precision, color=use_color()))


compare_cmd = command("compare", short_help="Compare versions, with a verdict.")(_compare)
command("diff", short_help="Same as compare.", help="Same as 'compare': config and data changes, metric deltas, significance, verdict.")(_compare)


@command("plot", short_help="Chart a metric across versions.")
def plot_cmd(
    task_arg: TaskArg = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="The chart file: .png or .svg.")] = ...,
    task: TaskOpt = None,
    metric: Annotated[Optional[str], typer.Option("--metric", help="The metric to draw (default: the primary metric); e.g. accuracy, f1:LABEL.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draw a metric across versions, with the threshold line, deployed versions
    starred and per-class F1 per version (needs the 'plot' extra: matplotlib)."""
    from gittask.compare import trend
    from gittask.history import metric_label
    from gittask.plot import plot_versions

    project, t = open_task(task_arg or task)
    data = trend(project, t, metric)
    path = output if output.is_absolute() else cwd() / output
    plot_versions(path, list(zip(data["versions"], data["values"])), metric_label(data["metric"]),
                  threshold=data["threshold"], deployed=data["deployed"],
                  per_class=data["per_class"] or None, title=f"{t.name}: {metric_label(data['metric'])}")
    if as_json:
        emit_json({**data, "path": str(path)})
        return
    extras = [f"threshold {data['threshold']:.1%}"] if data["threshold"] is not None else []
    extras += [f"deployed: {', '.join(data['deployed'])}"] if data["deployed"] else []
    echo(f"wrote {output}: {metric_label(data['metric'])} of {len(data['versions'])} version(s)"
         + (f" ({'; '.join(extras)})" if extras else ""))
