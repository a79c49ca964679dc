"""The pre-commit hook end to end: real `git commit`s through the installed hook, the
staged checks, install/uninstall with a foreign hook, and the pre-commit framework."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gittask import hooks
from tests.conftest import git

REPO = Path(__file__).resolve().parent.parent
TASK = "entity-sentiment"
V1 = f"{TASK}/versions/v1"


def run_commit(project: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """A real `git commit` (the hook runs); the test's environment is the user's."""
    return subprocess.run(["git", "commit", "-q", "-m", "change", *args], cwd=cwd or project,
                          capture_output=True, text=True)


def head(project: Path) -> str:
    return git(project, "rev-parse", "HEAD")


def write(project: Path, rel: str, text: str | bytes) -> Path:
    path = project / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def edit(project: Path, rel: str, old: str, new: str) -> None:
    path = project / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def release_v1(project: Path) -> None:
    """A released version made with plain git: the files committed, an annotated tag."""
    write(project, f"{V1}/config.yaml", "base_model: Qwen/Qwen3-4B\nlora:\n  r: 32\n")
    write(project, f"{V1}/results.json", json.dumps({"macro_f1": 0.72, "accuracy": 0.72}) + "\n")
    write(project, f"{V1}/predictions.jsonl", '{"id": "t-1", "gold": "正面", "pred": "正面"}\n')
    write(project, f"{V1}/lineage.yaml", "version: v1\nparent: null\n")
    write(project, f"{V1}/data_snapshot.json", "{}\n")
    write(project, f"{V1}/model_info.json", "{}\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "--no-verify", "-m", f"{TASK}: release v1")
    git(project, "tag", "-a", f"{TASK}@v1", "-m", "v1: macro_f1 72.0%")


@pytest.fixture
def hooked(cli, project) -> Path:
    """A project with one task, a released v1, and the hook installed."""
    assert cli("new", TASK, "--labels", "正面,負面,中立", "--label-field", "sentiment").exit_code == 0
    release_v1(project)
    result = cli("hooks", "install")
    assert result.exit_code == 0, result.output
    return project


def refused(project: Path, *commit_args: str) -> list[str]:
    """Commit, expect the hook to refuse it, and return its stderr lines."""
    before = head(project)
    proc = run_commit(project, *commit_args)
    assert proc.returncode == 1, proc.stderr
    assert head(project) == before
    return proc.stderr.splitlines()


# --- good commits --------------------------------------------------------------------

def test_good_commit_passes(hooked):
    write(hooked, f"{TASK}/versions/v2/config.yaml", "base_model: Qwen/Qwen3-4B\nlora:\n  r: 64\n")
    edit(hooked, f"{TASK}/task.yaml", "status: created", "status: configuring")
    edit(hooked, f"{TASK}/task.yaml", "version: null", "version: v2")
    edit(hooked, f"{TASK}/data_source.yaml", "sources: []", "sources:\n  - {name: news, kind: db}")
    git(hooked, "add", "-A")
    before = head(hooked)
    proc = run_commit(hooked)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert git(hooked, "rev-parse", "HEAD~1") == before


def test_commit_without_task_files_passes(hooked):
    write(hooked, "README.md", "# experiments\n")
    git(hooked, "add", "README.md")
    assert run_commit(hooked).returncode == 0


def test_active_version_may_be_released_only(hooked):
    """A version whose folder was pruned still exists as its tag."""
    git(hooked, "rm", "-q", "-r", V1)
    git(hooked, "commit", "-q", "--no-verify", "-m", "prune v1")
    edit(hooked, f"{TASK}/task.yaml", "version: null", "version: v1")
    git(hooked, "add", "-A")
    proc = run_commit(hooked)
    assert proc.returncode == 0, proc.stderr


def test_restoring_a_released_file_as_tagged_passes(hooked):
    """Adding a released file back with the tag's content (a merge, a restore) keeps
    the version unchanged, so it is allowed."""
    git(hooked, "rm", "-q", f"{V1}/results.json")
    git(hooked, "commit", "-q", "--no-verify", "-m", "lost it")
    git(hooked, "checkout", f"{TASK}@v1", "--", f"{V1}/results.json")
    assert run_commit(hooked).returncode == 0


def test_git_lfs_pointer_of_weights_passes(hooked):
    pointer = ("version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64
               + "\nsize 123456789\n")
    write(hooked, f"{TASK}/checkpoints/adapter.safetensors", pointer)
    git(hooked, "add", "-A")
    assert run_commit(hooked).returncode == 0


# --- each kind of bad file -------------------------------------------------------------

BAD = {
    "bad enum": (
        lambda p: edit(p, f"{TASK}/task.yaml", "status: created", "status: trainning"),
        "entity-sentiment/task.yaml:4:9: status: 'trainning' is not one of created, configuring, "
        "training, evaluating, deployed, archived (did you mean 'training'?)"),
    "unknown key": (
        lambda p: edit(p, f"{TASK}/task.yaml", "domain: general", "domian: general"),
        "entity-sentiment/task.yaml:8:1: domian: unknown key (did you mean 'domain'?); allowed: "
        "task_name, version, status, task_type, domain, language, description, input_template, "
        "output_format, success_criteria, execution, versioning, deploy, created, updated"),
    "illegal status change": (
        lambda p: edit(p, f"{TASK}/task.yaml", "status: created", "status: training"),
        "entity-sentiment/task.yaml:4:9: status: 'created' → 'training' is not a lifecycle step "
        "(allowed next states from 'created': configuring, archived); to move anyway, put back "
        "'status: created' and run 'gittask state training --force -t entity-sentiment'"),
    "version that does not exist": (
        lambda p: edit(p, f"{TASK}/task.yaml", "version: null", "version: v7"),
        "entity-sentiment/task.yaml:3:10: version: 'v7' names no version of this task: there is "
        "no versions/v7/ folder and no released tag; versions here: v1"),
    "modified released file": (
        lambda p: write(p, f"{V1}/results.json", '{"macro_f1": 0.99}\n'),
        "entity-sentiment/versions/v1/results.json: version v1 is released (tag "
        "entity-sentiment@v1) and immutable, but this commit modifies this file; restore it with "
        "'git checkout entity-sentiment@v1 -- entity-sentiment/versions/v1/results.json', and "
        "make changes in a new version ('gittask draft')"),
    "deleted released file": (
        lambda p: (p / V1 / "lineage.yaml").unlink(),
        "entity-sentiment/versions/v1/lineage.yaml: version v1 is released (tag "
        "entity-sentiment@v1) and immutable, but this commit deletes this file; restore it with "
        "'git checkout entity-sentiment@v1 -- entity-sentiment/versions/v1/lineage.yaml', and "
        "make changes in a new version ('gittask draft')"),
    "file added to a released version": (
        lambda p: write(p, f"{V1}/notes.md", "later thoughts\n"),
        "entity-sentiment/versions/v1/notes.md: version v1 is released (tag entity-sentiment@v1) "
        "and immutable, but this commit adds this file; unstage it with 'git rm --cached -- "
        "entity-sentiment/versions/v1/notes.md', and make changes in a new version "
        "('gittask draft')"),
    "staged .safetensors": (
        lambda p: write(p, f"{TASK}/checkpoints/adapter.safetensors", b"\0" * 64),
        "entity-sentiment/checkpoints/adapter.safetensors: model weights do not belong in git "
        "(models/ folders and *.safetensors, *.gguf, *.bin, *.pt, *.pth, *.ckpt files are "
        "refused); unstage with 'git rm --cached -- entity-sentiment/checkpoints/"
        "adapter.safetensors' and keep them out with .gitignore ('gittask init' ignores "
        "**/models/), or track them with git-lfs ('git lfs track \"*.safetensors\"')"),
    "file under models/": (
        lambda p: write(p, f"{TASK}/models/merged/v1/config.json", "{}\n"),
        "entity-sentiment/models/merged/v1/config.json: model weights do not belong in git "
        "(models/ folders and *.safetensors, *.gguf, *.bin, *.pt, *.pth, *.ckpt files are "
        "refused); unstage with 'git rm --cached -- entity-sentiment/models/merged/v1/"
        "config.json' and keep them out with .gitignore ('gittask init' ignores **/models/), "
        "or track them with git-lfs ('git lfs track \"entity-sentiment/models/merged/v1/"
        "config.json\"')"),
    "bad version folder name": (
        lambda p: write(p, f"{TASK}/versions/v02/config.yaml", "base_model: Qwen/Qwen3-4B\n"),
        "entity-sentiment/versions/v02/: version folder: invalid semantic version name 'v02': "
        "expected v{major}, v{major}.{minor}, or an experiment <version>-exp[N] (e.g. v1, v2, "
        "v2.1, v3-exp, v3-exp2); leading zeros would give one version two names: write v2 "
        "(rename it with git mv)"),
    "malformed results.json": (
        lambda p: write(p, f"{TASK}/versions/v2/results.json", '{"macro_f1": 0.8,\n  "accuracy": }\n'),
        "entity-sentiment/versions/v2/results.json:2:15: invalid JSON: Expecting value"),
    "results out of range": (
        lambda p: write(p, f"{TASK}/versions/v2/results.json", '{"macro_f1": 81.5}\n'),
        "entity-sentiment/versions/v2/results.json:1:2: macro_f1: 81.5 is out of range, expected "
        "from 0 to 1 (metrics are fractions: 0.815 means 81.5%)"),
    "bad predictions.jsonl line": (
        lambda p: write(p, f"{TASK}/versions/v2/predictions.jsonl",
                        '{"id": "t-1", "gold": "正面", "pred": "正面"}\n{"id": "t-2", "gold": "負面"}\n'),
        "entity-sentiment/versions/v2/predictions.jsonl:2:1: missing pred (each line needs id, "
        "gold and pred)"),
    "bad config.yaml": (
        lambda p: write(p, f"{TASK}/versions/v2/config.yaml", "base_model: Qwen/Qwen3-4B\nlora:\n  r: 0\n"),
        "entity-sentiment/versions/v2/config.yaml:3:6: lora.r: 0 is out of range, expected at "
        "least 1"),
    "bad data_source.yaml": (
        lambda p: edit(p, f"{TASK}/data_source.yaml", "label_field:", "labelfield:"),
        "entity-sentiment/data_source.yaml:6:1: labelfield: unknown key (did you mean "
        "'label_field'?); allowed: splits, label_field, id_field, text_field, sources, notes"),
    "lineage of another version": (
        lambda p: write(p, f"{TASK}/versions/v2/lineage.yaml", "version: v1\nparent: v1\n"),
        "entity-sentiment/versions/v2/lineage.yaml:1:10: version: 'v1' differs from its folder "
        "'v2': a version's lineage names that version"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_is_refused_with_its_message(hooked, case):
    make_bad, expected = BAD[case]
    make_bad(hooked)
    git(hooked, "add", "-A")
    git(hooked, "add", "-f", "--", ".")  # models/ is ignored: force it in, as a user might
    lines = refused(hooked)
    assert lines[0] == expected
    assert lines[-1] == ("gittask: 1 problem(s) in the staged files; fix them and stage again "
                         "(skip the check once with 'git commit --no-verify')")


def test_large_file_is_refused(hooked):
    write(hooked, ".gittask.yaml", "max_file_mb: 0.05\n")
    write(hooked, f"{TASK}/data/train.jsonl", '{"text": "x", "sentiment": "正面"}\n' * 2000)
    git(hooked, "add", "-A")
    assert refused(hooked)[0] == (
        "entity-sentiment/data/train.jsonl: 0.1 MB staged, over the 0.05 MB limit (max_file_mb "
        "in .gittask.yaml); unstage with 'git rm --cached -- entity-sentiment/data/train.jsonl' "
        "and add it to .gitignore, or track it with git-lfs ('git lfs track "
        "\"entity-sentiment/data/train.jsonl\"')")


def test_every_problem_is_reported(hooked):
    for make_bad, _ in (BAD["bad enum"], BAD["modified released file"], BAD["staged .safetensors"],
                        BAD["bad predictions.jsonl line"]):
        make_bad(hooked)
    git(hooked, "add", "-A")
    lines = refused(hooked)
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "entity-sentiment/checkpoints/adapter.safetensors", "entity-sentiment/task.yaml",
        "entity-sentiment/versions/v1/results.json", "entity-sentiment/versions/v2/predictions.jsonl"]
    assert lines[-1].startswith("gittask: 4 problem(s) in the staged files")


def test_status_moves_along_an_edge_pass(hooked):
    for old, new in (("created", "configuring"), ("configuring", "training"),
                     ("training", "archived")):
        edit(hooked, f"{TASK}/task.yaml", f"status: {old}", f"status: {new}")
        git(hooked, "add", "-A")
        proc = run_commit(hooked)
        assert proc.returncode == 0, proc.stderr


# --- what exactly is validated: the index the commit records ---------------------------

def test_only_staged_content_is_checked(hooked):
    """A broken working-tree file that is not staged does not block the commit."""
    write(hooked, f"{TASK}/versions/v2/config.yaml", "base_model: Qwen/Qwen3-4B\n")
    git(hooked, "add", "-A")
    write(hooked, f"{TASK}/versions/v2/config.yaml", "bad: [\n")
    assert run_commit(hooked).returncode == 0
    assert git(hooked, "show", f"HEAD:{TASK}/versions/v2/config.yaml") == "base_model: Qwen/Qwen3-4B"


def test_partial_commit_checks_what_it_commits(hooked):
    """`git commit PATH` records a temporary index (GIT_INDEX_FILE): the hook checks
    that one, not .git/index."""
    edit(hooked, f"{TASK}/task.yaml", "status: created", "status: trainning")
    git(hooked, "add", "-A")                          # bad, staged, but not committed below
    write(hooked, "notes.md", "fine\n")
    git(hooked, "add", "notes.md")
    proc = run_commit(hooked, "--", "notes.md")
    assert proc.returncode == 0, proc.stderr
    assert git(hooked, "diff", "--cached", "--name-only") == f"{TASK}/task.yaml"

    git(hooked, "reset", "-q")
    write(hooked, f"{V1}/results.json", '{"macro_f1": 0.99}\n')  # bad, committed by path
    lines = refused(hooked, "--", f"{TASK}/task.yaml", f"{V1}/results.json")
    assert [line.split(":")[0] for line in lines[:-1]] == [f"{TASK}/task.yaml",
                                                          f"{V1}/results.json"]


def test_commit_all_checks_unstaged_changes_it_takes(hooked):
    """`git commit -a` also records through a temporary index."""
    write(hooked, f"{V1}/results.json", '{"macro_f1": 0.99}\n')
    lines = refused(hooked, "-a")
    assert lines[0].startswith(f"{V1}/results.json: version v1 is released")


def test_commit_from_a_subdirectory(hooked):
    edit(hooked, f"{TASK}/task.yaml", "status: created", "status: trainning")
    git(hooked, "add", "-A")
    proc = run_commit(hooked, cwd=hooked / TASK / "data")
    assert proc.returncode == 1
    assert proc.stderr.startswith("entity-sentiment/task.yaml:4:9: status: 'trainning'")


def test_first_commit_of_a_repository_is_checked(tmp_path):
    """No HEAD yet: the staged files are compared with the empty tree."""
    from tests.conftest import Cli

    root = tmp_path / "fresh"
    git(tmp_path, "init", "-q", str(root))
    assert Cli(root)("hooks", "install").exit_code == 0
    write(root, "task.yaml", "task_name: fresh\nstatus: created\ntask_type: nre\n")
    git(root, "add", "-A")
    proc = run_commit(root)
    assert proc.returncode == 1
    assert proc.stderr.startswith("task.yaml:3:12: task_type: 'nre' is not one of classification")
    edit(root, "task.yaml", "nre", "ner")
    git(root, "add", "-A")
    assert run_commit(root).returncode == 0


def test_hook_imports_no_command_line_libraries(hooked):
    write(hooked, f"{TASK}/versions/v2/config.yaml", "base_model: Qwen/Qwen3-4B\n")
    git(hooked, "add", "-A")
    probe = ("import sys; from gittask.hooks import main; rc = main(['pre-commit']); "
             "print(rc, sorted({m.split('.')[0] for m in sys.modules} & "
             "{'typer', 'click', 'rich', 'git', 'huggingface_hub', 'gittask.cli'}))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=hooked, capture_output=True, text=True)
    assert proc.stdout.strip() == "0 []", proc.stderr


# --- gittask validate --staged ------------------------------------------------------------

def test_validate_staged_command(hooked, cli):
    BAD["modified released file"][0](hooked)
    write(hooked, f"{TASK}/versions/v2/results.json", '{"macro_f1": 81.5}\n')
    git(hooked, "add", "-A")
    write(hooked, f"{TASK}/versions/v2/results.json", '{"macro_f1": 0.815}\n')  # not staged
    result = cli("validate", "--staged")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        BAD["modified released file"][1], BAD["results out of range"][1],
        "error: 2 problem(s) in 2 staged file(s) checked"]
    data = json.loads(cli("validate", "--staged", "--json").output)
    assert data["ok"] is False and data["staged"] is True and data["files"] == 2
    assert [p["path"] for p in data["problems"]] == [f"{V1}/results.json",
                                                     f"{TASK}/versions/v2/results.json"]
    only = cli("validate", "--staged", f"{TASK}/versions/v2")
    assert only.output.splitlines()[0] == BAD["results out of range"][1]
    git(hooked, "reset", "-q", "--hard")
    clean = cli("validate", "--staged")
    assert clean.exit_code == 0 and clean.output == "0 staged file(s) checked, no problems\n"


def test_validate_working_tree_reports_changed_released_files(hooked, cli):
    write(hooked, f"{V1}/results.json", '{"macro_f1": 0.99}\n')
    (hooked / V1 / "lineage.yaml").unlink()
    write(hooked, f"{V1}/extra.txt", "x\n")
    result = cli("validate")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:3] == [
        "entity-sentiment/versions/v1/extra.txt: version v1 is released (tag entity-sentiment@v1) "
        "and immutable, but this file is added in the working tree; move it out of the version's "
        "folder, and make changes in a new version ('gittask draft')",
        "entity-sentiment/versions/v1/lineage.yaml: version v1 is released (tag "
        "entity-sentiment@v1) and immutable, but this file is deleted in the working tree; "
        "restore it with 'git checkout entity-sentiment@v1 -- "
        "entity-sentiment/versions/v1/lineage.yaml', and make changes in a new version "
        "('gittask draft')",
        "entity-sentiment/versions/v1/results.json: version v1 is released (tag "
        "entity-sentiment@v1) and immutable, but this file is modified in the working tree; "
        "restore it with 'git checkout entity-sentiment@v1 -- "
        "entity-sentiment/versions/v1/results.json', and make changes in a new version "
        "('gittask draft')"]
    assert cli("validate", f"{TASK}/data_source.yaml").exit_code == 0
    git(hooked, "checkout", "--", V1)
    (hooked / V1 / "extra.txt").unlink()
    assert cli("validate").exit_code == 0


def test_validate_working_tree_status_and_version(hooked, cli):
    edit(hooked, f"{TASK}/task.yaml", "status: created", "status: training")
    edit(hooked, f"{TASK}/task.yaml", "version: null", "version: v3")
    write(hooked, f"{TASK}/versions/3/config.yaml", "base_model: Qwen/Qwen3-4B\n")
    out = cli("validate").output.splitlines()
    assert out[0].startswith("entity-sentiment/task.yaml:3:10: version: 'v3' names no version")
    assert out[1].startswith("entity-sentiment/task.yaml:4:9: status: 'created' → 'training' "
                             "is not a lifecycle step")
    assert out[2].startswith("entity-sentiment/versions/3/: version folder: invalid semantic "
                             "version name '3'")


# --- install / uninstall -----------------------------------------------------------------

FOREIGN = "#!/bin/sh\necho \"foreign hook ran\" >&2\nexit ${FOREIGN_EXIT:-0}\n"


def foreign_hook(project: Path) -> Path:
    path = project / ".git" / "hooks" / "pre-commit"
    path.write_text(FOREIGN, encoding="utf-8")
    path.chmod(0o755)
    return path


def test_install_keeps_a_foreign_hook_which_still_runs(cli, project, monkeypatch):
    hook = foreign_hook(project)
    result = cli("hooks", "install")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "installed the gittask pre-commit hook: .git/hooks/pre-commit",
        "kept the previous hook as .git/hooks/pre-commit.legacy: it runs first, and its failure "
        "stops the commit",
        f"it checks each commit with {sys.executable} -m gittask.hooks"]
    assert hooks.is_ours(hook)
    assert (project / ".git/hooks/pre-commit.legacy").read_text() == FOREIGN

    write(project, "a.txt", "a\n")
    git(project, "add", "a.txt")
    ok = run_commit(project)
    assert ok.returncode == 0 and ok.stderr == "foreign hook ran\n"

    monkeypatch.setenv("FOREIGN_EXIT", "1")
    write(project, "b.txt", "b\n")
    git(project, "add", "b.txt")
    before = head(project)
    blocked = run_commit(project)
    assert blocked.returncode == 1 and blocked.stderr == "foreign hook ran\n"
    assert head(project) == before

    result = cli("hooks", "uninstall")
    assert result.output.splitlines() == [
        "removed the gittask pre-commit hook: .git/hooks/pre-commit",
        "restored the previous hook from pre-commit.legacy: .git/hooks/pre-commit"]
    assert hook.read_text() == FOREIGN and os.access(hook, os.X_OK)
    assert not (project / ".git/hooks/pre-commit.legacy").exists()
    assert cli("hooks", "uninstall").output == \
        "the pre-commit hook at .git/hooks/pre-commit is not gittask's: left alone\n"


def test_install_twice_is_idempotent(cli, project):
    foreign_hook(project)
    cli("hooks", "install")
    hook = project / ".git/hooks/pre-commit"
    first = hook.read_text()
    again = cli("hooks", "install")
    assert again.exit_code == 0
    assert again.output.splitlines()[0] == ("the gittask pre-commit hook is already installed: "
                                            ".git/hooks/pre-commit (refreshed)")
    assert hook.read_text() == first
    assert (project / ".git/hooks/pre-commit.legacy").read_text() == FOREIGN


def test_install_force_keeps_nothing(cli, project):
    foreign_hook(project)
    result = cli("hooks", "install", "--force")
    assert result.output.splitlines()[0] == ("replaced the existing pre-commit hook (--force): "
                                             ".git/hooks/pre-commit")
    assert not (project / ".git/hooks/pre-commit.legacy").exists()
    assert cli("hooks", "uninstall").output == \
        "removed the gittask pre-commit hook: .git/hooks/pre-commit\n"
    assert not (project / ".git/hooks/pre-commit").exists()
    assert cli("hooks", "uninstall").output == \
        "no pre-commit hook at .git/hooks/pre-commit: nothing to remove\n"


def test_install_respects_core_hooks_path(cli, project):
    git(project, "config", "core.hooksPath", "githooks")
    assert cli("hooks", "install").output.splitlines()[0] == \
        "installed the gittask pre-commit hook: githooks/pre-commit"
    assert hooks.is_ours(project / "githooks" / "pre-commit")
    write(project, f"{TASK}/task.yaml", "task_name: entity-sentiment\nstatus: nope\ntask_type: ner\n")
    git(project, "add", "-A")
    assert refused(project)[0].startswith("entity-sentiment/task.yaml:2:9: status: 'nope'")


def test_install_refuses_to_bury_the_pre_commit_framework(cli, project):
    hook = project / ".git/hooks/pre-commit"
    hook.write_text("#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n")
    result = cli("hooks", "install")
    assert result.exit_code == 1
    assert "is the pre-commit framework's hook" in result.output
    assert "hint: add gittask to .pre-commit-config.yaml instead (hook id gittask-validate)" in result.output


def test_hook_script_in_the_repository_is_the_template():
    """hooks/pre-commit is what `hooks install` writes, minus the interpreter's path."""
    assert (REPO / "hooks" / "pre-commit").read_text() == hooks.render("")
    assert os.access(REPO / "hooks" / "pre-commit", os.X_OK)


