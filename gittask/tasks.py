"""Tasks: loading and validating task.yaml, scaffolding, the task list, lifecycle moves."""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gittask import clock, gitcmd, lifecycle, schema, yamledit, yamlio
from gittask.errors import GittaskError, Problem, ValidationError
from gittask.project import SLUG_RE, TASK_FILE, Project

DATA_SOURCE_FILE = "data_source.yaml"
TASK_SUBDIRS = ("versions", "data", "scripts", "models", "benchmarks")


@dataclass
class Task:
    name: str
    dir: Path
    rel: str          # the task directory relative to the project root
    data: dict

    @property
    def status(self) -> str:
        return self.data.get("status", "created")

    @property
    def version(self) -> str | None:
        value = self.data.get("version")
        return None if value is None else str(value)

    @property
    def primary_metric(self) -> str:
        return (self.data.get("success_criteria") or {}).get("primary_metric") or "macro_f1"

    @property
    def threshold(self) -> float | None:
        return (self.data.get("success_criteria") or {}).get("threshold")

    @property
    def strategy(self) -> str:
        return (self.data.get("versioning") or {}).get("strategy") or "semantic"

    def path(self, *parts: str) -> Path:
        return self.dir.joinpath(*parts)

    def relpath(self, *parts: str) -> str:
        """A path inside the task relative to the project root (for git and messages)."""
        inner = "/".join(parts)
        return inner if self.rel == "." else f"{self.rel}/{inner}"


# --- validation ------------------------------------------------------------------------

def task_problems(doc: yamlio.Document, dir_name: str | None) -> list[Problem]:
    """Schema problems plus the checks that span fields."""
    if not isinstance(doc.data, dict):
        return [Problem(doc.path, "task.yaml must be a mapping of keys to values", 1, 1)]
    problems = schema.validate(doc, schema.TASK)
    data = doc.data
    name = data.get("task_name")
    if dir_name and isinstance(name, str) and name != dir_name and SLUG_RE.match(dir_name):
        line, col = doc.position(("task_name",))
        problems.append(Problem(doc.path, f"task_name: '{name}' differs from the directory "
                                f"name '{dir_name}'", line, col))
    execution = data.get("execution")
    if isinstance(execution, dict) and execution.get("type") == "remote_ssh" and not execution.get("host"):
        line, col = doc.position(("execution",))
        problems.append(Problem(doc.path, "execution.host: required when execution.type is "
                                "remote_ssh (e.g. user@gpu-server)", line, col))
    problems.extend(_version_name_problems(doc))
    return sorted(problems, key=lambda p: (p.line or 0, p.col or 0))


def _version_name_problems(doc: yamlio.Document) -> list[Problem]:
    version = doc.data.get("version")
    strategy = (doc.data.get("versioning") or {}).get("strategy") or "semantic"
    if version is None or not isinstance(version, str) or strategy not in ("semantic", "date", "hybrid"):
        return []
    try:
        from gittask import versioning
    except ImportError:  # pragma: no cover - versioning is part of the package
        return []
    try:
        versioning.parse_version(version, strategy)
    except GittaskError as exc:
        line, col = doc.position(("version",))
        return [Problem(doc.path, f"version: {exc.message}", line, col)]
    return []


def load_task(project: Project, name: str) -> Task:
    """The task, validated; ValidationError lists every problem of its task.yaml."""
    task_dir = project.task_dir(name)
    rel = project.task_rel(name)
    display = TASK_FILE if rel == "." else f"{rel}/{TASK_FILE}"
    doc = yamlio.load(task_dir / TASK_FILE, display)
    problems = task_problems(doc, None if rel == "." else name)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems, hint=f"fix {display}, then run 'gittask validate'")
    return Task(name=name, dir=task_dir, rel=rel, data=doc.data)


# --- results ---------------------------------------------------------------------------

def metric_value(results: Any, metric: str) -> float | None:
    """A metric from results.json: top level, or `f1:<label>` from per_class."""
    if not isinstance(results, dict):
        return None
    if metric.startswith("f1:"):
        entry = (results.get("per_class") or {}).get(metric[3:]) or {}
        value = entry.get("f1") if isinstance(entry, dict) else None
    else:
        value = results.get(metric)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def read_results(project: Project, task: str, rel: str, version: str) -> dict | None:
    """results.json of a version from the working tree, else from its tag."""
    path = project.root / (f"{rel}/" if rel != "." else "") / "versions" / version / "results.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        pass
    if project.git_dir is None:
        return None
    spec = f"refs/tags/{project.tag_name(task, version)}:{_rel_join(rel, 'versions', version, 'results.json')}"
    blob = gitcmd.cat_files(project.root, [spec])[0]
    try:
        return json.loads(blob) if blob else None
    except json.JSONDecodeError:
        return None


