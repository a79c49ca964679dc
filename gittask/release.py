"""Draft, record and release versions.

A release is all or nothing. The commit is built in a temporary index from blobs
written straight into the object store, the annotated tag is created on it (this is
where a second, racing release of the same version fails), and only then is HEAD moved
(compare-and-swap) and the working tree updated. A failure at any step before HEAD
moves leaves no tag, no commit on any branch and an untouched working tree.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gittask import clock, gitcmd, lifecycle, lineage, snapshot, versioning, versions, yamledit, yamlio
from gittask.errors import GitError, GittaskError, Problem, ValidationError
from gittask.project import TASK_FILE, Project
from gittask.tasks import DATA_SOURCE_FILE, Task, metric_value, update_task_file
from gittask.validate import check_predictions, check_text

STARTER_CONFIG = """# 訓練配置 (training config): copied to the next version by 'gittask draft'
base_model: Qwen/Qwen3-4B
method: sft
lora:
  r: 32
  alpha: 64
  dropout: 0.05
epochs: 8
learning_rate: 1e-5
batch_size: 4
"""


def fault(point: str) -> None:
    """Test hook: GITTASK_FAULT=<point> makes a release fail there, to prove that a
    failure at any step leaves nothing behind."""
    if os.environ.get("GITTASK_FAULT") == point:
        raise GittaskError(f"injected fault at {point}")


# --- draft -----------------------------------------------------------------------------

@dataclass
class Draft:
    task: str
    version: str
    parent: str | None
    path: Path
    status: tuple[str, str] | None


def draft(project: Project, task: Task, version: str | None = None, parent: str | None = None,
          major: bool = False, minor: bool = False, exp: bool = False) -> Draft:
    """Start a version: versions/<v>/config.yaml copied from the parent's, the parent
    recorded in versions/<v>/draft.yaml, status → configuring."""
    released = versions.release_map(project, task)
    existing = sorted(set(released) | set(versions.drafts(task, set())))
    if version is None:
        version = versioning.next_version(existing, task.strategy, major=major, minor=minor,
                                          exp=exp, today=clock.now().date())
    else:
        versioning.parse_version(version, task.strategy)
    if version in released:
        raise GittaskError(f"{task.name}@{version} is already released",
                           hint="released versions never change; draft a new one with "
                                "'gittask draft' (the next name is computed for you)")
    if task.path("versions", version).exists():
        raise GittaskError(f"{task.relpath('versions', version)} already exists",
                           hint=f"edit it, or release it with 'gittask release {version}'")
    parent = parent if parent is not None else task.version
    config = _parent_config(project, task, parent, released)
    vdir = task.path("versions", version)
    yamlio.write_atomic(vdir / "config.yaml", config)
    meta = {"parent": parent, "created": yamlio.Stamp(clock.stamp()), "changes": [], "notes": ""}
    yamlio.write_atomic(vdir / versions.DRAFT_FILE,
                        "# gittask draft: hand-written changes and notes go here; folded into "
                        "lineage.yaml at release\n" + yamlio.dump_yaml(meta))
    return Draft(task.name, version, parent, vdir, _move_status(task, "configuring"))


def _move_status(task: Task, target: str) -> tuple[str, str] | None:
    """The status move a command makes as work happens (left uncommitted, like the
    files the command wrote); (old, new), or None when there is none to make."""
    new = lifecycle.move_for_command(task.status, target)
    if new is None:
        return None
    old = task.status
    update_task_file(task, status=new)
    return old, new


def _parent_config(project: Project, task: Task, parent: str | None, released: dict) -> str:
    if parent is None:
        return STARTER_CONFIG
    if parent in released:
        blob = versions.read_files(project, task, parent, ("config.yaml",), released[parent])["config.yaml"]
        if blob is None:
            raise GittaskError(f"{task.name}@{parent} has no config.yaml")
        return blob.decode("utf-8")
    path = task.path("versions", parent, "config.yaml")
    if path.is_file():
        return path.read_text(encoding="utf-8")
    raise GittaskError(f"parent version '{parent}' of {task.name} is neither released nor drafted",
                       hint=_versions_hint(task, released))


def _versions_hint(task: Task, released: dict) -> str:
    names = list(released)
    return ("released versions: " + ", ".join(names)) if names else \
        "this task has no released versions; draft without --from to start from a starter config"


# --- record ----------------------------------------------------------------------------

def drafted_version(project: Project, task: Task, version: str | None) -> str:
    """The version a command acts on: the one given, else the only draft."""
    released = versions.release_map(project, task)
    if version:
        if version in released:
            raise GittaskError(f"{task.name}@{version} is released and immutable",
                               hint="draft a new version with 'gittask draft'")
        if not task.path("versions", version).is_dir():
            raise GittaskError(f"{task.name} has no drafted version '{version}'",
                               hint="start it with 'gittask draft " + version + "'")
        return version
    pending = versions.drafts(task, set(released))
    if len(pending) == 1:
        return pending[0]
    if not pending:
        raise GittaskError(f"{task.name} has no drafted version", hint="start one with 'gittask draft'")
    raise GittaskError(f"{task.name} has several drafted versions: {', '.join(pending)}",
                       hint="name the one you mean, e.g. --version " + pending[-1])


def record(project: Project, task: Task, results_path: Path, version: str | None = None,
           predictions_path: Path | None = None) -> dict:
    """Validate and attach results (and predictions) to the drafted version."""
    version = drafted_version(project, task, version)
    vdir = task.path("versions", version)
    results_text = yamlio.read_text(results_path, str(results_path))
    problems = check_text("results", str(results_path), results_text)
    predictions_text = None
    if predictions_path is not None:
        predictions_text = yamlio.read_text(predictions_path, str(predictions_path))
        problems += check_predictions(str(predictions_path), predictions_text)
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems, hint="fix the file and run 'gittask record' again")
    results = json.loads(results_text)
    if metric_value(results, task.primary_metric) is None:
        raise ValidationError([Problem(str(results_path), f"the task's primary metric "
                                       f"'{task.primary_metric}' is missing", 1, 1)],
                              hint="add it to the results, or change success_criteria.primary_metric")
    _check_labels(task, results, str(results_path))
    yamlio.write_atomic(vdir / "results.json", yamlio.dump_json(results))
    if predictions_text is not None:
        yamlio.write_atomic(vdir / "predictions.jsonl", predictions_text)
    return {"version": version, "results": results, "predictions": predictions_text is not None,
            "status": _move_status(task, "evaluating")}


def task_labels(task: Task) -> list[str] | None:
    """The label set: the `enum` in task.yaml's output_format schema, if any."""
    schema_ = (task.data.get("output_format") or {}).get("schema") or {}
    for spec in schema_.values() if isinstance(schema_, dict) else []:
        if isinstance(spec, dict) and isinstance(spec.get("enum"), list):
            return [str(x) for x in spec["enum"]]
    return None


