"""Rollback and promote: moving a task's active version, without rewriting history.

Rollback restores the task's live files (everything under the task directory except
`versions/`) from the tag `<task>@<v>` and points task.yaml at v, in one new commit.
Like a release it is all or nothing: the commit is built in a temporary index, HEAD is
moved with compare-and-swap, and only then are the working tree and index updated for
exactly the paths that changed. Ignored files (models/) and other tasks are never
touched. The commit carries the trailer `Gittask-Rollback: <task>@<v>`, which is how
`gittask log` finds rollbacks (one `git log --grep`).

Status: a rollback keeps the task's current status (it changes which version is active,
not where the work stands); `--deploy` moves it to `deployed`, as deploy does.

Promote turns a released experiment (v3-exp) into the next regular version
(versioning.promote_name: v3, or the next free name): a release commit whose
`versions/<v>/` holds the experiment's files, lineage.yaml renamed to v with
`promoted_from: v3-exp` and the experiment's parent kept, tagged `<task>@<v>`. The
experiment's tag and folder stay. Model artifacts are not copied: the promoted
version's model_info.json keeps pointing at the experiment's files (the Hub and Ollama
tags will carry the new name).
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field

from gittask import clock, gitcmd, lifecycle, versioning, versions, yamledit, yamlio
from gittask.errors import GittaskError
from gittask.history import TRAILER, TRAILER_FROM  # log reads the trailers back
from gittask.project import TASK_FILE, Project
from gittask.release import fault
from gittask.tasks import Task



# --- rollback: the plan ----------------------------------------------------------------

@dataclass
class FileChange:
    path: str       # relative to the project root
    action: str     # "restore" (differs now), "add" (absent now), "delete" (added since)


@dataclass
class RollbackPlan:
    task: str
    version: str
    tag: str
    previous: str | None                   # the active version before the rollback
    status: tuple[str, str] | None         # (old, new) when the status moves
    head: str                              # HEAD the plan was made against
    changes: list[FileChange]
    deploy: bool = False
    entries: list[gitcmd.TreeEntry] = field(default_factory=list, repr=False)
    task_yaml: tuple[str, bytes] | None = field(default=None, repr=False)  # (mode, text)
    commit: str | None = None
    deployments: list = field(default_factory=list)

    @property
    def noop(self) -> bool:
        return not self.changes

    def as_dict(self) -> dict:
        return {"task": self.task, "version": self.version, "tag": self.tag,
                "previous": self.previous,
                "status": list(self.status) if self.status else None,
                "changes": [{"path": c.path, "action": c.action} for c in self.changes],
                "deploy": self.deploy, "commit": self.commit,
                "deployments": [d.as_dict() if hasattr(d, "as_dict") else d for d in self.deployments]}


def plan_rollback(project: Project, task: Task, version: str, deploy: bool = False) -> RollbackPlan:
    """What a rollback to `version` changes, computed without changing anything."""
    project.require_git()
    release = _release(project, task, version)
    if deploy:
        repoint_function()  # fail before anything changes when deploy is missing
    refuse_dirty(project, task, "roll back")
    head = gitcmd.head(project.root)
    at_tag = _live_files(project, task, release.commit)
    at_head = _live_files(project, task, head)
    task_rel = task.relpath(TASK_FILE)
    if task_rel not in at_tag:
        raise GittaskError(f"{release.tag} has no {task_rel}",
                           hint="the tag does not point at a gittask release; check it with 'gittask verify'")
    status = _rollback_status(task, deploy)
    text = _task_yaml_at(project, release, task_rel, version, status[1] if status else task.status)
    entries = [e for path, e in at_tag.items() if path != task_rel and at_head.get(path) != e]
    removed = sorted(p for p in at_head if p not in at_tag)
    _refuse_overwriting_untracked(project, [e.path for e in entries if e.path not in at_head])
    changes = [FileChange(e.path, "restore" if e.path in at_head else "add") for e in entries]
    changes += [FileChange(p, "delete") for p in removed]
    if _differs_beyond_updated(text, gitcmd.show_file(project.root, "HEAD", task_rel)):
        changes.append(FileChange(task_rel, "restore"))
    plan = RollbackPlan(task.name, version, release.tag, task.version, status, head,
                        sorted(changes, key=lambda c: c.path), deploy, entries,
                        (at_tag[task_rel].mode, text))
    return plan


def _release(project: Project, task: Task, version: str) -> versions.Release:
    released = versions.release_map(project, task)
    if version in released:
        return released[version]
    if task.path("versions", version).is_dir():
        raise GittaskError(f"{task.name} {version} is a draft, not a released version",
                           hint="only released versions can be rolled back to; "
                                f"release it first with 'gittask release {version}'")
    known = ", ".join(released) or "none yet"
    raise GittaskError(f"{task.name} has no released version '{version}'",
                       hint=f"released versions of {task.name}: {known}")


def _live_files(project: Project, task: Task, rev: str | None) -> dict[str, gitcmd.TreeEntry]:
    """The task's tracked files at `rev`, without versions/ (released versions are
    immutable and stay as they are). In a single-task repository the root's dot-files
    (.gitignore, .gittask.yaml, .github/ …) belong to the repository, not the task."""
    if rev is None:
        return {}
    versions_prefix = task.relpath("versions") + "/"
    prefix = "" if task.rel == "." else task.rel + "/"
    found = {}
    for entry in gitcmd.ls_tree_entries(project.root, rev, task.rel):
        path = entry.path
        if not path.startswith(prefix) or path.startswith(versions_prefix):
            continue
        if task.rel == "." and path.startswith("."):
            continue
        found[path] = entry
    return found


def _rollback_status(task: Task, deploy: bool) -> tuple[str, str] | None:
    if not deploy:
        return None
    target = lifecycle.move_for_command(task.status, "deployed")
    return (task.status, target) if target else None


def _task_yaml_at(project: Project, release: versions.Release, task_rel: str, version: str,
                  status: str) -> bytes:
    """task.yaml as it was at the tag (it is a live file too), pointing at the version,
    with the task's current status and a fresh `updated`; every other byte as written."""
    text = gitcmd.show_file(project.root, release.commit, task_rel).decode("utf-8")
    text = yamledit.set_scalar(text, "version", version, after="task_name")
    text = yamledit.set_scalar(text, "status", status, after="version")
    return yamledit.set_scalar(text, "updated", clock.stamp()).encode("utf-8")


