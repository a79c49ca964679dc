"""Integrity: does what is on disk and in git still match what a version recorded?

For each version checked:
- tag: `<task>@<v>` is an annotated tag whose message is gittask's release record for v,
  on the commit that released v. A tag "moved by hand" (`git tag -f`, lightweight or
  re-annotated) shows as a lightweight tag, a message that is not the record, or a
  commit that is not the release commit: the release commit is the one whose parent is
  lineage.yaml's `git.base_commit` and whose task.yaml says `version: v`.
- released files: `versions/<v>/` in the working tree equals the tag (they never change).
- data: each split file and data_source.yaml match data_snapshot.json (sha256, size),
  hashed through the snapshot's cache. A file that differs but equals another released
  version's snapshot is a note, not a mismatch: the data moved on and a release
  recorded it.
- artifacts: each model artifact recorded as present in model_info.json and present
  locally has the recorded size and sha256; absent ones are notes (artifacts are not in
  git: another clone, or pruned).
- task.yaml: the active version is a released version.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from gittask import gitcmd, snapshot, versioning, versions
from gittask.errors import GittaskError
from gittask.project import TASK_FILE, Project
from gittask.tasks import DATA_SOURCE_FILE, Task


@dataclass(frozen=True)
class Mismatch:
    path: str
    what: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}, expected {self.expected} got {self.got}"

    def as_dict(self) -> dict:
        return {"path": self.path, "what": self.what, "expected": self.expected, "got": self.got}


@dataclass
class Report:
    task: str
    version: str
    tag: str
    mismatches: list[Mismatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict = field(default_factory=lambda: {"data_files": 0, "artifacts": 0})

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def as_dict(self) -> dict:
        return {"task": self.task, "version": self.version, "tag": self.tag, "ok": self.ok,
                "mismatches": [m.as_dict() for m in self.mismatches], "notes": self.notes,
                "checked": self.checked}


def verify_task(project: Project, task: Task, version: str | None = None,
                every: bool = False) -> list[Report]:
    """Reports for one version (default: the active one) or every tagged version."""
    project.require_git()
    refs = _tag_refs(project, task)
    if every:
        names = versioning.sort_versions(list(refs), task.strategy)
    else:
        names = [version or _active(task)]
    ctx = _Context(project, task, refs)
    reports = [_verify_version(ctx, name) for name in names]
    snapshot.save_cache(project, ctx.cache)
    return reports


def _active(task: Task) -> str:
    if task.version is None:
        raise GittaskError(f"{task.name} has no active version to verify",
                           hint="name a version (gittask verify v1), or release one first")
    return task.version


def _tag_refs(project: Project, task: Task) -> dict[str, gitcmd.TagRef]:
    """Every tag of the task, lightweight ones included: a hand-made tag is a finding."""
    found = {}
    for ref in gitcmd.tags(project.root, [project.tag_pattern(task.name)]):
        parsed = project.parse_tag(ref.name)
        if parsed and parsed[0] == task.name and versioning.is_valid_version(parsed[1], task.strategy):
            found[parsed[1]] = ref
    return found


class _Context:
    """What several versions' checks share: the tags, the hash cache, and (read once,
    when first needed) every release's data snapshot."""

    def __init__(self, project: Project, task: Task, refs: dict[str, gitcmd.TagRef]):
        self.project, self.task, self.refs = project, task, refs
        self.cache = snapshot.load_cache(project)
        self._snapshots: dict[str, dict] | None = None

    def snapshots(self) -> dict[str, dict]:
        if self._snapshots is None:
            released = versions.releases(self.project, self.task)
            blobs = versions.read_many(self.project, self.task, [(r, "data_snapshot.json") for r in released])
            self._snapshots = {r.version: versions.load_json(b) or {} for r, b in zip(released, blobs)}
        return self._snapshots

    def recorded_elsewhere(self, version: str, key: str, sha: str) -> str | None:
        """Another released version whose snapshot records this content (`key`: a split
        path, or data_source.yaml)."""
        for other, snap in self.snapshots().items():
            if other == version:
                continue
            if key == DATA_SOURCE_FILE and snap.get("data_source_sha256") == sha:
                return other
            if any(s.get("path") == key and s.get("sha256") == sha
                   for s in (snap.get("splits") or {}).values()):
                return other
        return None


