"""Rollback, promote, prune and verify, on real repositories built through the CLI."""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from tests.conftest import git

ES = "entity-sentiment"
SD = "stance-detection"


# --- building histories ----------------------------------------------------------------

def ok(result):
    assert result.exit_code == 0, result.output
    return result


def rows(n: int, labels=("正面", "負面", "中立"), prefix="t") -> str:
    return "".join(json.dumps({"id": f"{prefix}-{i}", "text": f"文本{i}", "sentiment": labels[i % len(labels)]},
                              ensure_ascii=False) + "\n" for i in range(n))


def new_task(cli, project: Path, name: str = ES, train: int = 6) -> Path:
    ok(cli("new", name, "--labels", "正面,負面,中立", "--label-field", "sentiment"))
    task = project / name
    (task / "data" / "train.jsonl").write_text(rows(train), encoding="utf-8")
    (task / "data" / "valid.jsonl").write_text(rows(3, prefix="v"), encoding="utf-8")
    (task / "data" / "test.jsonl").write_text(rows(3, prefix="x"), encoding="utf-8")
    commit_all(project, f"{name}: data")
    return task


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-q", "--allow-empty", "-m", message)


def at(monkeypatch, moment: str) -> None:
    """Move gittask's clock and git's dates (tag dates come from the committer date)."""
    monkeypatch.setenv("GITTASK_NOW", moment)
    monkeypatch.setenv("GIT_AUTHOR_DATE", moment)
    monkeypatch.setenv("GIT_COMMITTER_DATE", moment)


def release(cli, tmp_path: Path, task: str, metric: float, version: str | None = None,
            exp: bool = False, artifacts: bool = False) -> str:
    """draft → (artifacts) → record → release, as a user does; returns the version."""
    args = ["draft", "-t", task] + ([version] if version else []) + (["--exp"] if exp else [])
    out = ok(cli(*args)).output
    version = out.split()[2]
    project = cli.cwd
    if artifacts:
        make_artifacts(project / task, task, version)
    results = tmp_path / f"results-{task}-{version}.json"
    results.write_text(json.dumps({"macro_f1": metric, "accuracy": metric}), encoding="utf-8")
    ok(cli("record", str(results), "-t", task, "--version", version))
    ok(cli("release", version, "-t", task))
    return version


def make_artifacts(task_dir: Path, task: str, version: str, content: bytes = b"weights") -> None:
    adapter = task_dir / "models" / "adapter" / version
    adapter.mkdir(parents=True, exist_ok=True)
    (adapter / "adapter_model.safetensors").write_bytes(content * 100)
    (adapter / "adapter_config.json").write_text('{"r": 32}')
    gguf = task_dir / "models" / "gguf" / f"{task}-{version}-q8_0.gguf"
    gguf.parent.mkdir(parents=True, exist_ok=True)
    gguf.write_bytes(content * 10)


def set_retention(project: Path, task: str, **values) -> None:
    path = project / task / "task.yaml"
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        lines = [l for l in text.splitlines(keepends=True) if l.strip().startswith(f"{key}:")]
        text = text.replace(lines[0], f"    {key}: {value}\n")
    path.write_text(text, encoding="utf-8")
    commit_all(project, f"{task}: retention")


def tree(project: Path, rev: str, path: str) -> dict[str, str]:
    """path → 'mode sha' of every file under path at rev."""
    out = git(project, "ls-tree", "-r", rev, "--", path)
    return {line.split("\t")[1]: " ".join(line.split("\t")[0].split()[::2]) for line in out.splitlines()}