def _differs_beyond_updated(new: bytes, old: bytes | None) -> bool:
    """A fresh `updated` stamp alone is not a change worth a commit."""
    if old is None:
        return True
    stamp = clock.stamp()
    restamped = yamledit.set_scalar(old.decode("utf-8"), "updated", stamp)
    return new != restamped.encode("utf-8")


def refuse_dirty(project: Project, task: Task, doing: str) -> None:
    """Refuse when the task has uncommitted changes (untracked files included, ignored
    files not): gittask's commit must hold only its own change, and a rollback must not
    overwrite work."""
    dirty = [path for _, path in gitcmd.status_paths(project.root, [task.rel])]
    if not dirty:
        return
    shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
    spec = task.rel
    raise GittaskError(f"{task.name} has uncommitted changes: {shown}",
                       hint=f"see them with 'git status -- {spec}'; commit them, or set them aside "
                            f"with 'git stash push --include-untracked -- {spec}', then {doing} again")


def _refuse_overwriting_untracked(project: Project, added: list[str]) -> None:
    """A file coming back from the tag must not clobber a local file git ignores."""
    clash = [p for p in added if os.path.lexists(project.root / p)]
    if clash:
        raise GittaskError(f"the rollback would overwrite {', '.join(clash[:3])}, which git "
                           "does not track (ignored)",
                           hint="move the file(s) away, then roll back again")


# --- rollback: executing the plan ------------------------------------------------------