def _verify_version(ctx: _Context, version: str) -> Report:
    task, project = ctx.task, ctx.project
    tag = project.tag_name(task.name, version)
    report = Report(task.name, version, tag)
    ref = ctx.refs.get(version)
    if ref is None:
        _missing_tag(ctx, report)
        return report
    blobs = _release_blobs(project, task, version, ref.commit)
    _check_tag(task, version, ref, blobs, report)
    _check_released_files(project, task, version, ref.commit, report)
    _check_data(ctx, version, versions.load_json(blobs["data_snapshot.json"]), report)
    _check_artifacts(task, versions.load_json(blobs["model_info.json"]), report)
    return report


def _missing_tag(ctx: _Context, report: Report) -> None:
    task = ctx.task
    if report.version == task.version:
        report.mismatches.append(Mismatch(task.relpath(TASK_FILE), "version",
                                          f"a released version (tag {report.tag})",
                                          f"{report.version}, which has no tag"))
        return
    known = ", ".join(versioning.sort_versions(list(ctx.refs), task.strategy)) or "none"
    raise GittaskError(f"{task.name} has no released version '{report.version}'",
                       hint=f"tagged versions of {task.name}: {known}")


def _release_blobs(project: Project, task: Task, version: str, commit: str) -> dict:
    names = ("lineage.yaml", "data_snapshot.json", "model_info.json")
    specs = [f"{commit}:{versions.version_relpath(task, version, n)}" for n in names]
    specs += [f"{commit}:{task.relpath(TASK_FILE)}", commit]
    found = gitcmd.cat_files(project.root, specs)
    return {**dict(zip(names, found)), TASK_FILE: found[3], "commit": found[4]}


# --- the tag, lineage.yaml and task.yaml -----------------------------------------------

def _check_tag(task: Task, version: str, ref: gitcmd.TagRef, blobs: dict, report: Report) -> None:
    tag, problems = ref.name, report.mismatches
    if not ref.annotated:
        problems.append(Mismatch(tag, "kind", "an annotated tag made by gittask release",
                                 "a lightweight tag (made or moved by hand)"))
    else:
        meta = versions.parse_tag_message(ref.body)
        if meta.get("version") != version or meta.get("task") != task.name:
            got = f"{meta['task']}@{meta['version']}" if meta.get("version") else f"message '{ref.subject}'"
            problems.append(Mismatch(tag, "tag message", f"the release record of {task.name}@{version}", got))
    lineage_path = versions.version_relpath(task, version, "lineage.yaml")
    lin = versions.load_yaml(blobs["lineage.yaml"])
    if lin is None:
        problems.append(Mismatch(tag, f"{lineage_path} at the tagged commit {ref.commit[:12]}",
                                 "present", "missing"))
        return
    if str(lin.get("version")) != version:
        problems.append(Mismatch(lineage_path, "version (at the tag)", version, str(lin.get("version"))))
    base = (lin.get("git") or {}).get("base_commit")
    parent = _first_parent(blobs["commit"])
    if base != parent:
        problems.append(Mismatch(tag, "tagged commit's parent (lineage git.base_commit; the tag "
                                      "was moved off the release commit)",
                                 _short(base), _short(parent)))
    at_tag = versions.load_yaml(blobs[TASK_FILE]) or {}
    if str(at_tag.get("version")) != version:
        problems.append(Mismatch(task.relpath(TASK_FILE), f"version at {tag}", version,
                                 str(at_tag.get("version"))))


def _first_parent(commit_object: bytes | None) -> str | None:
    for line in (commit_object or b"").decode("utf-8", "replace").splitlines():
        if line.startswith("parent "):
            return line.split()[1]
        if not line:
            break
    return None


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "none"


