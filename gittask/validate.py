"""Checking the files of a project: each file kind by its content, so the same checks
serve the working tree (`gittask validate`) and the index (`gittask validate --staged`,
which the pre-commit hook runs).

Checks that span files — which versions exist, which are released (tagged), the status
at HEAD — get their facts from a few batched git calls, never from one call per file:
a commit must stay fast in a repository of hundreds of tasks and thousands of tags.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

import yaml

from gittask import gitcmd, lifecycle, schema, versioning, yamlio
from gittask.errors import GittaskError, Problem, ValidationError
from gittask.project import SLUG_RE, TASK_FILE, Project

KINDS = {
    TASK_FILE: "task",
    "data_source.yaml": "data-source",
    "config.yaml": "config",
    "results.json": "results",
    "predictions.jsonl": "predictions",
    "lineage.yaml": "lineage",
}
VERSION_KINDS = ("config", "results", "predictions", "lineage")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def kind_of(relpath: str) -> str | None:
    """The file kind of a path relative to the project root, or None."""
    p = PurePosixPath(relpath)
    kind = KINDS.get(p.name)
    if kind in VERSION_KINDS:
        return kind if len(p.parts) >= 3 and p.parts[-3] == "versions" else None
    return kind


@dataclass
class TaskFacts:
    """What the checks spanning files know about one task."""

    versions: set[str] = field(default_factory=set)       # version folders present
    released: dict[str, str] = field(default_factory=dict)  # version → its tag
    head_status: str | None = None                        # status at HEAD; None if new
    # Asks git for the tag of a version missing from `released`, when that is not a
    # complete list (the staged check learns tags one by one).
    lookup_tag: Callable[[str], str | None] | None = None


def check_text(kind: str, display: str, text: str, dir_name: str | None = None,
               facts: TaskFacts | None = None) -> list[Problem]:
    """Every problem of one file's text; with `facts`, task.yaml is also checked against
    the task's versions and its status at HEAD."""
    if kind == "predictions":
        return check_predictions(display, text)
    try:
        doc = yamlio.parse_json(text, display) if kind == "results" else yamlio.parse_yaml(text, display)
    except ValidationError as exc:
        return exc.problems
    if kind == "task":
        return task_file_problems(doc, dir_name, facts)
    if doc.data is None:
        return [Problem(display, "the file is empty", 1, 1)]
    if kind == "lineage":
        return lineage_problems(doc)
    return schema.validate(doc, schema.SCHEMAS[kind])


def check_predictions(display: str, text: str) -> list[Problem]:
    """predictions.jsonl: one JSON object per line with id, gold and pred; ids unique."""
    problems, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(display, f"invalid JSON: {exc.msg}", number, exc.colno))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(display, "expected a JSON object", number, 1))
            continue
        missing = [k for k in ("id", "gold", "pred") if k not in row]
        if missing:
            problems.append(Problem(display, f"missing {', '.join(missing)} (each line needs "
                                    "id, gold and pred)", number, 1))
            continue
        if row["id"] in seen:
            problems.append(Problem(display, f"duplicate id {json.dumps(row['id'], ensure_ascii=False)}",
                                    number, 1))
        seen.add(row["id"])
    return problems


def lineage_problems(doc: yamlio.Document) -> list[Problem]:
    """lineage.yaml belongs to the version whose folder holds it."""
    if not isinstance(doc.data, dict):
        return [Problem(doc.path, "lineage.yaml must be a mapping of keys to values", 1, 1)]
    folder = PurePosixPath(doc.path).parent.name
    version = doc.data.get("version")
    if version is None:
        return [Problem(doc.path, f"version: required key is missing (it is '{folder}', "
                        "the folder's name)", 1, 1)]
    if str(version) != folder:
        line, col = doc.position(("version",))
        return [Problem(doc.path, f"version: '{version}' differs from its folder '{folder}': "
                        "a version's lineage names that version", line, col)]
    return []


# --- task.yaml against the rest of the task --------------------------------------------

def task_file_problems(doc: yamlio.Document, dir_name: str | None,
                       facts: TaskFacts | None = None) -> list[Problem]:
    from gittask.tasks import task_problems

    problems = task_problems(doc, dir_name)
    if facts is None or not isinstance(doc.data, dict):
        return problems
    problems += _status_move_problems(doc, facts.head_status)
    problems += _unknown_version_problems(doc, facts)
    return sorted(problems, key=lambda p: (p.line or 0, p.col or 0))


