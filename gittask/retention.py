"""The retention policy (task.yaml versioning.retention): a plan first, then applying it.

Rules, the first that matches decides (the seed's 清理規則, plus "active"):

    deployed   keep    ever deployed anywhere (deployment records)         always
    best       keep    the best primary metric among released versions    always (ties: all)
    active     keep    the version task.yaml points at
    promoted   keep    an experiment that was promoted to a regular version
    recent     keep    one of the `keep_recent` newest regular versions
    young      keep    an experiment younger than `cleanup_exp_after`
    expired    remove  an experiment at least `cleanup_exp_after` old (tag date → now)
    old        remove  a regular version older than the `keep_recent` newest

What "remove" means:
- a regular version: its local model artifacts (the model_info.json paths, under the
  task's models/) are deleted. Its tag, version folder and lineage stay: history is
  never lost, and the version can be rebuilt or pulled from the Hub.
- an expired experiment: its artifacts are deleted, its version folder is dropped in one
  commit per task, and its tag is deleted (with --remote also on the remote). Its
  release commit stays in the branch history.

Deployed versions and the best version are never removed, whatever the flags and even
when task.yaml says keep_deployed/keep_best: false (a warning says so). An artifact path
that a kept version also uses (a promoted version shares its experiment's files) is
never deleted.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from gittask import clock, deployments, gitcmd, versioning, versions
from gittask.errors import GittaskError
from gittask.project import Project
from gittask.tasks import Task

DEFAULTS = {"keep_recent": 3, "keep_deployed": True, "keep_best": True, "cleanup_exp_after": "7d"}
ARTIFACT_KINDS = ("adapter_path", "merged_path", "gguf_path")


@dataclass
class Decision:
    version: str
    kind: str                   # "regular" or "experiment"
    action: str                 # "keep" or "remove"
    rule: str                   # see the module docstring
    reason: str
    tag: str
    date: str
    artifacts: list[str] = field(default_factory=list)   # task-relative paths to delete
    bytes: int = 0
    drop_tag: bool = False
    drop_folder: bool = False

    def as_dict(self) -> dict:
        return {"version": self.version, "kind": self.kind, "action": self.action,
                "rule": self.rule, "reason": self.reason, "tag": self.tag, "date": self.date,
                "artifacts": self.artifacts, "bytes": self.bytes,
                "drop_tag": self.drop_tag, "drop_folder": self.drop_folder}


@dataclass
class TaskPlan:
    task: str
    retention: dict
    decisions: list[Decision]
    warnings: list[str] = field(default_factory=list)

    @property
    def removals(self) -> list[Decision]:
        return [d for d in self.decisions if d.action == "remove"]

    @property
    def bytes_freed(self) -> int:
        return sum(d.bytes for d in self.removals)

    def as_dict(self) -> dict:
        return {"task": self.task, "retention": self.retention, "warnings": self.warnings,
                "versions": [d.as_dict() for d in self.decisions],
                "bytes_freed": self.bytes_freed}


# --- the plan --------------------------------------------------------------------------

def retention_settings(task: Task) -> tuple[dict, list[str]]:
    """The task's retention with the seed's defaults filled in, and warnings."""
    given = (task.data.get("versioning") or {}).get("retention") or {}
    settings = {**DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
    versioning.parse_duration(settings["cleanup_exp_after"])  # a clear error when invalid
    warnings = [f"{key}: false is ignored: {what} versions are always kept"
                for key, what in (("keep_deployed", "deployed"), ("keep_best", "best"))
                if settings[key] is False]
    return settings, warnings


@dataclass
class _Facts:
    deployed: set[str]
    best: set[str]
    best_value: float | None
    active: str | None
    promoted: dict[str, str]        # experiment → the regular version it became
    recent: set[str]
    keep_recent: int
    ttl: dt.timedelta
    ttl_text: str
    now: dt.datetime


def plan_prune(project: Project, task: Task) -> TaskPlan:
    """Keep or remove for every released version, and what removing frees."""
    project.require_git()
    settings, warnings = retention_settings(task)
    released = versions.releases(project, task)
    facts = _facts(project, task, released, settings)
    decisions = [_decide(task, rel, facts) for rel in released]
    _attach_artifacts(project, task, released, decisions)
    folders = _version_folders(project, task)
    for decision in decisions:
        if decision.action == "remove" and decision.kind == "experiment":
            decision.drop_tag = True
            decision.drop_folder = decision.version in folders
    return TaskPlan(task.name, settings, list(reversed(decisions)), warnings)


def _facts(project: Project, task: Task, released: list[versions.Release], settings: dict) -> _Facts:
    metric = task.primary_metric
    values = {r.version: r.metric(metric) for r in released if r.metric(metric) is not None}
    best_value = max(values.values(), default=None)
    regular = [r.version for r in released if not _is_experiment(task, r.version)]
    keep_recent = int(settings["keep_recent"])
    return _Facts(
        deployed=deployments.deployed_versions(project, task.name),
        best={v for v, x in values.items() if x == best_value},
        best_value=best_value,
        active=task.version,
        promoted={str(r.meta["promoted_from"]): r.version for r in released if r.meta.get("promoted_from")},
        recent=set(regular[-keep_recent:]) if keep_recent else set(),
        keep_recent=keep_recent,
        ttl=versioning.parse_duration(settings["cleanup_exp_after"]),
        ttl_text=settings["cleanup_exp_after"],
        now=_aware(clock.now()))


def _is_experiment(task: Task, version: str) -> bool:
    return versioning.parse_version(version, task.strategy).is_experiment


def _decide(task: Task, rel: versions.Release, f: _Facts) -> Decision:
    experiment = _is_experiment(task, rel.version)
    kind = "experiment" if experiment else "regular"
    keep = lambda rule, why: Decision(rel.version, kind, "keep", rule, why, rel.tag, rel.date)  # noqa: E731
    remove = lambda rule, why: Decision(rel.version, kind, "remove", rule, why, rel.tag, rel.date)  # noqa: E731
    if rel.version in f.deployed:
        return keep("deployed", "deployed")
    if rel.version in f.best:
        return keep("best", f"best {task.primary_metric} {f.best_value * 100:.1f}%")
    if rel.version == f.active:
        return keep("active", "active version (task.yaml)")
    if experiment:
        if rel.version in f.promoted:
            return keep("promoted", f"promoted to {f.promoted[rel.version]}")
        age = f.now - _aware(dt.datetime.fromisoformat(rel.date))
        if age >= f.ttl:
            return remove("expired", f"experiment {duration_text(age)} old ≥ {f.ttl_text} "
                                     "(tag, folder, artifacts removed)")
        return keep("young", f"experiment {duration_text(age)} old < {f.ttl_text}")
    if rel.version in f.recent:
        return keep("recent", f"one of the {f.keep_recent} most recent")
    return remove("old", f"older than the {f.keep_recent} most recent (artifacts freed, tag kept)")


def _aware(moment: dt.datetime) -> dt.datetime:
    """Tag dates carry an offset; GITTASK_NOW may not: a naive time is local time."""
    return moment if moment.tzinfo else moment.astimezone()


def duration_text(delta: dt.timedelta) -> str:
    """9 days 4 hours → '9d4h'; the units of cleanup_exp_after."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (mins, "m")) if n]
    return "".join(parts[:2]) or "0m"


