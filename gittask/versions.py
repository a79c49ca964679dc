"""Versions of a task as git knows them: released versions are annotated tags, drafts
are version folders not yet tagged. Reads every tag of a task with one git call and
many files with one `cat-file --batch`."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gittask import gitcmd, versioning
from gittask.errors import GittaskError
from gittask.project import Project
from gittask.tasks import Task

DRAFT_FILE = "draft.yaml"
VERSION_FILES = ("config.yaml", "results.json", "predictions.jsonl", "data_snapshot.json",
                 "model_info.json", "lineage.yaml")


@dataclass
class Release:
    """A released version, read from its annotated tag."""

    task: str
    version: str
    tag: str
    commit: str
    date: str                       # tagger date, ISO 8601
    meta: dict = field(default_factory=dict)  # the YAML block of the tag message

    @property
    def parent(self) -> str | None:
        return self.meta.get("parent")

    @property
    def changes(self) -> list[str]:
        return list(self.meta.get("changes") or [])

    def metric(self, name: str) -> float | None:
        value = (self.meta.get("metrics") or {}).get(name)
        return float(value) if isinstance(value, (int, float)) else None

    def as_dict(self) -> dict:
        return {"version": self.version, "tag": self.tag, "commit": self.commit,
                "date": self.date, "parent": self.parent,
                "metrics": self.meta.get("metrics") or {}, "changes": self.changes,
                "kind": self.meta.get("kind", "release")}


def parse_tag_message(body: str) -> dict:
    """The machine-readable block of a release tag message (YAML after the subject)."""
    try:
        data = yaml.load(body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if body else {}
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def releases(project: Project, task: Task) -> list[Release]:
    """Released versions of the task, oldest first by the strategy's ordering."""
    found = []
    for ref in gitcmd.tags(project.root, [project.tag_pattern(task.name)]):
        parsed = project.parse_tag(ref.name)
        if not parsed or parsed[0] != task.name or not ref.annotated:
            continue
        if not versioning.is_valid_version(parsed[1], task.strategy):
            continue
        found.append(Release(task.name, parsed[1], ref.name, ref.commit, ref.date,
                             parse_tag_message(ref.body)))
    order = {v: i for i, v in enumerate(versioning.sort_versions([r.version for r in found], task.strategy))}
    return sorted(found, key=lambda r: order[r.version])


def release_map(project: Project, task: Task) -> dict[str, Release]:
    return {r.version: r for r in releases(project, task)}


def drafts(task: Task, released: set[str]) -> list[str]:
    """Version folders in the working tree that are not released yet. A folder with a
    lineage.yaml was released even when its tag is missing here (tags not fetched)."""
    vdir = task.path("versions")
    if not vdir.is_dir():
        return []
    names = [p.name for p in vdir.iterdir() if p.is_dir() and p.name not in released
             and not (p / "lineage.yaml").exists()
             and versioning.is_valid_version(p.name, task.strategy)]
    return versioning.sort_versions(names, task.strategy)


def version_relpath(task: Task, version: str, name: str = "") -> str:
    return task.relpath("versions", version, name) if name else task.relpath("versions", version)


def read_files(project: Project, task: Task, version: str, names: tuple[str, ...] = VERSION_FILES,
               released: Release | None = None) -> dict[str, bytes | None]:
    """The version's files: from its tag when released (the working tree may be pruned
    or edited), else from the working tree."""
    if released is not None:
        specs = [f"refs/tags/{released.tag}:{version_relpath(task, version, n)}" for n in names]
        return dict(zip(names, gitcmd.cat_files(project.root, specs)))
    result = {}
    for name in names:
        path = task.path("versions", version, name)
        result[name] = path.read_bytes() if path.is_file() else None
    return result


def read_many(project: Project, task: Task, items: list[tuple[Release, str]]) -> list[bytes | None]:
    """Files of many released versions with one git call: items are (release, filename)."""
    specs = [f"refs/tags/{r.tag}:{version_relpath(task, r.version, name)}" for r, name in items]
    return gitcmd.cat_files(project.root, specs)


def load_json(blob: bytes | None) -> dict | None:
    if not blob:
        return None
    try:
        data = json.loads(blob)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def load_yaml(blob: bytes | None) -> dict | None:
    if not blob:
        return None
    try:
        data = yaml.load(blob, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def resolve(project: Project, task: Task, version: str) -> tuple[str, Release | None]:
    """A version argument → (name, its release or None for a draft); clear errors."""
    released = release_map(project, task)
    if version in released:
        return version, released[version]
    if task.path("versions", version).is_dir():
        return version, None
    known = list(released) + [d for d in drafts(task, set(released)) if d not in released]
    hint = ("versions of " + task.name + ": " + ", ".join(known)) if known else \
        f"{task.name} has no versions yet: start one with 'gittask draft'"
    if project.git_dir and not released and gitcmd.tags(project.root, ["refs/tags"]) == [] \
            and _is_shallow(project):
        hint += "; this clone has no tags: run 'git fetch --tags'"
    raise GittaskError(f"{task.name} has no version '{version}'", hint=hint)


def _is_shallow(project: Project) -> bool:
    return bool(project.git_dir and (Path(project.git_dir) / "shallow").exists())