def _check_labels(task: Task, results: dict, display: str) -> None:
    labels = task_labels(task)
    per_class = results.get("per_class") or {}
    if labels and per_class:
        unknown = [l for l in per_class if l not in labels]
        if unknown:
            raise ValidationError([Problem(display, f"per_class has label(s) {', '.join(unknown)} "
                                           f"that the task does not define ({', '.join(labels)})")],
                                  hint="fix the labels, or the enum in task.yaml output_format")


# --- release ---------------------------------------------------------------------------

@dataclass
class ReleasePlan:
    task: str
    version: str
    tag: str
    parent: str | None
    lineage: dict
    files: dict[str, str] = field(default_factory=dict)  # relpath → generated text
    warnings: list[str] = field(default_factory=list)
    commit: str | None = None
    pushed: bool = False


def plan_release(project: Project, task: Task, version: str | None, notes: str | None = None,
                 extra_changes: tuple[str, ...] = (), allow_no_results: bool = False) -> ReleasePlan:
    """Everything a release writes, computed without changing anything."""
    project.require_git()
    version = drafted_version(project, task, version)
    tag = project.tag_name(task.name, version)
    if gitcmd.rev_exists(project.root, f"refs/tags/{tag}"):
        raise GittaskError(f"tag {tag} already exists", hint="released versions never change; "
                           "draft a new version with 'gittask draft'")
    vdir = task.path("versions", version)
    draft_meta = versions.load_yaml(_read(vdir / versions.DRAFT_FILE)) or {}
    parent = draft_meta.get("parent")
    _refuse_dirty(project, task, version)
    config, results = _version_inputs(task, version, allow_no_results)
    parent_inputs = _parent_inputs(project, task, parent) if parent else None
    snap = snapshot.data_snapshot(project, task)
    source, _ = snapshot.load_data_source(task)
    current = {"config": config, "data_source": source, "snapshot": snap}
    changes = lineage.generated_changes(parent_inputs, current)
    hand = [str(c) for c in (draft_meta.get("changes") or [])] + list(extra_changes)
    warnings = [f"vague change line: '{line}' — say what changed and by how much "
                "(e.g. 'LoRA rank 32 → 64', '新增中立樣本 200 筆')" for line in hand if lineage.is_vague(line)]
    info = snapshot.model_info(task, version)
    notes = notes if notes is not None else draft_meta.get("notes") or ""
    if "\n" in notes.strip() and not notes.endswith("\n"):
        notes += "\n"  # a block like the seed's `notes: |`
    lin = _lineage(project, task, version, parent, snap, config, results, info,
                   changes + hand, notes)
    plan = ReleasePlan(task.name, version, tag, parent, lin, warnings=warnings)
    plan.files = {
        versions.version_relpath(task, version, "data_snapshot.json"): yamlio.dump_json(snap),
        versions.version_relpath(task, version, "model_info.json"): yamlio.dump_json(info),
        versions.version_relpath(task, version, "lineage.yaml"): yamlio.dump_yaml(lin),
    }
    return plan


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _refuse_dirty(project: Project, task: Task, version: str) -> None:
    own = versions.version_relpath(task, version) + "/"
    task_yaml = task.relpath(TASK_FILE)
    changed = [path for _, path in gitcmd.status_paths(project.root, [task.rel])]
    dirty = [path for path in changed if not path.startswith(own) and path != task_yaml]
    # draft and record leave their status edit in task.yaml; only other edits count.
    if task_yaml in changed and _task_yaml_has_user_edits(project, task):
        dirty.append(task_yaml)
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise GittaskError(f"{task.name} has uncommitted changes outside versions/{version}/: {shown}",
                           hint="commit or stash them first, so the release records exactly "
                                "what was trained ('git status' shows them)")