def _attach_artifacts(project: Project, task: Task, released: list[versions.Release],
                      decisions: list[Decision]) -> None:
    """Local artifacts of removed versions and their sizes; a path a kept version also
    names is never listed."""
    infos = versions.read_many(project, task, [(r, "model_info.json") for r in released])
    paths = {r.version: _artifact_paths(task, r.version, versions.load_json(blob))
             for r, blob in zip(released, infos)}
    kept = {p for d in decisions if d.action == "keep" for p in paths[d.version]}
    for decision in decisions:
        if decision.action != "remove":
            continue
        own = [p for p in paths[decision.version] if p not in kept and _deletable(task, p)]
        decision.artifacts = [p for p in own if os.path.lexists(task.path(p))]
        decision.bytes = sum(_size(task.path(p)) for p in decision.artifacts)


def _artifact_paths(task: Task, version: str, info: dict | None) -> list[str]:
    if info and isinstance(info.get("artifacts"), dict):
        found = [(info["artifacts"].get(kind) or {}).get("path") for kind in ARTIFACT_KINDS]
        return [os.path.normpath(p) for p in found if isinstance(p, str) and p]
    named = versioning.artifact_paths(task.name, version, task.strategy)
    return [named[kind] for kind in ARTIFACT_KINDS]


def _deletable(task: Task, rel: str) -> bool:
    """Only ever delete below the task's models/ folder, whatever model_info.json says."""
    models = task.path("models").resolve()
    target = task.path(rel).resolve()
    return target != models and models in target.parents


def _size(path: Path) -> int:
    if path.is_file() and not path.is_symlink():
        return path.stat().st_size
    if path.is_dir() and not path.is_symlink():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return 0


def _version_folders(project: Project, task: Task) -> set[str]:
    """Version folders tracked at HEAD (one ls-tree)."""
    head = gitcmd.head(project.root)
    if head is None:
        return set()
    prefix = task.relpath("versions") + "/"
    names = gitcmd.ls_tree(project.root, head, task.relpath("versions"))
    return {p[len(prefix):].split("/", 1)[0] for p in names if p.startswith(prefix)}