def _rel_join(rel: str, *parts: str) -> str:
    inner = "/".join(parts)
    return inner if rel == "." else f"{rel}/{inner}"


# --- the task list -------------------------------------------------------------------

@dataclass
class TaskRow:
    name: str
    status: str | None
    version: str | None
    metric: str | None
    value: float | None
    threshold: float | None
    updated: str | None
    error: str | None = None

    def as_dict(self) -> dict:
        return {"task": self.name, "status": self.status, "version": self.version,
                "primary_metric": self.metric, "value": self.value,
                "threshold": self.threshold, "updated": self.updated, "error": self.error}


def task_rows(project: Project) -> list[TaskRow]:
    """One row per task; a broken task.yaml gives a row with its first error."""
    rows, missing = [], []
    cache = _FieldCache(project)
    for name in project.task_names():
        row, results_path = _row(project, name, cache.fields(name))
        rows.append(row)
        if results_path is not None and row.value is None and row.error is None:
            missing.append((row, name))
    cache.save()
    _fill_from_tags(project, missing)
    return rows


class _FieldCache:
    """The few task.yaml fields `list` shows, cached by (size, mtime) of the file inside
    the clone: parsing 200 task files costs more than everything else `list` does."""

    VERSION = 1

    def __init__(self, project: Project):
        self.project = project
        self.path = project.state_path().parent / "list-cache.json"
        self.changed = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries = data["tasks"] if data.get("version") == self.VERSION else {}
        except (OSError, ValueError, KeyError, TypeError):
            self.entries = {}

    def fields(self, name: str) -> dict:
        path = self.project.task_dir(name) / TASK_FILE
        try:
            st = path.stat()
        except OSError:
            st = None
        stamp = [st.st_size, st.st_mtime_ns] if st else None
        hit = self.entries.get(name)
        if stamp and hit and hit.get("stamp") == stamp:
            return hit["fields"]
        fields = _read_fields(self.project, name)
        if stamp and self.project.git_dir is not None:
            self.entries[name] = {"stamp": stamp, "fields": fields}
            self.changed = True
        return fields

    def save(self) -> None:
        if self.changed:
            try:
                yamlio.write_atomic(self.path, json.dumps({"version": self.VERSION, "tasks": self.entries},
                                                          ensure_ascii=False))
            except OSError:
                pass  # a read-only clone still lists, only slower


def _read_fields(project: Project, name: str) -> dict:
    try:
        data = yamlio.load_data(project.task_dir(name) / TASK_FILE)
        if not isinstance(data, dict):
            raise ValueError("task.yaml must be a mapping")
    except Exception:  # any parse failure: report it precisely via the slow path
        return {"error": _first_error(project, name)}
    criteria = data.get("success_criteria") if isinstance(data.get("success_criteria"), dict) else {}
    fields = {"status": data.get("status"),
              "version": None if data.get("version") is None else str(data.get("version")),
              "metric": criteria.get("primary_metric") or "macro_f1",
              "threshold": criteria.get("threshold"),
              "updated": _date(data.get("updated") or data.get("created")), "error": None}
    if fields["status"] not in schema.STATUSES:
        fields["error"] = _first_error(project, name)
    return fields


def _row(project: Project, name: str, fields: dict) -> tuple[TaskRow, Path | None]:
    if fields.get("error") and fields.get("status") is None:
        return TaskRow(name, None, None, None, None, None, None, fields["error"]), None
    row = TaskRow(name, fields["status"], fields["version"], fields["metric"], None,
                  fields["threshold"], fields["updated"], fields.get("error"))
    if row.version is None:
        return row, None
    path = project.task_dir(name) / "versions" / row.version / "results.json"
    try:
        row.value = metric_value(json.loads(path.read_text(encoding="utf-8")), row.metric)
    except (OSError, ValueError):
        pass
    return row, path


def _fill_from_tags(project: Project, missing: list[tuple[TaskRow, str]]) -> None:
    """Results of released versions whose files are not in the working tree (pruned),
    all read with one git call."""
    if not missing or project.git_dir is None:
        return
    specs = [f"refs/tags/{project.tag_name(name, row.version)}:"
             f"{_rel_join(project.task_rel(name), 'versions', row.version, 'results.json')}"
             for row, name in missing]
    for (row, _), blob in zip(missing, gitcmd.cat_files(project.root, specs)):
        if blob:
            try:
                row.value = metric_value(json.loads(blob), row.metric or "macro_f1")
            except ValueError:
                pass