def _task_yaml_has_user_edits(project: Project, task: Task) -> bool:
    """task.yaml differs from HEAD in more than what gittask itself edits (status,
    updated), which draft and record leave uncommitted."""
    head = gitcmd.show_file(project.root, "HEAD", task.relpath(TASK_FILE))
    if head is None:
        return True
    current = task.path(TASK_FILE).read_text(encoding="utf-8")
    return _strip_keys(head.decode("utf-8")) != _strip_keys(current)


def _strip_keys(text: str) -> str:
    return "\n".join(l for l in text.splitlines() if not l.startswith(("status:", "updated:", "version:")))


def _version_inputs(task: Task, version: str, allow_no_results: bool) -> tuple[dict, dict | None]:
    vdir = task.path("versions", version)
    config_path = vdir / "config.yaml"
    display = versions.version_relpath(task, version, "config.yaml")
    if not config_path.is_file():
        raise GittaskError(f"{display} is missing", hint=f"create it, or start over with 'gittask draft'")
    problems = check_text("config", display, config_path.read_text(encoding="utf-8"))
    results = None
    results_path = vdir / "results.json"
    if results_path.is_file():
        rdisplay = versions.version_relpath(task, version, "results.json")
        problems += check_text("results", rdisplay, results_path.read_text(encoding="utf-8"))
        if not problems:
            results = json.loads(results_path.read_text(encoding="utf-8"))
    elif not allow_no_results:
        raise GittaskError(f"{task.name} {version} has no results.json",
                           hint="attach evaluation results with 'gittask record RESULTS.json', "
                                "or release without them using --allow-no-results")
    if problems:
        raise ValidationError(problems, hint="fix these files before releasing")
    return yamlio.load_data(config_path) or {}, results