# --- applying the plan -----------------------------------------------------------------

@dataclass
class PruneResult:
    commits: dict[str, str] = field(default_factory=dict)   # task → folder-removal commit
    tags_deleted: list[str] = field(default_factory=list)
    remote_tags_deleted: list[str] = field(default_factory=list)
    artifacts_deleted: list[str] = field(default_factory=list)  # root-relative
    bytes_freed: int = 0

    def as_dict(self) -> dict:
        return {"commits": self.commits, "tags_deleted": self.tags_deleted,
                "remote_tags_deleted": self.remote_tags_deleted,
                "artifacts_deleted": self.artifacts_deleted, "bytes_freed": self.bytes_freed}


def apply_prune(project: Project, tasks: list[Task], plans: list[TaskPlan],
                remote: str | None = None) -> PruneResult:
    """Execute exactly the plans. Git first (folder commits, remote tags, local tags),
    files last: if a git step fails nothing irreversible has happened, and running
    prune again finishes the job."""
    _check_never_removed(project, plans)
    by_name = {t.name: t for t in tasks}
    tags = [d.tag for p in plans for d in p.removals if d.drop_tag]
    on_remote = _remote_preflight(project, remote, tags)
    for plan in plans:
        _refuse_dirty_folders(project, by_name[plan.task], plan)
    result = PruneResult()
    for plan in plans:
        commit = _drop_folders(project, by_name[plan.task], plan)
        if commit:
            result.commits[plan.task] = commit
    if on_remote:
        gitcmd.push_delete_tags(project.root, remote, on_remote)
        result.remote_tags_deleted = on_remote
    for tag in tags:
        gitcmd.delete_tag(project.root, tag)
    result.tags_deleted = tags
    for plan in plans:
        task = by_name[plan.task]
        for decision in plan.removals:
            for rel in decision.artifacts:
                _delete(task.path(rel))
                result.artifacts_deleted.append(task.relpath(rel))
        result.bytes_freed += plan.bytes_freed
    return result


def _check_never_removed(project: Project, plans: list[TaskPlan]) -> None:
    """The invariant, checked again against fresh deployment records right before
    anything is deleted."""
    for plan in plans:
        deployed = deployments.deployed_versions(project, plan.task)
        for decision in plan.removals:
            if decision.version in deployed or decision.rule in ("deployed", "best"):
                raise GittaskError(f"{plan.task} {decision.version} is deployed or best and "
                                   "must not be removed", hint="run 'gittask prune' again for a fresh plan")


def _remote_preflight(project: Project, remote: str | None, tags: list[str]) -> list[str]:
    """The remote must exist before anything changes; returns the tags it has."""
    if remote is None:
        return []
    if remote not in gitcmd.remotes(project.root):
        raise GittaskError(f"no remote '{remote}' to delete tags on",
                           hint="add it with 'git remote add origin URL', or leave out --remote")
    found = gitcmd.remote_tags(project.root, remote, tags)
    return [t for t in tags if t in found]


def _refuse_dirty_folders(project: Project, task: Task, plan: TaskPlan) -> None:
    folders = [task.relpath("versions", d.version) for d in plan.removals if d.drop_folder]
    dirty = [p for _, p in gitcmd.status_paths(project.root, folders)] if folders else []
    if dirty:
        raise GittaskError(f"{', '.join(dirty[:3])} has uncommitted changes",
                           hint="released version folders never change: restore them with "
                                "'git checkout -- PATH', then prune again")


def _drop_folders(project: Project, task: Task, plan: TaskPlan) -> str | None:
    """One commit per task removing the expired experiments' folders (all or nothing,
    like a release: temporary index, compare-and-swap HEAD, then the working tree)."""
    dropped = [d.version for d in plan.removals if d.drop_folder]
    if not dropped:
        return None
    head = gitcmd.head(project.root)
    files = [p for v in dropped for p in gitcmd.ls_tree(project.root, head, task.relpath("versions", v))]
    message = (f"{task.name}: prune expired experiments {', '.join(dropped)}\n\n"
               "Their tags are deleted too; the release commits stay in history.\n")
    commit = gitcmd.commit_entries(project.root, head, [], files, message)
    gitcmd.move_head(project.root, commit, head, f"gittask prune {task.name}")
    gitcmd.checkout_paths(project.root, "HEAD", [], files)
    for version in dropped:
        folder = task.path("versions", version)
        if folder.is_dir():
            shutil.rmtree(folder)  # checked clean above: only the released files were there
    return commit


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