def _first_error(project: Project, name: str) -> str:
    try:
        load_task(project, name)
    except ValidationError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        return str(errors[0]) if errors else exc.message
    except GittaskError as exc:
        return exc.message
    return "unreadable task.yaml"


def _date(value: Any) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, str):
        return value[:10]
    return None


def sort_rows(rows: list[TaskRow], key: str) -> list[TaskRow]:
    keys = {
        "name": lambda r: r.name,
        "status": lambda r: (lifecycle.STATES.index(r.status) if r.status in lifecycle.STATES else 99, r.name),
        "metric": lambda r: (r.value is None, -(r.value or 0), r.name),
        "updated": lambda r: (r.updated is None, "" if r.updated is None else _neg(r.updated), r.name),
        "version": lambda r: (r.version or "", r.name),
    }
    if key not in keys:
        raise GittaskError(f"cannot sort by '{key}'", hint="sort by one of: " + ", ".join(keys))
    return sorted(rows, key=keys[key])


def _neg(text: str) -> str:
    """Sort dates newest first inside an ascending sort."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


# --- editing task.yaml ---------------------------------------------------------------

def update_task_file(task: Task, **fields: str | None) -> None:
    """Set top-level scalars of task.yaml (and `updated`), keeping every other byte."""
    path = task.path(TASK_FILE)
    text = path.read_text(encoding="utf-8")
    for key, value in fields.items():
        text = yamledit.set_scalar(text, key, value, after="task_name")
        task.data[key] = value
    text = yamledit.set_scalar(text, "updated", clock.stamp())
    yamlio.write_atomic(path, text)


def change_state(project: Project, task: Task, new: str, force: bool = False,
                 commit: bool = True) -> tuple[str, str]:
    """Move the task's status; returns (old, new). Commits task.yaml unless told not to."""
    old = task.status
    lifecycle.check_move(old, new, force)
    if old == new:
        return old, new
    if commit:
        _refuse_staged_task_file(project, task)
    update_task_file(task, status=new)
    if commit and project.git_dir is not None:
        gitcmd.commit_paths(project.root, f"{task.name}: status {old} → {new}",
                            [task.relpath(TASK_FILE)])
    return old, new


def _refuse_staged_task_file(project: Project, task: Task) -> None:
    if project.git_dir is None:
        return
    changed = gitcmd.status_paths(project.root, [task.relpath(TASK_FILE)])
    if changed:
        raise GittaskError(f"{task.relpath(TASK_FILE)} has uncommitted changes",
                           hint="commit or stash them first, so that gittask's commit "
                                "holds only its own change")


# --- scaffolding -----------------------------------------------------------------------

@dataclass
class NewTaskOptions:
    task_type: str = "classification"
    domain: str = "general"
    language: str = "zh-TW"
    labels: tuple[str, ...] = ()
    label_field: str = "label"
    primary_metric: str = "macro_f1"
    threshold: float = 0.8
    strategy: str = "semantic"
    hf_repo: str | None = None
    ollama_model: str | None = None


def new_task(project: Project, name: str, opts: NewTaskOptions, commit: bool = True) -> Task:
    """Scaffold the seed's layout for a new task and (in a git repo) commit it."""
    _check_new_name(project, name, opts)
    task_dir = project.root / name
    for sub in TASK_SUBDIRS:
        (task_dir / sub).mkdir(parents=True, exist_ok=True)
        if sub != "models":
            (task_dir / sub / ".gitkeep").touch()
    stamp = clock.stamp()
    yamlio.write_atomic(task_dir / TASK_FILE, render_task_yaml(name, opts, stamp))
    yamlio.write_atomic(task_dir / DATA_SOURCE_FILE, render_data_source(opts))
    task = load_task(project, name)
    if commit and project.git_dir is not None:
        gitcmd.commit_paths(project.root, f"{name}: new task", [name])
    return task


def _check_new_name(project: Project, name: str, opts: NewTaskOptions) -> None:
    if not SLUG_RE.match(name):
        raise GittaskError(f"'{name}' is not a valid task name",
                           hint="use lowercase letters, digits and '-', starting with a letter "
                                "or digit (e.g. entity-sentiment)")
    if project.single_task:
        raise GittaskError(f"{project.root} is a single-task repository (task.yaml at its root)",
                           hint="make a multi-task project with 'gittask init' in a new directory")
    if (project.root / name).exists():
        what = "a task" if (project.root / name / TASK_FILE).exists() else "a directory"
        raise GittaskError(f"{what} named '{name}' already exists in {project.root}",
                           hint="choose another name")
    if opts.task_type not in schema.TASK_TYPES:
        raise GittaskError(f"unknown task type '{opts.task_type}'",
                           hint="task types: " + ", ".join(schema.TASK_TYPES))
    if not 0 <= opts.threshold <= 1:
        raise GittaskError(f"threshold {opts.threshold} is out of range",
                           hint="metrics are fractions: 0.8 means 80%")