def _parent_inputs(project: Project, task: Task, parent: str) -> dict:
    tag = project.tag_name(task.name, parent)
    if not gitcmd.rev_exists(project.root, f"refs/tags/{tag}"):
        raise GittaskError(f"the parent version's tag {tag} is missing in this clone",
                           hint="fetch tags with 'git fetch --tags' (in a shallow clone: "
                                "'git fetch --unshallow --tags'), or release the parent first")
    blobs = gitcmd.cat_files(project.root, [
        f"refs/tags/{tag}:{versions.version_relpath(task, parent, 'config.yaml')}",
        f"refs/tags/{tag}:{task.relpath(DATA_SOURCE_FILE)}",
        f"refs/tags/{tag}:{versions.version_relpath(task, parent, 'data_snapshot.json')}",
    ])
    return {"config": versions.load_yaml(blobs[0]), "data_source": versions.load_yaml(blobs[1]),
            "snapshot": versions.load_json(blobs[2])}


def _lineage(project, task, version, parent, snap, config, results, info, changes, notes) -> dict:
    """The seed's lineage sections, in the seed's order, plus where it came from in git."""
    head = gitcmd.head(project.root)
    since = _commits_since(project, task, parent, head)
    artifacts = info["artifacts"]
    return {
        "version": version,
        "created": yamlio.Stamp(clock.stamp()),
        "parent": parent,
        "data": snapshot.lineage_data(snap),
        "config": config,
        "results": results,
        "model": {"adapter_path": artifacts["adapter_path"]["path"],
                  "merged_path": artifacts["merged_path"]["path"],
                  "gguf_path": artifacts["gguf_path"]["path"],
                  "hf_repo": info.get("hf_repo")},
        "changes": changes,
        "notes": notes,
        "git": {"base_commit": head, "commits_since_parent": since},
    }


def _commits_since(project: Project, task: Task, parent: str | None, head: str | None) -> list[dict]:
    if head is None:
        return []
    rng = [f"refs/tags/{project.tag_name(task.name, parent)}..{head}"] if parent else [head]
    raw = gitcmd.out(project.root, "log", "--format=%H%x1f%s", *rng, "--", task.rel)
    return [{"commit": sha, "subject": subject}
            for sha, subject in (line.split("\x1f", 1) for line in raw.splitlines() if line)]


def tag_message(plan: ReleasePlan, task: Task) -> str:
    """Subject line for humans, then a YAML block that `log` reads back."""
    results = plan.lineage.get("results") or {}
    metric = task.primary_metric
    value = results.get(metric) if isinstance(results, dict) else None
    shown = f"{metric} {value * 100:.1f}%" if isinstance(value, (int, float)) else "no results"
    metrics = {k: v for k, v in results.items() if isinstance(v, (int, float)) and not isinstance(v, bool)} \
        if isinstance(results, dict) else {}
    block = {"task": task.name, "version": plan.version, "parent": plan.parent,
             "primary_metric": metric, "metrics": metrics, "changes": plan.lineage["changes"]}
    if plan.lineage.get("promoted_from"):
        block["promoted_from"] = plan.lineage["promoted_from"]
    return f"{task.name} {plan.version}: {shown}\n\n{yamlio.dump_yaml(block)}"


def execute_release(project: Project, task: Task, plan: ReleasePlan, push: bool = False) -> ReleasePlan:
    """Commit the generated files and task.yaml, tag the commit; all or nothing."""
    version = plan.version
    own = [versions.version_relpath(task, version, n) for n in
           ("config.yaml", "results.json", "predictions.jsonl")]
    draft_rel = versions.version_relpath(task, version, versions.DRAFT_FILE)
    old_head = gitcmd.head(project.root)
    contents = {**plan.files, task.relpath(TASK_FILE): released_task_yaml(task, version)}
    for rel in own:
        path = project.root / rel
        if path.is_file():
            contents[rel] = path.read_bytes()
    message = f"{task.name}: release {version}\n\n" + "\n".join(f"- {c}" for c in plan.lineage["changes"])
    commit = commit_contents(project, old_head, contents, [draft_rel], message)
    tag_and_advance(project, plan.tag, commit, old_head, tag_message(plan, task), "release")
    sync_worktree(project, contents, [draft_rel])
    plan.commit = commit
    if push:
        push_release(project, plan.tag)
        plan.pushed = True
    return plan