def rollback_message(plan: RollbackPlan) -> str:
    came = f" ({plan.previous} was active)" if plan.previous else ""
    lines = [f"rollback {plan.task} to {plan.version}", "",
             f"Restores the live files of {plan.task} from {plan.tag}{came}.", "",
             f"{TRAILER}: {plan.task}@{plan.version}"]
    if plan.previous:
        lines.append(f"{TRAILER_FROM}: {plan.previous}")
    return "\n".join(lines) + "\n"


def execute_rollback(project: Project, task: Task, plan: RollbackPlan) -> RollbackPlan:
    """One commit with the plan's changes; then, with --deploy, re-point deployments."""
    if not plan.noop:
        mode, text = plan.task_yaml
        blob = gitcmd.write_blob(project.root, text)
        entries = plan.entries + [gitcmd.TreeEntry(mode, blob, task.relpath(TASK_FILE))]
        removed = [c.path for c in plan.changes if c.action == "delete"]
        commit = gitcmd.commit_entries(project.root, plan.head, entries, removed,
                                       rollback_message(plan))
        fault("rollback-before-head")
        gitcmd.move_head(project.root, commit, plan.head, f"gittask rollback {plan.tag}")
        # Removed files go first, so a path that turns from a file into a folder (or
        # back) is free when the restored files are checked out.
        gitcmd.checkout_paths(project.root, "HEAD", [], removed)
        _delete_files(project, removed)
        gitcmd.checkout_paths(project.root, "HEAD", [e.path for e in entries], [])
        plan.commit = commit
        task.data.update(version=plan.version, status=plan.status[1] if plan.status else task.status)
    if plan.deploy:
        try:
            plan.deployments = list(repoint_function()(project, task, plan.version))
        except GittaskError as exc:
            done = "the rollback is committed; " if plan.commit else ""
            raise GittaskError(f"re-pointing the deployments failed: {exc.message}",
                               hint=f"{done}fix the cause, then run 'gittask rollback "
                                    f"{plan.version} --deploy' again") from None
    return plan


def _delete_files(project: Project, paths: list[str]) -> None:
    """Delete files a rollback removed, and the directories they leave empty."""
    for rel in paths:
        path = project.root / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
        parent = path.parent
        while parent != project.root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def repoint_function():
    """gittask.deploy.repoint(project, task, version) -> list[Deployment], imported
    only when --deploy is used (deploy pulls in the Hub client)."""
    try:
        module = importlib.import_module("gittask.deploy")
    except ModuleNotFoundError as exc:
        if exc.name != "gittask.deploy":
            raise
        module = None
    repoint = getattr(module, "repoint", None)
    if repoint is None:
        raise GittaskError("rollback --deploy is not available: this gittask has no deploy "
                           "backend to re-point the Hub and Ollama",
                           hint="roll back without --deploy, then deploy the version once "
                                "'gittask deploy' is available")
    return repoint


# --- promote ---------------------------------------------------------------------------

@dataclass
class PromotePlan:
    task: str
    experiment: str
    version: str
    tag: str
    parent: str | None
    head: str | None
    files: dict[str, bytes] = field(default_factory=dict, repr=False)  # relpath → content
    lineage: dict = field(default_factory=dict, repr=False)
    commit: str | None = None

    def as_dict(self) -> dict:
        return {"task": self.task, "experiment": self.experiment, "version": self.version,
                "tag": self.tag, "parent": self.parent, "files": sorted(self.files),
                "commit": self.commit}