def _check_released_files(project: Project, task: Task, version: str, commit: str,
                          report: Report) -> None:
    """Released files never change: the working tree's versions/<v>/ against the tag."""
    folder = versions.version_relpath(task, version)
    if not (project.root / folder).is_dir():
        report.notes.append(f"{folder}/ is not in the working tree (files read from the tag)")
        return
    raw = gitcmd.out(project.root, "diff", "--name-status", "-z", "--no-renames", commit, "--", folder)
    items = [i for i in raw.split("\0") if i]
    for code, path in zip(items[::2], items[1::2]):
        got = {"D": "deleted", "A": "added"}.get(code[0], "modified")
        report.mismatches.append(Mismatch(path, "released file changed", f"the content at {report.tag}", got))


# --- data --------------------------------------------------------------------------------

def _check_data(ctx: _Context, version: str, snap: dict | None, report: Report) -> None:
    task = ctx.task
    if snap is None:
        report.mismatches.append(Mismatch(versions.version_relpath(task, version, "data_snapshot.json"),
                                          "data snapshot at the tag", "present", "missing"))
        return
    _check_data_source(ctx, version, snap.get("data_source_sha256"), report)
    label_field = snap.get("label_field")
    for split, info in (snap.get("splits") or {}).items():
        rel = info.get("path") or ""
        path, shown = task.path(rel), task.relpath(rel)
        report.checked["data_files"] += 1
        if not path.is_file():
            report.mismatches.append(Mismatch(shown, f"{split} data file", "present", "missing"))
            continue
        stats = snapshot.file_stats(ctx.project, path, label_field, ctx.cache)
        if (stats["sha256"], stats["size"]) == (info.get("sha256"), info.get("size")):
            continue
        moved = ctx.recorded_elsewhere(version, rel, stats["sha256"])
        if moved:
            report.notes.append(f"{shown}: now the data of {moved} (recorded in its snapshot)")
            continue
        report.mismatches.append(Mismatch(shown, "sha256", _content(info.get("sha256"), info.get("size")),
                                          _content(stats["sha256"], stats["size"])))


def _check_data_source(ctx: _Context, version: str, expected: str | None, report: Report) -> None:
    path = ctx.task.path(DATA_SOURCE_FILE)
    shown = ctx.task.relpath(DATA_SOURCE_FILE)
    got = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    if got == expected:
        return
    if got and ctx.recorded_elsewhere(version, DATA_SOURCE_FILE, got):
        report.notes.append(f"{shown}: now the one of {ctx.recorded_elsewhere(version, DATA_SOURCE_FILE, got)}")
        return
    report.mismatches.append(Mismatch(shown, "sha256", _short(expected), _short(got) if got else "missing"))


def _content(sha: str | None, size: int | None) -> str:
    return f"{_short(sha)} ({size if size is not None else '?'} bytes)"


# --- artifacts ---------------------------------------------------------------------------

def _check_artifacts(task: Task, info: dict | None, report: Report) -> None:
    artifacts = (info or {}).get("artifacts") or {}
    for kind, entry in artifacts.items():
        if not isinstance(entry, dict) or not entry.get("path"):
            continue
        rel = entry["path"]
        shown = task.relpath(rel)
        local = task.path(rel)
        exists = local.exists()
        if not entry.get("present"):
            if exists:
                report.notes.append(f"{shown}: present, but not recorded at release (cannot verify)")
            continue
        if not exists:
            report.notes.append(f"{shown}: not present locally")
            continue
        report.checked["artifacts"] += 1
        stats = snapshot.artifact_stats(local)
        if (stats.get("sha256"), stats.get("size")) != (entry.get("sha256"), entry.get("size")):
            report.mismatches.append(Mismatch(shown, f"{kind.replace('_path', '')} sha256",
                                              _content(entry.get("sha256"), entry.get("size")),
                                              _content(stats.get("sha256"), stats.get("size"))))