def cells(output: str) -> list[list[str]]:
    """The rows of a box-drawn table, cells stripped (column widths are not the point)."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines() if line.startswith("│")]


def prune_plan(cli, *args) -> dict[str, tuple[str, str]]:
    data = json.loads(ok(cli("prune", "--json", *args)).output)
    return {d["version"]: (d["action"], d["rule"]) for t in data["tasks"] for d in t["versions"]}


# --- rollback ----------------------------------------------------------------------------

@pytest.fixture
def two_tasks(cli, project, tmp_path):
    """entity-sentiment v1 and v2 (more data, a new script, an executable script
    changed) beside stance-detection v1, and local model artifacts."""
    task = new_task(cli, project)
    new_task(cli, project, SD)
    (task / "scripts" / "train.sh").write_text("echo v1\n")
    (task / "scripts" / "train.sh").chmod(0o755)
    commit_all(project, "train script")
    release(cli, tmp_path, ES, 0.72)
    release(cli, tmp_path, SD, 0.60)
    (task / "data" / "train.jsonl").write_text(rows(9), encoding="utf-8")
    (task / "scripts" / "train.sh").write_text("echo v2\n")
    (task / "scripts" / "augment.py").write_text("print('more')\n")
    (task / "notes.md").write_text("added after v1\n")
    commit_all(project, "more data, augmentation")
    release(cli, tmp_path, ES, 0.815)
    (project / SD / "scripts" / "eval.py").write_text("print('sd')\n")
    commit_all(project, "stance: eval script")
    make_artifacts(task, ES, "v2")
    return task


def test_rollback_restores_exactly_the_tagged_files_of_that_task(cli, project, two_tasks):
    before = git(project, "rev-parse", "HEAD")
    sd_before = git(project, "rev-parse", f"HEAD:{SD}")
    result = ok(cli("rollback", "v1", "-t", ES))
    assert result.output.splitlines() == [
        "rolled back entity-sentiment v2 → v1: commit " + git(project, "rev-parse", "--short=12", "HEAD")
        + " 'rollback entity-sentiment to v1'",
        "  M entity-sentiment/data/train.jsonl",
        "  D entity-sentiment/notes.md",
        "  D entity-sentiment/scripts/augment.py",
        "  M entity-sentiment/scripts/train.sh",
        "  M entity-sentiment/task.yaml",
    ]
    # one new commit on top: history is not rewritten
    assert git(project, "log", "-1", "--format=%s") == "rollback entity-sentiment to v1"
    assert git(project, "rev-parse", "HEAD~1") == before
    assert git(project, "status", "--porcelain") == ""
    # every live file as at the tag (modes included), versions/ untouched
    live = lambda t: {p: v for p, v in t.items() if "/versions/" not in p and not p.endswith("task.yaml")}  # noqa: E731
    assert live(tree(project, "HEAD", ES)) == live(tree(project, f"{ES}@v1", ES))
    assert tree(project, "HEAD", f"{ES}/versions") == tree(project, "HEAD~1", f"{ES}/versions")
    assert (two_tasks / "scripts" / "train.sh").read_text() == "echo v1\n"
    assert (two_tasks / "scripts" / "train.sh").stat().st_mode & 0o111
    assert not (two_tasks / "scripts" / "augment.py").exists() and not (two_tasks / "notes.md").exists()
    assert (two_tasks / "versions" / "v2" / "lineage.yaml").is_file()
    # nothing else: the other task and ignored model artifacts are untouched
    assert git(project, "rev-parse", f"HEAD:{SD}") == sd_before
    changed = git(project, "diff", "--name-only", "HEAD~1", "HEAD").splitlines()
    assert all(p.startswith(f"{ES}/") and "/versions/" not in p for p in changed)
    assert (two_tasks / "models" / "adapter" / "v2" / "adapter_model.safetensors").is_file()
    # task.yaml: the tag's text, pointing at v1, the user's comments kept
    text = (two_tasks / "task.yaml").read_text(encoding="utf-8")
    assert "version: v1  # 當前活動版本" in text and "status: evaluating" in text
    tagged = git(project, "show", f"{ES}@v1:{ES}/task.yaml")
    assert [l for l in text.splitlines() if not l.startswith("updated:")] == \
        [l for l in tagged.splitlines() if not l.startswith("updated:")]


def test_rollback_keeps_other_tasks_uncommitted_work(cli, project, two_tasks):
    (project / SD / "data" / "train.jsonl").write_text("{}\n")
    ok(cli("rollback", "v1", "-t", ES))
    assert git(project, "diff", "--name-only") == f"{SD}/data/train.jsonl"   # still unstaged
    assert git(project, "diff", "--cached", "--name-only") == ""
    assert git(project, "diff", "--name-only", "HEAD~1", "HEAD").split("\n")[0].startswith(ES)


@pytest.mark.parametrize("dirty", ["modified", "untracked", "staged"])
def test_rollback_refuses_a_dirty_task(cli, project, two_tasks, dirty):
    head = git(project, "rev-parse", "HEAD")
    if dirty == "modified":
        (two_tasks / "data_source.yaml").write_text("splits: {}\n")
        path = f"{ES}/data_source.yaml"
    elif dirty == "untracked":
        (two_tasks / "scripts" / "wip.py").write_text("x = 1\n")
        path = f"{ES}/scripts/wip.py"
    else:
        (two_tasks / "notes.md").write_text("staged\n")
        git(project, "add", f"{ES}/notes.md")
        path = f"{ES}/notes.md"
    result = cli("rollback", "v1", "-t", ES)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: entity-sentiment has uncommitted changes: {path}",
        "hint: see them with 'git status -- entity-sentiment'; commit them, or set them aside with "
        "'git stash push --include-untracked -- entity-sentiment', then roll back again",
    ]
    assert git(project, "rev-parse", "HEAD") == head


def test_rollback_dry_run_and_json_change_nothing(cli, project, two_tasks):
    head = git(project, "rev-parse", "HEAD")
    result = ok(cli("rollback", f"{ES}@v1", "--dry-run"))
    assert result.output.splitlines()[0] == \
        "# dry run: rollback entity-sentiment v2 → v1 would change 5 file(s); nothing changed"
    assert result.output.splitlines()[-1] == "run without --dry-run to roll back"
    data = json.loads(ok(cli("rollback", "v1", "-t", ES, "--dry-run", "--json")).output)
    assert data == {"task": ES, "version": "v1", "tag": f"{ES}@v1", "previous": "v2", "status": None,
                    "changes": [{"path": f"{ES}/data/train.jsonl", "action": "restore"},
                                {"path": f"{ES}/notes.md", "action": "delete"},
                                {"path": f"{ES}/scripts/augment.py", "action": "delete"},
                                {"path": f"{ES}/scripts/train.sh", "action": "restore"},
                                {"path": f"{ES}/task.yaml", "action": "restore"}],
                    "deploy": False, "commit": None, "deployments": [], "dry_run": True}
    assert git(project, "rev-parse", "HEAD") == head and git(project, "status", "--porcelain") == ""


def test_rollback_is_all_or_nothing(cli, project, two_tasks, monkeypatch):
    head = git(project, "rev-parse", "HEAD")
    monkeypatch.setenv("GITTASK_FAULT", "rollback-before-head")
    result = cli("rollback", "v1", "-t", ES)
    assert result.exit_code == 1 and "injected fault at rollback-before-head" in result.output
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""
    assert (two_tasks / "notes.md").is_file()


def test_rollback_back_and_forth_and_noop(cli, project, two_tasks):
    ok(cli("rollback", "v1", "-t", ES))
    ok(cli("rollback", "v2", "-t", ES))
    assert (two_tasks / "scripts" / "augment.py").read_text() == "print('more')\n"
    assert (two_tasks / "scripts" / "train.sh").read_text() == "echo v2\n"
    assert "version: v2" in (two_tasks / "task.yaml").read_text()
    head = git(project, "rev-parse", "HEAD")
    again = ok(cli("rollback", "v2", "-t", ES))
    assert again.output.strip() == "entity-sentiment is already at v2: no file to restore"
    assert git(project, "rev-parse", "HEAD") == head


def test_rollback_errors(cli, project, two_tasks):
    result = cli("rollback", "v9", "-t", ES)
    assert result.exit_code == 1
    assert "error: entity-sentiment has no released version 'v9'" in result.output
    assert "hint: released versions of entity-sentiment: v1, v2" in result.output
    ok(cli("draft", "-t", ES))
    commit_all(project, "draft v3")
    draft = cli("rollback", "v3", "-t", ES)
    assert "entity-sentiment v3 is a draft, not a released version" in draft.output
    mixed = cli("rollback", f"{SD}@v1", "-t", ES)
    assert mixed.exit_code == 1 and "names task 'stance-detection' but -t says" in mixed.output


def test_rollback_deploy_without_a_deploy_backend_changes_nothing(cli, project, two_tasks, monkeypatch):
    monkeypatch.setitem(sys.modules, "gittask.deploy", types.ModuleType("gittask.deploy"))
    head = git(project, "rev-parse", "HEAD")
    result = cli("rollback", "v1", "-t", ES, "--deploy")
    assert result.exit_code == 1
    assert "error: rollback --deploy is not available" in result.output
    assert git(project, "rev-parse", "HEAD") == head


def test_rollback_deploy_repoints_and_moves_status(cli, project, two_tasks, monkeypatch):
    from gittask.deployments import Deployment

    calls = []
    fake = types.ModuleType("gittask.deploy")

    def repoint(project_, task, version):
        calls.append((task.name, version, git(project, "log", "-1", "--format=%s")))
        return [Deployment(task.name, version, "hub", "org/entity-sentiment", "abc", "2026-01-06T14:30:00", True)]

    fake.repoint = repoint
    monkeypatch.setitem(sys.modules, "gittask.deploy", fake)
    result = ok(cli("rollback", "v1", "-t", ES, "--deploy"))
    assert calls == [(ES, "v1", "rollback entity-sentiment to v1")]
    assert "status: evaluating → deployed" in result.output
    assert "re-pointed hub: org/entity-sentiment" in result.output
    assert "status: deployed" in (two_tasks / "task.yaml").read_text()


def test_log_shows_rollbacks(cli, project, two_tasks, monkeypatch):
    at(monkeypatch, "2026-01-08T09:00:00+00:00")
    ok(cli("rollback", "v1", "-t", ES))
    out = ok(cli("log", ES)).output
    lines = out.splitlines()
    assert lines[:2] == ["Task: entity-sentiment", "Active version: v1"]
    assert cells(out)[1:] == [
        ["↩ v1", "2026-01-08", "72.0%", "rollback v2 → v1"],
        ["v2", "2026-01-05", "81.5% ↑", "train↑, 中立↑, 正面↑, 負面↑"],
        ["v1 (*)", "2026-01-05", "72.0%", "initial version"],
    ]
    data = json.loads(ok(cli("log", ES, "--json")).output)
    assert [(r["kind"], r["version"]) for r in data["versions"]] == \
        [("rollback", "v1"), ("release", "v2"), ("release", "v1")]
    assert data["versions"][0]["from"] == "v2"
    assert json.loads(ok(cli("log", SD, "--json")).output)["versions"][0]["kind"] == "release"


# --- promote -----------------------------------------------------------------------------

def test_promote_makes_the_experiment_the_next_regular_version(cli, project, tmp_path):
    new_task(cli, project)
    release(cli, tmp_path, ES, 0.72)
    exp = release(cli, tmp_path, ES, 0.84, exp=True)
    assert exp == "v2-exp"
    exp_commit = git(project, "rev-list", "-n1", f"{ES}@v2-exp")
    head = git(project, "rev-parse", "HEAD")
    result = ok(cli("promote", "v2-exp", "-t", ES))
    sha = git(project, "rev-parse", "--short=12", "HEAD")
    assert result.output.strip() == (f"promoted entity-sentiment v2-exp → v2: entity-sentiment@v2 at {sha} "
                                     "(parent v1; v2-exp stays in history)")
    assert git(project, "log", "-1", "--format=%s") == "entity-sentiment: promote v2-exp to v2"
    assert git(project, "rev-parse", "HEAD~1") == head
    assert git(project, "rev-list", "-n1", f"{ES}@v2") == git(project, "rev-parse", "HEAD")
    assert git(project, "rev-list", "-n1", f"{ES}@v2-exp") == exp_commit  # the experiment stays
    assert git(project, "status", "--porcelain") == ""
    lineage = (project / ES / "versions" / "v2" / "lineage.yaml").read_text(encoding="utf-8")
    assert lineage.startswith("version: v2\ncreated: 2026-01-06T14:30:00\nparent: v1\npromoted_from: v2-exp\n")
    assert f"base_commit: {head}" in lineage and f"experiment_commit: {exp_commit}" in lineage
    for name in ("config.yaml", "results.json", "data_snapshot.json"):
        assert (project / ES / "versions" / "v2" / name).read_bytes() == \
            (project / ES / "versions" / "v2-exp" / name).read_bytes()
    info = json.loads((project / ES / "versions" / "v2" / "model_info.json").read_text())
    assert info["version"] == "v2" and info["hub_revision"] == "v2" and info["promoted_from"] == "v2-exp"
    assert info["artifacts"]["adapter_path"]["path"] == "models/adapter/v2-exp"
    assert "version: v2" in (project / ES / "task.yaml").read_text()
    tag_body = git(project, "tag", "-l", "--format=%(contents)", f"{ES}@v2")
    assert tag_body.startswith("entity-sentiment v2: macro_f1 84.0%") and "promoted_from: v2-exp" in tag_body
    log = json.loads(ok(cli("log", ES, "--json")).output)["versions"]
    assert [(r["version"], r["parent"], r["active"]) for r in log] == \
        [("v2-exp", "v1", False), ("v2", "v1", True), ("v1", None, False)]
    ok(cli("verify", "v2", "-t", ES))
    again = cli("promote", "v2-exp", "-t", ES)
    assert again.exit_code == 1 and "entity-sentiment v2-exp was already promoted to v2" in again.output


def test_promote_takes_the_next_free_name_and_refuses_regular_versions(cli, project, tmp_path):
    new_task(cli, project)
    release(cli, tmp_path, ES, 0.72)
    release(cli, tmp_path, ES, 0.80, exp=True)         # v2-exp
    release(cli, tmp_path, ES, 0.75)                   # v2: the base name is taken
    ok(cli("promote", "v2-exp", "-t", ES, "--dry-run"))
    assert git(project, "tag", "-l", f"{ES}@v3") == ""
    data = json.loads(ok(cli("promote", f"{ES}@v2-exp", "--json")).output)
    assert (data["version"], data["tag"], data["parent"]) == ("v3", f"{ES}@v3", "v1")
    regular = cli("promote", "v2", "-t", ES)
    assert regular.exit_code == 1
    assert "'v2' is not an experiment, so there is nothing to promote" in regular.output
    draft = cli("promote", "v4-exp", "-t", ES)
    assert draft.exit_code == 1 and "no released version 'v4-exp'" in draft.output


# --- retention ---------------------------------------------------------------------------

DAY0 = "2026-01-01T10:00:00+00:00"


def history(cli, project, tmp_path, monkeypatch, metrics, exps=()):
    """Regular versions v1…vN a day apart with the given metrics, plus experiments
    (released right after the regular version they follow, by index)."""
    new_task(cli, project)
    for i, metric in enumerate(metrics, start=1):
        at(monkeypatch, f"2026-01-{i:02d}T10:00:00+00:00")
        release(cli, tmp_path, ES, metric, artifacts=True)
        for after, exp_metric in exps:
            if after == i:
                at(monkeypatch, f"2026-01-{i:02d}T12:00:00+00:00")
                release(cli, tmp_path, ES, exp_metric, exp=True, artifacts=True)


def deploy_record(project: Path, version: str) -> None:
    from gittask import deployments
    from gittask.project import open_project

    proj = open_project(project)
    commit = git(project, "rev-list", "-n1", f"{ES}@{version}")
    deployments.record(proj, deployments.new(ES, version, "hub", "org/entity-sentiment", "abc", pointer=True), commit)


def test_plan_keeps_recent_best_and_active_and_frees_the_rest(cli, project, tmp_path, monkeypatch):
    history(cli, project, tmp_path, monkeypatch, [0.90, 0.70, 0.72, 0.74, 0.76, 0.78])
    at(monkeypatch, "2026-01-20T10:00:00+00:00")
    assert prune_plan(cli, ES) == {
        "v6": ("keep", "active"), "v5": ("keep", "recent"), "v4": ("keep", "recent"),
        "v3": ("remove", "old"), "v2": ("remove", "old"),
        "v1": ("keep", "best"),                       # the best is the oldest: still kept
    }
    out = ok(cli("prune", ES)).output
    assert cells(out) == [
        ["Version", "Action", "Rule", "Why", "Frees"],
        ["v6", "keep", "active", "active version (task.yaml)", "-"],
        ["v5", "keep", "recent", "one of the 3 most recent", "-"],
        ["v4", "keep", "recent", "one of the 3 most recent", "-"],
        ["v3", "remove", "old", "older than the 3 most recent (artifacts freed, tag kept)", "779 B"],
        ["v2", "remove", "old", "older than the 3 most recent (artifacts freed, tag kept)", "779 B"],
        ["v1", "keep", "best", "best macro_f1 90.0%", "-"],
    ]
    assert out.splitlines()[0] == ("entity-sentiment: keep_recent 3, deployed and best always kept, "
                                   "experiments cleaned after 7d")
    assert out.rstrip().splitlines()[-2:] == ["plan: remove 2 version(s), free 1.5 KiB",
                                              "nothing changed: run with --yes to apply"]
    assert (project / ES / "models" / "adapter" / "v2").is_dir()   # a plan changes nothing
    ok(cli("rollback", "v2", "-t", ES))
    assert prune_plan(cli, ES)["v2"] == ("keep", "active")


def test_plan_keep_recent_larger_than_the_history(cli, project, tmp_path, monkeypatch):
    history(cli, project, tmp_path, monkeypatch, [0.7, 0.8])
    set_retention(project, ES, keep_recent=10)
    assert prune_plan(cli, ES) == {"v2": ("keep", "best"), "v1": ("keep", "recent")}
    assert ok(cli("prune", ES)).output.rstrip().endswith("nothing to remove")


def test_plan_experiments_deployed_promoted_and_expired(cli, project, tmp_path, monkeypatch):
    history(cli, project, tmp_path, monkeypatch, [0.70, 0.72, 0.74],
            exps=[(1, 0.60), (2, 0.65), (3, 0.90)])
    # v2-exp, v3-exp, v4-exp, all long expired: v4-exp is the best, v2-exp gets
    # deployed, v3-exp is promoted
    deploy_record(project, "v2-exp")
    at(monkeypatch, "2026-01-03T13:00:00+00:00")
    promoted = ok(cli("promote", "v3-exp", "-t", ES)).output
    assert "v3-exp → v4" in promoted                # v3 is taken: the next free name
    at(monkeypatch, "2026-01-30T10:00:00+00:00")
    assert prune_plan(cli, ES) == {
        "v4": ("keep", "active"), "v4-exp": ("keep", "best"), "v3": ("keep", "recent"),
        "v3-exp": ("keep", "promoted"), "v2": ("keep", "recent"), "v2-exp": ("keep", "deployed"),
        "v1": ("remove", "old")}


def test_plan_expired_experiment_is_removed_with_tag_and_folder(cli, project, tmp_path, monkeypatch):
    history(cli, project, tmp_path, monkeypatch, [0.80, 0.82], exps=[(2, 0.70)])
    at(monkeypatch, "2026-01-20T10:00:00+00:00")
    ok(cli("rollback", "v2", "-t", ES))        # a release is active: back from the experiment
    data = json.loads(ok(cli("prune", ES, "--json")).output)
    exp = next(d for d in data["tasks"][0]["versions"] if d["version"] == "v3-exp")
    assert exp == {"version": "v3-exp", "kind": "experiment", "action": "remove", "rule": "expired",
                   "reason": "experiment 17d22h old ≥ 7d (tag, folder, artifacts removed)",
                   "tag": f"{ES}@v3-exp", "date": "2026-01-02T12:00:00+00:00",
                   "artifacts": ["models/adapter/v3-exp", "models/gguf/entity-sentiment-v3-exp-q8_0.gguf"],
                   "bytes": 779, "drop_tag": True, "drop_folder": True}
    assert data["tasks"][0]["retention"] == {"keep_recent": 3, "keep_deployed": True, "keep_best": True,
                                             "cleanup_exp_after": "7d"}
    assert data["applied"] is False and data["bytes_freed"] == 779


AGES = [  # cleanup_exp_after, now, decision for an experiment tagged 2026-01-01T12:00Z
    ("12h", "2026-01-01T23:59:00+00:00", ("keep", "young")),
    ("12h", "2026-01-02T00:00:00+00:00", ("remove", "expired")),
    ("7d", "2026-01-08T11:59:00+00:00", ("keep", "young")),
    ("7d", "2026-01-08T12:00:00+00:00", ("remove", "expired")),
    ("2w", "2026-01-15T11:00:00+00:00", ("keep", "young")),
    ("2w", "2026-01-16T10:00:00+00:00", ("remove", "expired")),
    ("1d12h", "2026-01-03T00:00:00+00:00", ("remove", "expired")),
    ("7d", "2026-01-08T21:00:00+09:00", ("remove", "expired")),   # 12:00Z in Tokyo time
]


def test_plan_experiment_age_against_cleanup_exp_after(cli, project, tmp_path, monkeypatch):
    history(cli, project, tmp_path, monkeypatch, [0.80], exps=[(1, 0.70)])   # v2-exp at 01-01 12:00Z
    ok(cli("rollback", "v1", "-t", ES))
    path = project / ES / "task.yaml"
    text = path.read_text(encoding="utf-8")
    for ttl, now, expected in AGES:
        path.write_text(text.replace("cleanup_exp_after: 7d", f"cleanup_exp_after: {ttl}"), encoding="utf-8")
        monkeypatch.setenv("GITTASK_NOW", now)
        assert prune_plan(cli, ES)["v2-exp"] == expected, (ttl, now)


def test_plan_warns_that_deployed_and_best_are_always_kept(cli, project, tmp_path, monkeypatch):
    history(cli, project, tmp_path, monkeypatch, [0.90, 0.70, 0.72])
    deploy_record(project, "v2")
    set_retention(project, ES, keep_recent=0, keep_deployed="false", keep_best="false")
    result = ok(cli("prune", ES))
    assert "warning: entity-sentiment: keep_deployed: false is ignored: deployed versions are always kept" in result.output
    assert prune_plan(cli, ES) == {"v3": ("keep", "active"), "v2": ("keep", "deployed"), "v1": ("keep", "best")}


def test_plan_rejects_a_bad_duration(cli, project, tmp_path, monkeypatch):
    history(cli, project, tmp_path, monkeypatch, [0.9])
    path = project / ES / "task.yaml"
    path.write_text(path.read_text().replace("cleanup_exp_after: 7d", "cleanup_exp_after: 7 days"))
    result = cli("prune", ES)
    assert result.exit_code == 1
    assert result.output.startswith("entity-sentiment/task.yaml:37:24: versioning.retention.cleanup_exp_after: "
                                    "'7 days' does not match")


def _listed(plan_json: dict):
    removals = [(t["task"], d) for t in plan_json["tasks"] for d in t["versions"] if d["action"] == "remove"]
    artifacts = {f"{task}/{a}" for task, d in removals for a in d["artifacts"]}
    tags = {d["tag"] for _, d in removals if d["drop_tag"]}
    folders = {f"{task}/versions/{d['version']}" for task, d in removals if d["drop_folder"]}
    return artifacts, tags, folders


def _all_artifacts(project: Path) -> set[str]:
    found = set()
    for task in (ES, SD):
        models = project / task / "models"
        for kind in ("adapter", "merged", "gguf"):
            if (models / kind).is_dir():
                found |= {f"{task}/models/{kind}/{p.name}" for p in (models / kind).iterdir()}
    return found


@pytest.fixture
def prunable(cli, project, tmp_path, monkeypatch):
    """v1 (best) … v5 with experiments v2-exp (expired), v5-exp (young), v4-exp
    (deployed and expired), and a bare remote holding every tag."""
    history(cli, project, tmp_path, monkeypatch, [0.90, 0.70, 0.72, 0.74, 0.76],
            exps=[(1, 0.60), (3, 0.61)])
    at(monkeypatch, "2026-01-09T10:00:00+00:00")
    release(cli, tmp_path, ES, 0.62, exp=True, artifacts=True)       # v6-exp, young
    ok(cli("rollback", "v5", "-t", ES))                                # v5 active again
    deploy_record(project, "v4-exp")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "main", "--tags")
    at(monkeypatch, "2026-01-10T10:00:00+00:00")
    return remote


def test_prune_yes_removes_exactly_what_the_plan_listed(cli, project, prunable):
    plan = json.loads(ok(cli("prune", ES, "--json")).output)
    assert {d["version"]: d["rule"] for d in plan["tasks"][0]["versions"]} == {
        "v6-exp": "young", "v5": "active", "v4-exp": "deployed", "v4": "recent", "v3": "recent",
        "v2-exp": "expired", "v2": "old", "v1": "best"}
    artifacts, tags, folders = _listed(plan)
    assert tags == {f"{ES}@v2-exp"} and folders == {f"{ES}/versions/v2-exp"}
    assert artifacts == {f"{ES}/models/adapter/v2", f"{ES}/models/gguf/{ES}-v2-q8_0.gguf",
                         f"{ES}/models/adapter/v2-exp", f"{ES}/models/gguf/{ES}-v2-exp-q8_0.gguf"}
    before_artifacts = _all_artifacts(project)
    before_tags = set(git(project, "tag", "-l").split())
    head = git(project, "rev-parse", "HEAD")
    result = ok(cli("prune", ES, "--yes"))
    assert _all_artifacts(project) == before_artifacts - artifacts
    assert set(git(project, "tag", "-l").split()) == before_tags - tags
    assert not (project / ES / "versions" / "v2-exp").exists()
    assert (project / ES / "versions" / "v2" / "lineage.yaml").is_file()     # regular: folder and tag stay
    assert git(project, "rev-parse", "HEAD~1") == head
    assert git(project, "log", "-1", "--format=%s") == "entity-sentiment: prune expired experiments v2-exp"
    assert git(project, "diff", "--name-only", "HEAD~1", "HEAD").splitlines() == \
        [f"{ES}/versions/v2-exp/{n}" for n in ("config.yaml", "data_snapshot.json", "lineage.yaml",
                                               "model_info.json", "results.json")]
    assert git(project, "status", "--porcelain") == ""
    lines = result.output.rstrip().splitlines()
    assert lines[-3:-1] == ["removed 2 version(s): freed 1.5 KiB",
                            "  entity-sentiment: dropped expired experiment folders in "
                            + git(project, "rev-parse", "--short=12", "HEAD")]
    assert lines[-1] == f"  deleted tags: {ES}@v2-exp"
    # on the remote nothing changed without --remote; a second run has nothing left to free
    assert f"{ES}@v2-exp" in git(prunable, "tag", "-l")
    again = json.loads(ok(cli("prune", ES, "--json")).output)
    assert _listed(again) == (set(), set(), set())


def test_prune_remote_deletes_the_tags_on_the_remote(cli, project, prunable):
    ok(cli("prune", ES, "--yes", "--remote"))
    remote_tags = set(git(prunable, "tag", "-l").split())
    assert f"{ES}@v2-exp" not in remote_tags
    assert {f"{ES}@v1", f"{ES}@v2", f"{ES}@v4-exp", f"{ES}@v6-exp"} <= remote_tags
    assert any(t.startswith(f"deploy/{ES}/v4-exp/") for t in remote_tags)


def test_prune_remote_without_a_remote_changes_nothing(cli, project, prunable):
    git(project, "remote", "remove", "origin")
    head, tags, artifacts = git(project, "rev-parse", "HEAD"), git(project, "tag", "-l"), _all_artifacts(project)
    result = cli("prune", ES, "--yes", "--remote")
    assert result.exit_code == 1
    assert result.output.splitlines() == ["error: no remote 'origin' to delete tags on",
                                          "hint: add it with 'git remote add origin URL', or leave out --remote"]
    assert (git(project, "rev-parse", "HEAD"), git(project, "tag", "-l"), _all_artifacts(project)) == \
        (head, tags, artifacts)


def test_prune_all_tasks(cli, project, tmp_path, monkeypatch):
    history(cli, project, tmp_path, monkeypatch, [0.9, 0.7, 0.71, 0.72, 0.73])
    new_task(cli, project, SD)
    release(cli, tmp_path, SD, 0.5)
    data = json.loads(ok(cli("prune", "--all", "--json")).output)
    assert [t["task"] for t in data["tasks"]] == [ES, SD]
    assert [d["version"] for d in data["tasks"][0]["versions"] if d["action"] == "remove"] == ["v2"]
    both = cli("prune", ES, "--all")
    assert both.exit_code == 1 and "give a TASK or --all, not both" in both.output


# --- verify ------------------------------------------------------------------------------

@pytest.fixture
def verified(cli, project, tmp_path, monkeypatch):
    new_task(cli, project)
    release(cli, tmp_path, ES, 0.72, artifacts=True)
    (project / ES / "data" / "train.jsonl").write_text(rows(9), encoding="utf-8")
    commit_all(project, "more data")
    release(cli, tmp_path, ES, 0.81, artifacts=True)
    return project / ES


def test_verify_ok(cli, project, verified):
    result = ok(cli("verify", "-t", ES))
    assert result.output.strip() == "entity-sentiment@v2: ok (3 data file(s), 2 artifact(s) checked)"
    out = ok(cli("verify", "--all", "-t", ES)).output
    assert "  note: entity-sentiment/data/train.jsonl: now the data of v2 (recorded in its snapshot)" in out
    data = json.loads(ok(cli("verify", "--all", "--json", "-t", ES)).output)
    assert data["ok"] is True and [v["version"] for v in data["versions"]] == ["v1", "v2"]
    assert set(data["versions"][0]) == {"task", "version", "tag", "ok", "mismatches", "notes", "checked"}


def test_verify_catches_a_changed_data_file(cli, project, verified):
    snap = json.loads((verified / "versions" / "v2" / "data_snapshot.json").read_text())["splits"]["train"]
    (verified / "data" / "train.jsonl").write_text(rows(9) + rows(1, prefix="new"), encoding="utf-8")
    from gittask.snapshot import scan_jsonl

    now = scan_jsonl(verified / "data" / "train.jsonl", "sentiment")
    result = cli("verify", "v2", "-t", ES)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "entity-sentiment@v2: 1 mismatch(es) (3 data file(s), 2 artifact(s) checked)",
        f"  entity-sentiment/data/train.jsonl: sha256, expected {snap['sha256'][:12]} ({snap['size']} bytes) "
        f"got {now['sha256'][:12]} ({now['size']} bytes)",
        "error: 1 mismatch(es) in 1 version(s)",
        "hint: restore what changed (git checkout TAG -- PATH for files in git, the artifacts from where "
        "they were built), or release a new version that records the change",
    ]
    data = json.loads(cli("verify", "v2", "-t", ES, "--json").stdout)
    assert data["ok"] is False
    assert data["versions"][0]["mismatches"][0]["path"] == f"{ES}/data/train.jsonl"


def test_verify_catches_a_changed_artifact(cli, project, verified):
    (verified / "models" / "gguf" / f"{ES}-v2-q8_0.gguf").write_bytes(b"tampered")
    (verified / "models" / "adapter" / "v2" / "extra.bin").write_bytes(b"x")
    result = cli("verify", "-t", ES)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "entity-sentiment@v2: 2 mismatch(es) (3 data file(s), 2 artifact(s) checked)"
    assert lines[1].startswith("  entity-sentiment/models/adapter/v2: adapter sha256, expected ")
    assert lines[1].endswith(" (709 bytes) got " + lines[1].split(" got ")[1]) and "(710 bytes)" in lines[1]
    assert lines[2].startswith("  entity-sentiment/models/gguf/entity-sentiment-v2-q8_0.gguf: gguf sha256, expected ")
    assert lines[2].endswith("(8 bytes)")


def test_verify_catches_a_released_file_edited(cli, project, verified):
    (verified / "versions" / "v1" / "config.yaml").write_text("epochs: 99\n")
    result = cli("verify", "v1", "-t", ES)
    assert result.exit_code == 1
    assert "  entity-sentiment/versions/v1/config.yaml: released file changed, expected the content " \
           "at entity-sentiment@v1 got modified" in result.output


def test_verify_catches_a_tag_moved_by_hand(cli, project, verified):
    v1_base = git(project, "rev-parse", f"{ES}@v1^{{commit}}~1")
    v2_commit = git(project, "rev-list", "-n1", f"{ES}@v2")
    v2_parent = git(project, "rev-parse", f"{v2_commit}~1")
    git(project, "tag", "-f", f"{ES}@v1", v2_commit)                   # lightweight, moved
    result = cli("verify", "v1", "-t", ES)
    assert result.exit_code == 1
    out = result.output
    assert "  entity-sentiment@v1: kind, expected an annotated tag made by gittask release got a lightweight " \
           "tag (made or moved by hand)" in out
    assert "  entity-sentiment@v1: tagged commit's parent (lineage git.base_commit; the tag was moved off " \
           f"the release commit), expected {v1_base[:12]} got {v2_parent[:12]}" in out
    assert "  entity-sentiment/task.yaml: version at entity-sentiment@v1, expected v1 got v2" in out
    # re-annotated by hand, on a later commit that still holds versions/v1/lineage.yaml
    (project / "README.md").write_text("later\n")
    commit_all(project, "later")
    git(project, "tag", "-f", "-a", f"{ES}@v1", "-m", "v1 again", "HEAD")
    out = cli("verify", "v1", "-t", ES).output
    assert "  entity-sentiment@v1: tag message, expected the release record of entity-sentiment@v1 got " \
           "message 'v1 again'" in out
    assert "the tag was moved off the release commit" in out
    assert cli("verify", "v2", "-t", ES).exit_code == 0


def test_verify_active_version_without_a_tag(cli, project, verified):
    git(project, "tag", "-d", f"{ES}@v2")
    result = cli("verify", "-t", ES)
    assert result.exit_code == 1
    assert "  entity-sentiment/task.yaml: version, expected a released version (tag entity-sentiment@v2) " \
           "got v2, which has no tag" in result.output
    unknown = cli("verify", "v7", "-t", ES)
    assert unknown.exit_code == 1 and "entity-sentiment has no released version 'v7'" in unknown.output


def test_verify_all_from_the_root_covers_every_task(cli, project, verified, tmp_path):
    new_task(cli, project, SD)
    release(cli, tmp_path, SD, 0.5)
    data = json.loads(ok(cli("verify", "--all", "--json")).output)
    assert [(v["task"], v["version"]) for v in data["versions"]] == [(ES, "v1"), (ES, "v2"), (SD, "v1")]


def test_maintenance_commands_have_help(cli):
    for name in ("rollback", "promote", "prune", "verify"):
        result = ok(cli(name, "--help"))
        assert "--json" in result.output