def tag_and_advance(project: Project, tag: str, commit: str, old_head: str | None,
                    message: str, action: str) -> None:
    """Create the annotated tag on `commit`, then move HEAD to it (compare-and-swap).
    The tag is the claim: a second, racing run of the same version fails there. If HEAD
    cannot move, our tag is deleted again, so a failure leaves neither."""
    fault("before-tag")
    try:
        gitcmd.create_tag(project.root, tag, commit, message)
    except GitError:
        if gitcmd.rev_exists(project.root, f"refs/tags/{tag}"):
            raise GittaskError(f"tag {tag} already exists: another {action} of this version "
                               "finished first", hint="see it with 'gittask log'") from None
        raise
    own_tag = gitcmd.out(project.root, "rev-parse", f"refs/tags/{tag}")
    try:
        fault("before-head")
        gitcmd.move_head(project.root, commit, old_head, f"gittask {action} {tag}")
    except GittaskError as exc:
        gitcmd.run(project.root, "update-ref", "-d", f"refs/tags/{tag}", own_tag, check=False)
        if isinstance(exc, GitError):
            raise GittaskError(f"the branch moved during the {action} (another commit was made)",
                               hint=f"nothing was changed; run 'gittask {action}' again") from None
        raise


def released_task_yaml(task: Task, version: str) -> str:
    """task.yaml with `version` pointing at the new version (the user's text kept)."""
    text = task.path(TASK_FILE).read_text(encoding="utf-8")
    text = yamledit.set_scalar(text, "version", version, after="task_name")
    return yamledit.set_scalar(text, "updated", clock.stamp())


def commit_contents(project: Project, parent: str | None, contents: dict[str, str | bytes],
                    removed: list[str], message: str) -> str:
    """A commit = `parent`'s tree + `contents` − `removed`, built without touching the
    real index or the working tree. Existing files keep their mode."""
    modes = gitcmd.file_modes(project.root, parent, list(contents)) if parent and contents else {}
    entries = []
    for rel, data in contents.items():
        raw = data.encode("utf-8") if isinstance(data, str) else data
        entries.append(gitcmd.TreeEntry(modes.get(rel, "100644"), gitcmd.write_blob(project.root, raw), rel))
    return gitcmd.commit_entries(project.root, parent, entries, removed, message)


def sync_worktree(project: Project, contents: dict[str, str | bytes], removed: list[str]) -> None:
    """Make the working tree and the index match the new commit for the paths it wrote."""
    for rel, data in contents.items():
        path = project.root / rel
        if not path.is_file() or path.read_bytes() != (data.encode() if isinstance(data, str) else data):
            yamlio.write_atomic(path, data)
    for rel in removed:
        (project.root / rel).unlink(missing_ok=True)
    gitcmd.run(project.root, "reset", "-q", "HEAD", "--", *contents, *removed)


def push_release(project: Project, tag: str) -> None:
    """Push the branch and the tag together (atomically where the remote supports it)."""
    branch = gitcmd.out(project.root, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    if not branch:
        raise GittaskError("HEAD is detached: cannot push the release commit",
                           hint="check out a branch, or push the tag yourself with 'git push origin " + tag + "'")
    remote = gitcmd.out(project.root, "config", f"branch.{branch}.remote", check=False) or "origin"
    if remote not in gitcmd.out(project.root, "remote").split():
        raise GittaskError(f"no remote '{remote}' to push to",
                           hint="add one with 'git remote add origin URL'; the release itself is "
                                f"done (tag {tag}), push later with 'git push --atomic origin {branch} {tag}'")
    try:
        gitcmd.run(project.root, "push", "--atomic", remote, f"HEAD:refs/heads/{branch}", f"refs/tags/{tag}")
    except GitError as exc:
        raise GittaskError(f"push failed: {exc.message}",
                           hint=f"the release is done locally (tag {tag}); fix the remote and run "
                                f"'git push --atomic {remote} {branch} {tag}'") from None