def render_task_yaml(name: str, opts: NewTaskOptions, stamp: str) -> str:
    labels = ", ".join(json.dumps(label, ensure_ascii=False) for label in opts.labels)
    output = (f"output_format:\n  type: json\n  schema:\n    {opts.label_field}:\n"
              f"      type: string\n      enum: [{labels}]\n") if opts.labels else \
             "output_format:\n  type: json\n  schema: {}\n"
    deploy = ""
    if opts.hf_repo or opts.ollama_model:
        deploy = "\n# 部署 (deploy targets)\ndeploy:\n"
        if opts.hf_repo:
            deploy += f"  hf_repo: {opts.hf_repo}\n"
        if opts.ollama_model:
            deploy += f"  ollama_model: {opts.ollama_model}\n"
    return f"""# 任務基本資訊
task_name: {name}
version: null  # 當前活動版本
status: created

# 任務定義
task_type: {opts.task_type}
domain: {opts.domain}
language: {opts.language}

# 輸入輸出
input_template: |
  {{text}}
{output}
# 成功標準
success_criteria:
  primary_metric: {opts.primary_metric}
  threshold: {opts.threshold}

# 執行環境
execution:
  type: local

# 版本管理
versioning:
  strategy: {opts.strategy}
  retention:
    keep_recent: 3
    keep_deployed: true
    keep_best: true
    cleanup_exp_after: 7d
{deploy}
# 元資料
created: {stamp}
updated: {stamp}
"""


def render_data_source(opts: NewTaskOptions) -> str:
    return f"""# 資料來源配置: paths are relative to this directory (JSONL or CSV)
splits:
  train: data/train.jsonl
  valid: data/valid.jsonl
  test: data/test.jsonl
label_field: {opts.label_field}
sources: []
"""


# --- show ------------------------------------------------------------------------------

def task_summary(project: Project, task: Task) -> dict:
    """What `show` reports: status, active version, metric vs threshold, paths."""
    results = read_results(project, task.name, task.rel, task.version) if task.version else None
    value = metric_value(results, task.primary_metric)
    threshold = task.threshold
    meets = None if value is None or threshold is None else value >= threshold
    versions_dir = task.path("versions")
    local_versions = sorted(p.name for p in versions_dir.iterdir() if p.is_dir()) if versions_dir.is_dir() else []
    return {
        "task": task.name, "status": task.status, "version": task.version,
        "task_type": task.data.get("task_type"), "domain": task.data.get("domain"),
        "language": task.data.get("language"),
        "primary_metric": task.primary_metric, "value": value, "threshold": threshold,
        "meets_threshold": meets, "next_states": list(lifecycle.allowed_next(task.status)),
        "strategy": task.strategy, "local_versions": local_versions,
        "paths": {"task_dir": str(task.dir), "task_yaml": str(task.path(TASK_FILE)),
                  "data_source": str(task.path(DATA_SOURCE_FILE)),
                  "versions": str(versions_dir), "models": str(task.path("models"))},
        "updated": _date(task.data.get("updated")),
    }


def init_project(path: Path) -> dict:
    """Make `path` a gittask project: git init when needed, models/ ignored."""
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    created_repo = gitcmd.find_git_dir(path) is None
    if created_repo:
        gitcmd.init(path)
    root = gitcmd.find_git_dir(path)[0]
    ignore = root / ".gitignore"
    existing = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    wanted = ["**/models/", ".gittask-cache/"]
    missing = [line for line in wanted if line not in existing.splitlines()]
    if missing:
        block = ("" if not existing or existing.endswith("\n") else "\n")
        block += "# gittask: model artifacts never go into git\n" + "\n".join(missing) + "\n"
        yamlio.write_atomic(ignore, existing + block)
        gitcmd.commit_paths(root, "gittask init: keep model artifacts out of git", [".gitignore"])
    return {"root": str(root), "created_repo": created_repo, "gitignore_updated": bool(missing),
            "hook": _install_hook(root)}


def _install_hook(root: Path):
    """The pre-commit hook, installed by init; a hook init cannot take over (the
    pre-commit framework's) is reported, not an error."""
    from gittask import hooks

    try:
        return hooks.install(root)
    except GittaskError as exc:
        return exc


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "no")