def _status_move_problems(doc: yamlio.Document, old: str | None) -> list[Problem]:
    new = doc.data.get("status")
    if old not in lifecycle.STATES or new not in lifecycle.STATES or lifecycle.commit_allows(old, new):
        return []
    nexts = ", ".join(lifecycle.allowed_next(old)) or "none (archived is final)"
    task = doc.data.get("task_name") or "TASK"
    line, col = doc.position(("status",))
    return [Problem(doc.path, f"status: '{old}' → '{new}' is not a lifecycle step (allowed "
                    f"next states from '{old}': {nexts}); to move anyway, put back "
                    f"'status: {old}' and run 'gittask state {new} --force -t {task}'",
                    line, col)]


def _unknown_version_problems(doc: yamlio.Document, facts: TaskFacts) -> list[Problem]:
    version = doc.data.get("version")
    strategy = (doc.data.get("versioning") or {}).get("strategy") or "semantic"
    # A malformed name or strategy is reported by the schema checks already.
    if (not isinstance(version, str) or strategy not in versioning.STRATEGIES
            or not versioning.is_valid_version(version, strategy)
            or version in facts.versions or version in facts.released
            or (facts.lookup_tag and facts.lookup_tag(version))):
        return []
    known = sorted(facts.versions | set(facts.released))
    where = f"versions here: {', '.join(known)}" if known else \
        "the task has no version yet: start one with 'gittask draft'"
    line, col = doc.position(("version",))
    return [Problem(doc.path, f"version: '{version}' names no version of this task: there is "
                    f"no versions/{version}/ folder and no released tag; {where}", line, col)]


def version_folder_problem(display: str, name: str, strategy: str) -> Problem | None:
    """A folder under versions/ whose name the task's strategy refuses."""
    if strategy not in versioning.STRATEGIES:
        return None
    try:
        versioning.parse_version(name, strategy)
    except GittaskError as exc:
        return Problem(display, f"version folder: {exc.message}; {exc.hint} "
                       "(rename it with git mv)")
    return None


def released_problem(path: str, version: str, tag: str, action: str, staged: bool) -> Problem:
    """A released version's file that changed: `action` is added, modified or deleted."""
    verb = {"added": "adds", "modified": "modifies", "deleted": "deletes"}[action]
    what = f"this commit {verb} this file" if staged else f"this file is {action} in the working tree"
    if action == "added":
        undo = f"unstage it with 'git rm --cached -- {path}'" if staged else \
            "move it out of the version's folder"
    else:
        undo = f"restore it with 'git checkout {tag} -- {path}'"
    return Problem(path, f"version {version} is released (tag {tag}) and immutable, but "
                   f"{what}; {undo}, and make changes in a new version ('gittask draft')")


# --- the working tree ----------------------------------------------------------------

def task_dir_name(relpath: str) -> str | None:
    first, sep, _ = relpath.partition("/")
    return first if sep else None


def task_namer(project: Project) -> Callable[[str], str | None]:
    """path (relative to the root) → the task it belongs to, judged by the path alone;
    whether the project is a single-task one is asked once, not once per path."""
    if project.single_task:
        return lambda relpath, name=project.root.name: name

    def name_of(relpath: str) -> str | None:
        name = task_dir_name(relpath)
        return name if name and SLUG_RE.match(name) else None
    return name_of


def project_files(project: Project) -> list[str]:
    """Every checkable file of every task, relative to the root."""
    files = []
    for name in project.task_names():
        rel = project.task_rel(name)
        base = project.task_dir(name)
        prefix = "" if rel == "." else f"{rel}/"
        for fname in (TASK_FILE, "data_source.yaml"):
            if (base / fname).is_file():
                files.append(prefix + fname)
        versions = base / "versions"
        if versions.is_dir():
            for vdir in sorted(p for p in versions.iterdir() if p.is_dir()):
                for fname in ("config.yaml", "results.json", "predictions.jsonl", "lineage.yaml"):
                    if (vdir / fname).is_file():
                        files.append(f"{prefix}versions/{vdir.name}/{fname}")
    return files