def test_copied_hook_script_finds_gittask_on_path(cli, project, monkeypatch):
    """Without an embedded interpreter the script runs `gittask` from PATH."""
    shutil.copy(REPO / "hooks" / "pre-commit", project / ".git/hooks/pre-commit")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    assert cli("new", TASK).exit_code == 0
    edit(project, f"{TASK}/task.yaml", "status: created", "status: trainning")
    git(project, "add", "-A")
    lines = refused(project)
    assert lines[0].startswith("entity-sentiment/task.yaml:4:9: status: 'trainning'")
    assert lines[-1] == "error: 1 problem(s) in 1 staged file(s) checked"


# --- the pre-commit framework ------------------------------------------------------------

def test_pre_commit_framework_runs_the_hook(cli, project, tmp_path, monkeypatch):
    """The real pre-commit, with this repository's .pre-commit-hooks.yaml from a local
    git repository (no network): `language: system` uses the installed gittask."""
    hook_repo = tmp_path / "gittask-hooks"
    hook_repo.mkdir()
    shutil.copy(REPO / ".pre-commit-hooks.yaml", hook_repo)
    git(hook_repo, "init", "-q")
    git(hook_repo, "add", ".")
    git(hook_repo, "commit", "-q", "-m", "hooks")
    rev = git(hook_repo, "rev-parse", "HEAD")

    assert cli("new", TASK).exit_code == 0
    write(project, ".pre-commit-config.yaml",
          f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n"
          "      - id: gittask-validate-system\n")
    git(project, "add", ".pre-commit-config.yaml")
    git(project, "commit", "-q", "--no-verify", "-m", "use pre-commit")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    installed = subprocess.run([*pre_commit, "install"], cwd=project, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr

    edit(project, f"{TASK}/task.yaml", "status: created", "status: configuring")
    git(project, "add", "-A")
    good = run_commit(project)
    assert good.returncode == 0, good.stdout + good.stderr
    # git sends a hook's output to stderr.
    assert "gittask validate....." in good.stderr and good.stderr.endswith("Passed\n")

    edit(project, f"{TASK}/task.yaml", "status: configuring", "status: created")
    git(project, "add", "-A")
    before = head(project)
    bad = run_commit(project)
    assert bad.returncode == 1
    assert head(project) == before
    assert "gittask validate....." in bad.stderr and "Failed" in bad.stderr
    assert ("entity-sentiment/task.yaml:4:9: status: 'configuring' → 'created' is not a "
            "lifecycle step") in bad.stderr

    # `pre-commit run` checks what is staged, as the commit would.
    ran = subprocess.run([*pre_commit, "run"], cwd=project, capture_output=True, text=True)
    assert ran.returncode == 1 and "'configuring' → 'created'" in ran.stdout


def test_commands_moves_commit_together(hooked, cli, tmp_path):
    """draft → configuring and record → evaluating leave task.yaml uncommitted; committing
    both moves at once is allowed, a move back to `created` is not."""
    from tests.builders import SEED_V1_RESULTS, write_json

    assert cli("draft", "-t", TASK).exit_code == 0
    assert cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "-t", TASK).exit_code == 0
    git(hooked, "add", "-A", TASK)
    git(hooked, "commit", "-qm", "v1 trained and evaluated")
    edit(hooked, f"{TASK}/task.yaml", "status: evaluating", "status: created")
    git(hooked, "add", f"{TASK}/task.yaml")
    refused = subprocess.run(["git", "commit", "-qm", "back"], cwd=hooked, capture_output=True, text=True)
    assert refused.returncode == 1
    assert "status: 'evaluating' → 'created' is not a lifecycle step" in refused.stderr
