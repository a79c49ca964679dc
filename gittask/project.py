"""A gittask project: its root, its settings, its tasks, and the current task."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from gittask import gitcmd
from gittask.errors import GittaskError

SETTINGS_FILE = ".gittask.yaml"
TASK_FILE = "task.yaml"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DEFAULT_TAG_FORMAT = "{task}@{version}"
SINGLE_TASK_TAG_FORMAT = "{version}"


@dataclass
class Settings:
    tag_format: str = DEFAULT_TAG_FORMAT
    default_org: str | None = None
    max_file_mb: float = 10.0
    extra: dict = field(default_factory=dict)


@dataclass
class Project:
    root: Path
    git_dir: Path | None
    settings: Settings

    # --- tasks -------------------------------------------------------------------
    @property
    def single_task(self) -> bool:
        return (self.root / TASK_FILE).is_file()

    def task_names(self) -> list[str]:
        """Directories directly under the root that hold task.yaml (sorted)."""
        if self.single_task:
            return [self.root.name]
        names = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if (entry.is_dir() and not entry.name.startswith(".")
                        and os.path.isfile(os.path.join(entry.path, TASK_FILE))):
                    names.append(entry.name)
        return sorted(names)

    def task_dir(self, name: str) -> Path:
        return self.root if self.single_task else self.root / name

    def task_rel(self, name: str) -> str:
        """The task directory relative to the root, as git pathspecs want it."""
        return "." if self.single_task else name

    def require_task(self, name: str) -> str:
        if name not in self.task_names():
            raise GittaskError(f"no task named '{name}' in {self.root}",
                               hint=_tasks_hint(self.task_names()))
        return name

    # --- tags ----------------------------------------------------------------------
    def tag_name(self, task: str, version: str) -> str:
        return self.settings.tag_format.format(task=task, version=version)

    def tag_pattern(self, task: str) -> str:
        """A for-each-ref glob matching exactly the tags of `task`."""
        return "refs/tags/" + self.settings.tag_format.format(task=task, version="*")

    def parse_tag(self, tag: str) -> tuple[str, str] | None:
        """(task, version) of a tag name written with this project's format."""
        pattern = re.escape(self.settings.tag_format)
        pattern = pattern.replace(re.escape("{task}"), r"(?P<task>[a-z0-9][a-z0-9-]*)")
        pattern = pattern.replace(re.escape("{version}"), r"(?P<version>[^@/]+)")
        match = re.fullmatch(pattern, tag)
        if not match:
            return None
        groups = match.groupdict()
        return groups.get("task") or self.root.name, groups["version"]

    # --- per-clone state (never committed) -----------------------------------------
    def state_path(self) -> Path:
        base = self.git_dir if self.git_dir else self.root / ".gittask"
        return base / "gittask" / "state.json"

    def read_state(self) -> dict:
        try:
            return json.loads(self.state_path().read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def write_state(self, state: dict) -> None:
        from gittask.yamlio import dump_json, write_atomic

        write_atomic(self.state_path(), dump_json(state))

    def require_git(self) -> None:
        if self.git_dir is None:
            raise GittaskError(f"{self.root} is not a git repository",
                               hint=f"run 'gittask init {self.root}' first")


def _tasks_hint(names: list[str]) -> str:
    if not names:
        return "this project has no tasks yet: create one with 'gittask new NAME'"
    return "tasks here: " + ", ".join(names)


def load_settings(root: Path) -> Settings:
    path = root / SETTINGS_FILE
    if not path.is_file():
        single = (root / TASK_FILE).is_file()
        return Settings(tag_format=SINGLE_TASK_TAG_FORMAT if single else DEFAULT_TAG_FORMAT)
    from gittask import yamlio
    from gittask.errors import Problem, ValidationError

    doc = yamlio.load(path, SETTINGS_FILE)
    data = doc.data or {}
    if not isinstance(data, dict):
        raise ValidationError([Problem(SETTINGS_FILE, "expected a mapping", 1, 1)])
    known = {"tag_format", "default_org", "max_file_mb"}
    problems = []
    for key in data:
        if key not in known:
            line, col = doc.position((key,), of_key=True)
            problems.append(Problem(SETTINGS_FILE, f"unknown key '{key}'; allowed: "
                                    + ", ".join(sorted(known)), line, col))
    fmt = data.get("tag_format", DEFAULT_TAG_FORMAT)
    if not isinstance(fmt, str) or "{version}" not in fmt:
        line, col = doc.position(("tag_format",))
        problems.append(Problem(SETTINGS_FILE, "tag_format must contain {version} "
                                "(e.g. '{task}@{version}')", line, col))
    if problems:
        raise ValidationError(problems)
    return Settings(tag_format=fmt, default_org=data.get("default_org"),
                    max_file_mb=float(data.get("max_file_mb", 10.0)))


def open_project(start: Path | None = None) -> Project:
    """The project containing `start` (default: the current directory): the git work
    tree root, or the directory itself outside git."""
    start = (start or Path.cwd()).resolve()
    if not start.exists():
        raise GittaskError(f"{start} does not exist", hint="check the -C path")
    found = gitcmd.find_git_dir(start)
    if found is None:
        root = start if not (start / TASK_FILE).is_file() or start.parent == start else start
        return Project(root=root, git_dir=None, settings=load_settings(root))
    root, git_dir = found
    return Project(root=root, git_dir=git_dir, settings=load_settings(root))


def task_of_cwd(project: Project, cwd: Path) -> str | None:
    """The task whose directory contains `cwd`, if any."""
    if project.single_task:
        return project.root.name
    try:
        rel = cwd.resolve().relative_to(project.root)
    except ValueError:
        return None
    if not rel.parts:
        return None
    first = rel.parts[0]
    return first if (project.root / first / TASK_FILE).is_file() else None


def resolve_task(project: Project, explicit: str | None, cwd: Path) -> str:
    """-t/--task, else the task of the current directory, else the current task."""
    if explicit:
        return project.require_task(explicit)
    here = task_of_cwd(project, cwd)
    if here:
        return here
    current = project.read_state().get("current")
    if current and current in project.task_names():
        return current
    raise GittaskError("which task? none was given, the current directory is not inside "
                       "a task, and no task is switched to",
                       hint="pass -t TASK or run 'gittask switch TASK'; "
                       + _tasks_hint(project.task_names()))


def split_ref(arg: str) -> tuple[str | None, str]:
    """'TASK@VERSION' → (TASK, VERSION); 'VERSION' → (None, VERSION)."""
    if "@" in arg:
        task, version = arg.split("@", 1)
        return task or None, version
    return None, arg