def validate_worktree(project: Project, paths: list[Path] | None = None) -> tuple[list[Problem], int]:
    """Problems of the given files (default: every file of every task) and how many
    files were checked; released versions' files are compared with their tags."""
    rels = _select(project, paths) if paths else project_files(project)
    name_of = task_namer(project)
    facts = _worktree_facts(project, {name_of(rel) for rel in rels} - {None})
    single = project.single_task
    problems: list[Problem] = []
    for rel in rels:
        kind = kind_of(rel)
        if kind is None:
            continue
        text = yamlio.read_text(project.root / rel, rel)
        dir_name = None if single else task_dir_name(rel)
        problems.extend(check_text(kind, rel, text, dir_name, facts.get(name_of(rel))))
    extra = _folder_problems(project, facts) + _released_worktree_problems(project, facts)
    if paths:
        prefixes = _selected_prefixes(project, paths)
        extra = [p for p in extra if p.path.startswith(prefixes)]
    return problems + extra, len(rels)


def _worktree_facts(project: Project, names: set[str]) -> dict[str, TaskFacts]:
    names = sorted(n for n in names if (project.task_dir(n) / TASK_FILE).is_file())
    released = _released(project, names) if project.git_dir and names else {}
    head = _head_statuses(project, names) if project.git_dir and names else {}
    facts = {}
    for name in names:
        vdir = project.task_dir(name) / "versions"
        folders = {p.name for p in vdir.iterdir() if p.is_dir()} if vdir.is_dir() else set()
        facts[name] = TaskFacts(folders, released.get(name, {}), head.get(name))
    return facts


def _released(project: Project, names: list[str]) -> dict[str, dict[str, str]]:
    """task → {version: tag} for the tasks, from one for-each-ref of tag names."""
    wanted, found = set(names), {}
    patterns = sorted({project.tag_pattern(name) for name in names})
    for tag in gitcmd.tag_names(project.root, patterns):
        parsed = project.parse_tag(tag)
        if parsed and parsed[0] in wanted:
            found.setdefault(parsed[0], {})[parsed[1]] = tag
    return found


def _head_statuses(project: Project, names: list[str]) -> dict[str, str | None]:
    specs = [f"HEAD:{_join(project.task_rel(n), TASK_FILE)}" for n in names]
    blobs = gitcmd.cat_files(project.root, specs)
    return {name: status_in(blob) for name, blob in zip(names, blobs)}


