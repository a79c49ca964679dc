"""Version history of a task (the seed's table), read from its tags with one git call."""
from __future__ import annotations

from gittask import i18n, lineage, versions
from gittask.project import Project
from gittask.tasks import Task

METRIC_NAMES = {"macro_f1": "Macro-F1", "micro_f1": "Micro-F1", "weighted_f1": "Weighted-F1",
                "accuracy": "Accuracy"}


def metric_label(metric: str) -> str:
    if metric.startswith("f1:"):
        return f"{metric[3:]} F1"
    return METRIC_NAMES.get(metric, metric)


def history(project: Project, task: Task) -> list[dict]:
    """Released versions newest first, with metric, main changes and the active mark."""
    rows = []
    released = versions.releases(project, task)
    for i, rel in enumerate(released):
        rows.append({
            "version": rel.version, "tag": rel.tag, "commit": rel.commit,
            "created": rel.date[:10], "date": rel.date, "parent": rel.parent,
            "value": rel.metric(task.primary_metric),
            "metrics": rel.meta.get("metrics") or {},
            "changes": rel.changes,
            "summary": lineage.summary(rel.changes, first=rel.parent is None),
            "active": rel.version == task.version,
        })
    _trend(rows)
    return list(reversed(rows))


def _trend(rows: list[dict]) -> None:
    """↑ / ↓ / = against the previous release's primary metric."""
    previous = None
    for row in rows:
        value = row["value"]
        if value is None or previous is None:
            row["trend"] = ""
        else:
            row["trend"] = "↑" if value > previous + 1e-12 else "↓" if value < previous - 1e-12 else "="
        if value is not None:
            previous = value


def render_log(task: Task, rows: list[dict], markdown: bool = False, lang: str | None = None) -> str:
    from gittask.output import markdown_table, percent, table

    lang = i18n.resolve(lang)
    tr = lambda s: i18n.t(s, lang)  # noqa: E731
    headers = [tr("Version"), tr("Created"), metric_label(task.primary_metric), tr("Main changes")]
    body = []
    for row in rows:
        name = f"{row['version']} (*)" if row["active"] else row["version"]
        summary = tr(row["summary"]) if row["summary"] == "initial version" else row["summary"]
        value = percent(row["value"]) + (f" {row['trend']}" if row.get("trend") else "")
        body.append([name, row["created"], value, summary])
    head = [f"{tr('Task:')} {task.name}", f"{tr('Active version:')} {task.version or '-'}", tr("History:")]
    if markdown:
        return "\n".join(head[:2]) + "\n\n" + markdown_table(headers, body, ["left", "left", "right", "left"])
    if not rows:
        return "\n".join(head[:2]) + "\n(no released versions yet: gittask draft, record, release)"
    return "\n".join(head) + "\n" + table(headers, body, ["left", "left", "right", "left"])
