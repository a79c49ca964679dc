"""Version history of a task (the seed's table), read from its tags with one git call;
rollbacks, found by their commit trailer with one `git log --grep`, are rows too."""
from __future__ import annotations

import datetime as dt

from gittask import gitcmd, i18n, lineage, versions
from gittask.project import Project
from gittask.tasks import Task

# The commit trailers a rollback writes (gittask.rollback); read here with one git call.
TRAILER = "Gittask-Rollback"
TRAILER_FROM = "Gittask-Rollback-From"

METRIC_NAMES = {"macro_f1": "Macro-F1", "micro_f1": "Micro-F1", "weighted_f1": "Weighted-F1",
                "accuracy": "Accuracy"}


def metric_label(metric: str) -> str:
    if metric.startswith("f1:"):
        return f"{metric[3:]} F1"
    return METRIC_NAMES.get(metric, metric)


def history(project: Project, task: Task) -> list[dict]:
    """Released versions newest first, with metric, main changes and the active mark;
    rollbacks (`kind: rollback`) stand among them at their date."""
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
            "kind": "release",
        })
    _trend(rows)
    return list(reversed(_with_rollbacks(rows, rollbacks(project, task))))


def rollbacks(project: Project, task: Task) -> list[dict]:
    """Rollback commits of the task in HEAD's history, oldest first."""

    if project.git_dir is None:
        return []
    found = gitcmd.commits_with_trailer(project.root, TRAILER, f"{task.name}@")
    rows = []
    for c in reversed(found):
        version = c.trailers[TRAILER].split("@", 1)[1]
        previous = c.trailers.get(TRAILER_FROM)
        rows.append({"version": version, "tag": None, "commit": c.commit, "created": c.date[:10],
                     "date": c.date, "parent": None, "value": None, "metrics": {},
                     "changes": [], "summary": f"rollback {previous or '-'} → {version}",
                     "active": False, "trend": "", "kind": "rollback", "from": previous})
    return rows


def _with_rollbacks(releases: list[dict], rolls: list[dict]) -> list[dict]:
    """Oldest first: each rollback right after the last release made before it."""
    merged = list(releases)
    for roll in rolls:
        at = len(merged)
        while at > 0 and _when(merged[at - 1]["date"]) > _when(roll["date"]):
            at -= 1
        value = next((r["value"] for r in releases if r["version"] == roll["version"]), None)
        merged.insert(at, {**roll, "value": value})
    return merged


def _when(stamp: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.astimezone()


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


_TREND_COLORS = {"↑": "green", "↓": "red"}


def _trend_mark(mark: str, markdown: bool) -> str:
    """↑ green, ↓ red on a terminal (output.style decides: a tty, and no NO_COLOR)."""
    from gittask.output import style

    return mark if markdown or mark not in _TREND_COLORS else style(mark, _TREND_COLORS[mark])


def render_log(task: Task, rows: list[dict], markdown: bool = False, lang: str | None = None) -> str:
    from gittask.output import markdown_table, percent, table

    lang = i18n.resolve(lang)
    tr = lambda s: i18n.t(s, lang)  # noqa: E731
    headers = [tr("Version"), tr("Created"), metric_label(task.primary_metric), tr("Main changes")]
    body = []
    for row in rows:
        name = f"{row['version']} (*)" if row["active"] else row["version"]
        if row.get("kind") == "rollback":
            name = f"↩ {row['version']}"
        summary = tr(row["summary"]) if row["summary"] == "initial version" else row["summary"]
        value = percent(row["value"]) + (f" {_trend_mark(row['trend'], markdown)}" if row.get("trend") else "")
        body.append([name, row["created"], value, summary])
    head = [f"{tr('Task:')} {task.name}", f"{tr('Active version:')} {task.version or '-'}", tr("History:")]
    if markdown:
        return "\n".join(head[:2]) + "\n\n" + markdown_table(headers, body, ["left", "left", "right", "left"])
    if not rows:
        return "\n".join(head[:2]) + "\n(no released versions yet: gittask draft, record, release)"
    return "\n".join(head) + "\n" + table(headers, body, ["left", "left", "right", "left"])