def status_in(blob: bytes | None) -> str | None:
    """The top-level `status` of a task.yaml blob. Only the YAML node tree is built (in
    C): constructing the whole document would cost more than the check it serves."""
    if not blob:
        return None
    try:
        node = yaml.compose(blob.decode("utf-8"), Loader=_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    for key, value in node.value if isinstance(node, yaml.MappingNode) else ():
        if key.value == "status" and isinstance(value, yaml.ScalarNode):
            return value.value
    return None


def _task_data(blob: bytes | None) -> dict | None:
    """A task.yaml's data, or None when absent or broken (its own check reports that)."""
    if not blob:
        return None
    try:
        data = yamlio.parse_yaml(blob.decode("utf-8"), TASK_FILE).data
    except (ValidationError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _strategy_in(data: dict | None) -> str | None:
    if data is None:
        return None
    return (data.get("versioning") or {}).get("strategy") or "semantic"


def _folder_problems(project: Project, facts: dict[str, TaskFacts]) -> list[Problem]:
    problems = []
    for name, fact in facts.items():
        path = project.task_dir(name) / TASK_FILE
        strategy = _strategy_in(_task_data(path.read_bytes())) if fact.versions else None
        # Released folders are immutable and were accepted when tagged; a later change of
        # strategy must not flag them.
        for folder in sorted(fact.versions - fact.released.keys()) if strategy else ():
            display = _join(project.task_rel(name), "versions", folder) + "/"
            problem = version_folder_problem(display, folder, strategy)
            problems += [problem] if problem else []
    return problems


def _released_worktree_problems(project: Project, facts: dict[str, TaskFacts]) -> list[Problem]:
    """Files of released versions that differ in the working tree from their tag. A
    version folder whose tree at HEAD is the tag's and that `git status` finds clean is
    unchanged: only the others are compared file by file, so 4,000 released versions
    cost four git calls and no hashing."""
    live = [(_join(project.task_rel(name), "versions", version), version, tag)
            for name, fact in facts.items() for version, tag in fact.released.items()
            if version in fact.versions]
    if not live:
        return []
    root = project.root
    pathspecs = sorted({_join(project.task_rel(name), "versions") + "/" for name in facts})
    depth = 2 if project.single_task else 3  # versions/<v>/… or <task>/versions/<v>/…
    # The whole tree: git matches 200 pathspecs against every path, which costs more.
    dirty = {"/".join(path.split("/")[:depth]) for _, path in gitcmd.status_paths(root, [])}
    at_head = gitcmd.tree_entries(root, "HEAD", pathspecs)
    tagged = gitcmd.object_info(root, [f"refs/tags/{tag}:{folder}" for folder, _, tag in live])
    suspects = [entry for entry, info in zip(live, tagged)
                if entry[0] in dirty or info is None or at_head.get(entry[0]) != info[0]]
    return _compare_with_tags(project, suspects, depth)


def _compare_with_tags(project: Project, suspects: list, depth: int) -> list[Problem]:
    if not suspects:
        return []
    root = project.root
    trees = gitcmd.tree_files(root, [f"refs/tags/{tag}:{folder}" for folder, _, tag in suspects])
    listed = gitcmd.listed_files(root, [folder + "/" for folder, _, _ in suspects])
    present = [p for p in listed if os.path.isfile(root / p)]
    work: dict[str, dict[str, str]] = {}  # version folder → {path: sha}
    for path, sha in zip(present, gitcmd.hash_files(root, present)):
        work.setdefault("/".join(path.split("/")[:depth]), {})[path] = sha
    problems = []
    for (folder, version, tag), tree in zip(suspects, trees):
        released = {f"{folder}/{inner}": sha for inner, sha in (tree or {}).items()}
        mine = work.get(folder, {})
        for path in sorted(released.keys() | mine.keys()):
            action = _action(released.get(path), mine.get(path))
            if action:
                problems.append(released_problem(path, version, tag, action, staged=False))
    return problems


def _action(released_sha: str | None, sha: str | None) -> str | None:
    if released_sha == sha:
        return None
    return "added" if released_sha is None else "deleted" if sha is None else "modified"


def _join(rel: str, *parts: str) -> str:
    inner = "/".join(parts)
    return inner if rel == "." else f"{rel}/{inner}"


def _select(project: Project, paths: list[Path]) -> list[str]:
    """Files named on the command line (a directory means every file below it)."""
    chosen = []
    all_files = project_files(project)
    for path in paths:
        rel = Path(path).resolve().relative_to(project.root).as_posix() if Path(path).exists() else None
        if rel is None:
            raise ValidationError([Problem(str(path), "no such file or directory")])
        if (project.root / rel).is_dir():
            prefix = "" if rel == "." else rel + "/"
            chosen.extend(f for f in all_files if f.startswith(prefix))
        else:
            chosen.append(rel)
    return chosen


def _selected_prefixes(project: Project, paths: list[Path]) -> tuple[str, ...]:
    rels = [_relative(project, p) for p in paths]
    return tuple("" if r == "." else r + "/" if (project.root / r).is_dir() else r for r in rels)


def _relative(project: Project, path: Path) -> str:
    """A path given on the command line, relative to the root (it may not exist: a
    deleted file can still be staged)."""
    try:
        return Path(path).resolve().relative_to(project.root).as_posix()
    except ValueError:
        raise GittaskError(f"{path} is outside the project {project.root}") from None


# --- the index: what the next commit records -------------------------------------------

WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pt", ".pth", ".ckpt")
_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_LFS_POINTER_MAX = 1024  # git-lfs pointer files are about 130 bytes
_SUBMODULE = "160000"


def staged_index_file() -> str | None:
    """The index that `--staged` reads: GIT_INDEX_FILE when set, made absolute.

    Inside a hook git names there the index the commit records — a temporary one for
    `git commit -a` and `git commit PATH` (a partial commit), which differs from
    .git/index; reading .git/index instead would check the wrong content. git gives the
    path relative to the hook's directory, the work tree root."""
    value = os.environ.get("GIT_INDEX_FILE")
    return os.path.abspath(value) if value else None


@dataclass
class _StagedTask:
    rel: str
    facts: TaskFacts
    task_sha: str | None = None  # the staged task.yaml


def validate_staged(project: Project, paths: list[Path] | None = None,
                    index_file: str | None = None) -> tuple[list[Problem], int]:
    """Problems of what the next commit records (the index), and how many staged
    changes were checked. Reads only the staged files and the facts they need."""
    project.require_git()
    root = project.root
    specs = [_relative(project, p) for p in paths] if paths else []
    changes = [c for c in gitcmd.staged_changes(root, specs, index_file)
               if _SUBMODULE not in (c.old_mode, c.new_mode)]
    if not changes:
        return [], 0
    name_of = task_namer(project)
    tasks = _staged_tasks(project, changes, index_file, name_of)
    located = [(c, *_locate(tasks, name_of(c.path), c.path)) for c in changes]
    sizes, tag_shas = _staged_object_info(project, located, tasks)
    limit = int(project.settings.max_file_mb * 1024 * 1024)
    blobs = _staged_blobs(root, located, tasks, sizes, limit)
    problems = []
    for change, name, version in located:
        task = tasks.get(name)
        blob = blobs.get(change.new_sha)
        problems += _file_problems(change.path, sizes.get(change.path), blob, limit,
                                   project.settings.max_file_mb)
        if task and version in task.facts.released:
            action = _action(tag_shas.get(change.path), None if change.status == "D" else change.new_sha)
            if action:
                problems.append(released_problem(change.path, version, task.facts.released[version],
                                                 action, staged=True))
        kind = _staged_kind(task, change)
        if kind and blob is not None:
            problems += _content_problems(kind, change, blob, blobs, task, name)
    problems += _staged_folder_problems(located, tasks, blobs)
    return sorted(problems, key=lambda p: (p.path, p.line or 0, p.col or 0)), len(changes)


def _staged_tasks(project: Project, changes: list, index_file: str | None,
                  name_of: Callable[[str], str | None]) -> dict[str, _StagedTask]:
    """The tasks the changes touch, with their staged task.yaml and version folders, from
    one `ls-files`. Which versions are released is asked per version later: listing all
    tags reads every loose ref file, 70 ms for 4,000 fresh tags."""
    names = sorted({n for n in map(name_of, (c.path for c in changes)) if n})
    tasks = {n: _StagedTask(project.task_rel(n), TaskFacts(lookup_tag=_tag_finder(project, n)))
             for n in names}
    specs = [spec for task in tasks.values()
             for spec in (_join(task.rel, TASK_FILE), _join(task.rel, "versions") + "/")]
    single = project.single_task
    for entry in gitcmd.index_entries(project.root, specs, index_file) if specs else ():
        task = tasks[names[0] if single else entry.path.partition("/")[0]]
        inner = _inner(task.rel, entry.path)
        if inner == TASK_FILE:
            task.task_sha = entry.sha
        elif inner.count("/") >= 2:  # versions/<folder>/<file>
            task.facts.versions.add(inner.split("/", 2)[1])
    return tasks


def _tag_finder(project: Project, name: str):
    """Whether a version of the task has a tag, asked of git only when a check needs it."""
    def find(version: str) -> str | None:
        tag = project.tag_name(name, version)
        return tag if gitcmd.object_info(project.root, [f"refs/tags/{tag}"])[0] else None
    return find


def _locate(tasks: dict[str, _StagedTask], name: str | None, path: str) -> tuple[str | None, str | None]:
    """(task, version folder) of a staged path; None where it is not inside one."""
    if name not in tasks:
        return None, None
    inner = _inner(tasks[name].rel, path).split("/")
    return name, inner[1] if len(inner) >= 3 and inner[0] == "versions" else None


def _inner(rel: str, path: str) -> str:
    return path if rel == "." else path[len(rel) + 1:]


def _staged_kind(task: _StagedTask | None, change) -> str | None:
    """The kind of a staged file, counting only a task's own files (as the working-tree
    check does), so that a task.yaml deep in data/ is not taken for a task."""
    if task is None or task.task_sha is None or change.status == "D":
        return None
    kind = kind_of(change.path)
    inner = _inner(task.rel, change.path)
    if kind in VERSION_KINDS:
        return kind if inner.count("/") == 2 else None
    return kind if kind and "/" not in inner else None


def _staged_object_info(project: Project, located: list, tasks: dict[str, _StagedTask]
                        ) -> tuple[dict[str, int], dict[str, str]]:
    """With one `cat-file --batch-check` (no contents read): the size of each staged
    blob, which touched versions have a tag (recorded in the task's facts), and the
    released blob of each changed path inside a version."""
    staged = [c for c, _, _ in located if c.status != "D"]
    inside = [(c, n, v, project.tag_name(n, v)) for c, n, v in located if v is not None]
    versions = sorted({(n, v, tag) for _, n, v, tag in inside})
    info = gitcmd.object_info(project.root, [c.new_sha for c in staged]
                              + [f"refs/tags/{tag}" for _, _, tag in versions]
                              + [f"refs/tags/{tag}:{c.path}" for c, _, _, tag in inside])
    sizes = {c.path: i[2] for c, i in zip(staged, info) if i}
    tag_info = info[len(staged):len(staged) + len(versions)]
    for (name, version, tag), found in zip(versions, tag_info):
        if found:
            tasks[name].facts.released[version] = tag
    blob_info = info[len(staged) + len(versions):]
    tag_shas = {c.path: i[0] for (c, *_), i in zip(inside, blob_info) if i}
    return sizes, tag_shas


def _staged_blobs(root: Path, located: list, tasks: dict[str, _StagedTask],
                  sizes: dict[str, int], limit: int) -> dict[str, bytes | None]:
    """sha → content of the blobs the checks read, with one `cat-file --batch`: checkable
    files (not over the size limit), task.yaml at HEAD, the staged task.yaml of tasks
    with new version folders, and small weight files (git-lfs pointers)."""
    wanted = []
    for change, name, version in located:
        task, size = tasks.get(name), sizes.get(change.path)
        kind = _staged_kind(task, change)
        if kind and size is not None and size <= limit:
            wanted.append(change.new_sha)
            if kind == "task" and change.status != "A":
                wanted.append(change.old_sha)
        elif _is_weights(change.path) and size is not None and size <= _LFS_POINTER_MAX:
            wanted.append(change.new_sha)
        if version is not None and task.task_sha:
            wanted.append(task.task_sha)
    unique = list(dict.fromkeys(wanted))
    return dict(zip(unique, gitcmd.cat_files(root, unique)))


def _content_problems(kind: str, change, blob: bytes, blobs: dict, task: _StagedTask,
                      name: str) -> list[Problem]:
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Problem(change.path, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")]
    facts = None
    if kind == "task":
        facts = dataclasses.replace(task.facts, head_status=status_in(blobs.get(change.old_sha)))
    return check_text(kind, change.path, text, None if task.rel == "." else name, facts)


def _staged_folder_problems(located: list, tasks: dict[str, _StagedTask],
                            blobs: dict) -> list[Problem]:
    """Each new or changed version folder whose name the task's strategy refuses, once."""
    problems, seen = [], set()
    for change, name, version in located:
        if version is None or change.status == "D" or (name, version) in seen:
            continue
        seen.add((name, version))
        task = tasks[name]
        if version in task.facts.released:  # immutable; its changes are refused already
            continue
        strategy = _strategy_in(_task_data(blobs.get(task.task_sha)))
        folder = _join(task.rel, "versions", version) + "/"
        problem = version_folder_problem(folder, version, strategy) if strategy else None
        problems += [problem] if problem else []
    return problems


def _is_weights(path: str) -> bool:
    return "models" in PurePosixPath(path).parts[:-1] or path.endswith(WEIGHT_SUFFIXES)


def _file_problems(path: str, size: int | None, blob: bytes | None, limit: int,
                   limit_mb: float) -> list[Problem]:
    """Model weights and large files do not belong in git (git-lfs pointers do)."""
    if size is None:
        return []
    if _is_weights(path) and not (blob or b"").startswith(_LFS_POINTER):
        suffix = PurePosixPath(path).suffix
        pattern = f"*{suffix}" if suffix in WEIGHT_SUFFIXES else path
        return [Problem(path, "model weights do not belong in git (models/ folders and "
                        f"{', '.join('*' + s for s in WEIGHT_SUFFIXES)} files are refused); "
                        f"unstage with 'git rm --cached -- {path}' and keep them out with "
                        ".gitignore ('gittask init' ignores **/models/), or track them with "
                        f"git-lfs ('git lfs track \"{pattern}\"')")]
    if size > limit:
        return [Problem(path, f"{size / 1024 / 1024:.1f} MB staged, over the {limit_mb:g} MB "
                        "limit (max_file_mb in .gittask.yaml); unstage with "
                        f"'git rm --cached -- {path}' and add it to .gitignore, or track it "
                        f"with git-lfs ('git lfs track \"{path}\"')")]
    return []