def plan_promote(project: Project, task: Task, experiment: str) -> PromotePlan:
    project.require_git()
    released = versions.release_map(project, task)
    existing = sorted(set(released) | set(versions.drafts(task, set(released))))
    version = versioning.promote_name(experiment, existing, task.strategy,
                                      today=clock.now().date())
    exp = _release(project, task, experiment)
    _refuse_promoted_twice(task, experiment, released)
    if task.path("versions", version).exists():
        raise GittaskError(f"{task.relpath('versions', version)} already exists",
                           hint="release or remove that draft first")
    _refuse_task_yaml_edits(project, task)
    blobs = versions.read_files(project, task, experiment, versions.VERSION_FILES, exp)
    lin = versions.load_yaml(blobs["lineage.yaml"])
    info = versions.load_json(blobs["model_info.json"])
    if lin is None or info is None:
        raise GittaskError(f"{exp.tag} has no readable lineage.yaml / model_info.json",
                           hint="check the tag with 'gittask verify " + experiment + "'")
    head = gitcmd.head(project.root)
    lin = _promoted_lineage(task, lin, experiment, version, exp.commit, head)
    files = {versions.version_relpath(task, version, name): data
             for name, data in blobs.items() if data is not None}
    files[versions.version_relpath(task, version, "lineage.yaml")] = yamlio.dump_yaml(lin).encode()
    files[versions.version_relpath(task, version, "model_info.json")] = \
        yamlio.dump_json(_promoted_model_info(task, info, experiment, version)).encode()
    return PromotePlan(task.name, experiment, version, project.tag_name(task.name, version),
                       lin.get("parent"), head, files, lin)


def _refuse_promoted_twice(task: Task, experiment: str, released: dict) -> None:
    for rel in released.values():
        if rel.meta.get("promoted_from") == experiment:
            raise GittaskError(f"{task.name} {experiment} was already promoted to {rel.version}",
                               hint="an experiment becomes a regular version once")


def _refuse_task_yaml_edits(project: Project, task: Task) -> None:
    if gitcmd.status_paths(project.root, [task.relpath(TASK_FILE)]):
        raise GittaskError(f"{task.relpath(TASK_FILE)} has uncommitted changes",
                           hint="commit or stash them first, so that the promote commit "
                                "holds only its own change")


def _promoted_lineage(task: Task, lin: dict, experiment: str, version: str,
                      exp_commit: str, head: str | None) -> dict:
    """The experiment's lineage under the new name: parent, data, config, results,
    changes and notes kept; `promoted_from` added; git.base_commit is the promote
    commit's parent, as for any release (verify relies on it)."""
    out = {}
    for key, value in lin.items():
        out[key] = value
        if key == "parent":
            out["promoted_from"] = experiment
    out.setdefault("promoted_from", experiment)
    out["version"] = version
    out["created"] = yamlio.Stamp(clock.stamp())
    model = dict(out.get("model") or {})
    model["hf_repo"] = _hub_repo(task, version)
    out["model"] = model
    git = dict(out.get("git") or {})
    out["git"] = {"base_commit": head, "experiment_commit": exp_commit,
                  "commits_since_parent": git.get("commits_since_parent") or []}
    return out


def _promoted_model_info(task: Task, info: dict, experiment: str, version: str) -> dict:
    """Same artifacts (the experiment's files, not copied), named for the new version
    where a name is published: the Hub revision and repo."""
    out = dict(info)
    out.update(version=version, hub_revision=version, hf_repo=_hub_repo(task, version),
               promoted_from=experiment)
    return out


def _hub_repo(task: Task, version: str) -> str | None:
    hf_repo = (task.data.get("deploy") or {}).get("hf_repo")
    return versioning.artifact_paths(task.name, version, task.strategy, hf_repo)["hf_repo"]


def execute_promote(project: Project, task: Task, plan: PromotePlan) -> PromotePlan:
    """The release machinery, reused: commit in a temporary index, tag, compare-and-swap
    HEAD, then sync the working tree; a failure before HEAD moves leaves nothing."""
    from gittask.release import (ReleasePlan, commit_contents, released_task_yaml, sync_worktree,
                                 tag_and_advance, tag_message)

    contents = {**plan.files, task.relpath(TASK_FILE): released_task_yaml(task, plan.version)}
    message = (f"{task.name}: promote {plan.experiment} to {plan.version}\n\n"
               + "\n".join(f"- {c}" for c in plan.lineage.get("changes") or []))
    commit = commit_contents(project, plan.head, contents, [], message.rstrip() + "\n")
    release = ReleasePlan(task.name, plan.version, plan.tag, plan.parent, plan.lineage)
    tag_and_advance(project, plan.tag, commit, plan.head, tag_message(release, task), "promote")
    sync_worktree(project, contents, [])
    task.data["version"] = plan.version
    plan.commit = commit
    return plan
