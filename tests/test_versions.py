"""Versions as git tags: draft, record, release, log, and everything a release refuses."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.builders import (SEED_V1_RESULTS, SEED_V2_RESULTS, ok, release_v1, release_v2,
                            seed_task, write_json, write_split)
from tests.conftest import Cli, git

T = "entity-sentiment"


@pytest.fixture
def task(cli, project):
    return seed_task(cli, project)


def state(project):
    """Everything a failed command must leave as it was."""
    return (git(project, "rev-parse", "HEAD"), git(project, "tag", "-l"),
            git(project, "status", "--porcelain", "--untracked-files=all"))


def test_draft_record_release_log(cli, project, task, tmp_path):
    result = ok(cli("draft", "-t", T))
    assert result.output.splitlines()[:2] == [
        "drafted entity-sentiment v1 (with a starter config) at entity-sentiment/versions/v1/",
        "status: created → configuring"]
    assert "base_model: Qwen/Qwen3-4B" in (task / "versions/v1/config.yaml").read_text()
    rec = ok(cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "-t", T))
    assert "recorded results for entity-sentiment v1: macro_f1 72.0%" in rec.output
    assert "status: configuring → evaluating" in rec.output
    rel = ok(cli("release", "-t", T))
    assert rel.output.startswith("released entity-sentiment@v1 at ")
    assert git(project, "cat-file", "-t", "entity-sentiment@v1") == "tag"
    assert git(project, "rev-parse", "entity-sentiment@v1^{commit}") == git(project, "rev-parse", "HEAD")
    assert git(project, "log", "-1", "--format=%s") == "entity-sentiment: release v1"
    assert git(project, "status", "--porcelain") == ""
    files = git(project, "ls-tree", "--name-only", "HEAD", f"{T}/versions/v1/").splitlines()
    assert [Path(f).name for f in files] == ["config.yaml", "data_snapshot.json", "lineage.yaml",
                                            "model_info.json", "results.json"]
    task_yaml = (task / "task.yaml").read_text()
    assert "version: v1  # 當前活動版本" in task_yaml and "status: evaluating" in task_yaml
    subject = git(project, "tag", "-l", "--format=%(contents:subject)", "entity-sentiment@v1")
    assert subject == "entity-sentiment v1: macro_f1 72.0%"
    log = ok(cli("log", T)).output
    assert "│ v1 (*)  │ 2026-01-05 │    72.0% │ initial version │" in log


def test_seed_lineage_reproduced(cli, project, task, tmp_path):
    release_v1(cli, project, tmp_path)
    release_v2(cli, project, tmp_path)
    lineage = yaml.safe_load((task / "versions/v2/lineage.yaml").read_text())
    assert list(lineage)[:10] == ["version", "created", "parent", "data", "config", "results",
                                  "model", "changes", "notes", "git"]
    assert lineage["version"] == "v2" and lineage["parent"] == "v1"
    data = lineage["data"]
    assert {k: data[k] for k in ("train_count", "valid_count", "test_count")} == \
        {"train_count": 700, "valid_count": 140, "test_count": 160}
    assert data["class_distribution"] == {"正面": 280, "負面": 245, "中立": 175}
    assert len(data["source_hash"]) == 12
    assert lineage["config"] == {"base_model": "Qwen/Qwen3-4B", "method": "sft",
                                 "lora": {"r": 64, "alpha": 128, "dropout": 0.05}, "epochs": 6,
                                 "learning_rate": "1e-5", "batch_size": 4}
    assert lineage["results"] == SEED_V2_RESULTS
    assert lineage["model"] == {"adapter_path": "models/adapter/v2", "merged_path": "models/merged/v2",
                                "gguf_path": "models/gguf/entity-sentiment-v2-q8_0.gguf",
                                "hf_repo": "org/entity-sentiment"}
    assert lineage["changes"] == ["lora.r: 32 → 64 (+100%)", "lora.alpha: 64 → 128 (+100%)",
                                  "epochs: 8 → 6 (-25%)", "train_count: 500 → 700 (+40%)",
                                  "valid_count: 100 → 140 (+40%)", "正面: 230 → 280 (+50)",
                                  "負面: 195 → 245 (+50)", "中立: 75 → 175 (+100)", "新增中立樣本 100 筆"]
    assert lineage["notes"] == "v2 主要針對中立類別的 F1 進行改善。\n中立 F1 從 62% 提升到 78.5%。\n"
    raw = (task / "versions/v2/lineage.yaml").read_text()
    assert "created: 2026-01-06T14:30:00\n" in raw and "notes: |\n" in raw and "\\u" not in raw
    commits = [c["subject"] for c in lineage["git"]["commits_since_parent"]]
    assert commits == ["entity-sentiment: data v2"]
    assert lineage["git"]["base_commit"] == git(project, "rev-parse", "HEAD~1")
    snap = json.loads((task / "versions/v2/data_snapshot.json").read_text())
    assert snap["splits"]["test"]["records"] == 160 and snap["splits"]["train"]["size"] > 0


def test_data_source_changes_are_generated(cli, project, task, tmp_path):
    release_v1(cli, project, tmp_path)
    source = task / "data_source.yaml"
    source.write_text(source.read_text().replace("sources: []", "sources:\n- {name: news-2026q1, kind: db}"))
    git(project, "commit", "-qam", "add provenance")
    ok(cli("draft", "-t", T))
    ok(cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "-t", T))
    out = ok(cli("release", "-t", T, "--dry-run")).output
    assert "- 'data_source.sources: [] → [{'name': 'news-2026q1', 'kind': 'db'}]'" in out or \
        "data_source.sources" in out
    assert state(project)[1] == "entity-sentiment@v1"


def test_log_md_json_and_pruned_worktree(cli, project, task, tmp_path):
    release_v1(cli, project, tmp_path)
    release_v2(cli, project, tmp_path)
    data = json.loads(ok(cli("log", T, "--json")).output)
    assert [v["version"] for v in data["versions"]] == ["v2", "v1"]
    assert data["versions"][0]["value"] == 0.815 and data["versions"][0]["active"] is True
    assert data["versions"][0]["summary"] == "lora↑, epochs↓, train↑, valid↑ (+4)"
    md = ok(cli("log", T, "--md")).output
    assert "| v2 (*) | 2026-01-05 | 81.5% ↑ | lora↑, epochs↓, train↑, valid↑ (+4) |" in md
    zh = ok(cli("log", T, "--lang", "zh-TW")).output
    assert "當前版本: v2" in zh and "│ v1     │ 2026-01-05 │    72.0% │ 初始版本" in zh
    subprocess.run(["rm", "-rf", str(task / "versions")], check=True)
    after = ok(cli("log", T, "--json")).output
    assert json.loads(after)["versions"] == data["versions"]
    listed = json.loads(ok(cli("list", "--json")).output)["tasks"][0]
    assert listed["value"] == 0.815


def test_release_refusals(cli, project, task, tmp_path):
    ok(cli("draft", "-t", T))
    before = state(project)
    missing = cli("release", "-t", T)
    assert missing.exit_code == 1
    assert "entity-sentiment v1 has no results.json" in missing.output
    assert "gittask record RESULTS.json" in missing.output and "--allow-no-results" in missing.output
    assert state(project) == before
    (task / "scripts" / "train.py").write_text("print('hi')\n")
    dirty = cli("release", "-t", T, "--allow-no-results")
    assert dirty.exit_code == 1
    assert "entity-sentiment has uncommitted changes outside versions/v1/: entity-sentiment/scripts/train.py" in dirty.output
    (task / "scripts" / "train.py").unlink()
    ok(cli("release", "-t", T, "--allow-no-results"))
    again = cli("draft", "v1", "-t", T)
    assert again.exit_code == 1 and "entity-sentiment@v1 is already released" in again.output
    bad = cli("draft", "v01", "-t", T)
    assert bad.exit_code == 1 and "invalid semantic version name 'v01'" in bad.output


def test_missing_parent_tag_says_how_to_fetch(cli, project, task, tmp_path):
    release_v1(cli, project, tmp_path)
    ok(cli("draft", "-t", T))
    ok(cli("record", str(write_json(tmp_path / "r.json", SEED_V2_RESULTS)), "-t", T))
    git(project, "tag", "-d", "entity-sentiment@v1")
    result = cli("release", "-t", T)
    assert result.exit_code == 1
    assert "the parent version's tag entity-sentiment@v1 is missing in this clone" in result.output
    assert "git fetch --tags" in result.output


@pytest.mark.parametrize("point", ["before-tag", "before-head"])
def test_fault_between_commit_and_tag_leaves_nothing(cli, project, task, tmp_path, monkeypatch, point):
    ok(cli("draft", "-t", T))
    ok(cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "-t", T))
    before = state(project)
    task_yaml = (task / "task.yaml").read_text()
    monkeypatch.setenv("GITTASK_FAULT", point)
    result = cli("release", "-t", T)
    assert result.exit_code == 1 and f"injected fault at {point}" in result.output
    assert state(project) == before
    assert (task / "task.yaml").read_text() == task_yaml
    assert not (task / "versions/v1/lineage.yaml").exists()
    monkeypatch.delenv("GITTASK_FAULT")
    ok(cli("release", "-t", T))


def test_racing_releases_end_with_one_tag(cli, project, task, tmp_path):
    """Two releases of the same version: exactly one tag, a clear error for the other."""
    from gittask.project import open_project
    from gittask.release import execute_release, plan_release
    from gittask.tasks import load_task

    ok(cli("draft", "-t", T))
    ok(cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "-t", T))
    p = open_project(project)
    first_task, second_task = load_task(p, T), load_task(p, T)
    first, second = plan_release(p, first_task, None), plan_release(p, second_task, None)
    execute_release(p, first_task, first)
    head = git(project, "rev-parse", "HEAD")
    from gittask.errors import GittaskError

    with pytest.raises(GittaskError) as err:
        execute_release(p, second_task, second)
    assert "entity-sentiment@v1" in err.value.message and "already exists" in err.value.message
    assert git(project, "tag", "-l") == "entity-sentiment@v1"
    assert git(project, "rev-parse", "HEAD") == head


def test_concurrent_processes_make_one_tag(cli, project, task, tmp_path):
    ok(cli("draft", "-t", T))
    ok(cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "-t", T))
    exe = str(Path(sys.executable).parent / "gittask")
    procs = [subprocess.Popen([exe, "release", "-t", T], cwd=project, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(p.wait(), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in outcomes) == [0, 1]
    loser = [err for code, err in outcomes if code == 1][0]
    # Which message depends on how far the winner got when the loser looked.
    assert any(m in loser for m in ("tag entity-sentiment@v1 already exists",
                                    "entity-sentiment has no drafted version",
                                    "the branch moved while releasing")), loser
    assert "Traceback" not in loser
    assert git(project, "tag", "-l") == "entity-sentiment@v1"
    assert git(project, "rev-list", "--count", "HEAD") == str(int(git(project, "rev-list", "--count", "entity-sentiment@v1")))


def test_push_sends_commit_and_tag(cli, project, task, tmp_path):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "-u", "origin", "main")
    ok(cli("draft", "-t", T))
    ok(cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "-t", T))
    out = ok(cli("release", "-t", T, "--push")).output
    assert "and pushed" in out
    assert git(remote, "rev-parse", "main") == git(project, "rev-parse", "HEAD")
    assert git(remote, "rev-parse", "entity-sentiment@v1^{commit}") == git(project, "rev-parse", "HEAD")


def test_record_validates_results(cli, project, task, tmp_path):
    ok(cli("draft", "-t", T))
    bad = cli("record", str(write_json(tmp_path / "r.json", {"macro_f1": 81.5})), "-t", T)
    assert bad.exit_code == 1 and "macro_f1: 81.5 is out of range" in bad.output
    no_metric = cli("record", str(write_json(tmp_path / "r.json", {"accuracy": 0.8})), "-t", T)
    assert "the task's primary metric 'macro_f1' is missing" in no_metric.output
    labels = cli("record", str(write_json(tmp_path / "r.json", {"macro_f1": 0.8, "per_class": {"好": {"f1": 0.8}}})), "-t", T)
    assert "per_class has label(s) 好 that the task does not define (正面, 負面, 中立)" in labels.output
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"id": 1, "gold": "正面", "pred": "正面"}\n{"id": 1, "gold": "正面"}\n')
    bad_preds = cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "--predictions", str(preds), "-t", T)
    assert f"{preds}:2:1: missing pred" in bad_preds.output
    assert not (task / "versions/v1/results.json").exists()
    missing = cli("record", str(tmp_path / "nope.json"), "-t", T)
    assert missing.exit_code == 1 and "nope.json: file not found" in missing.output


def test_next_names_and_strategies(cli, project, task, tmp_path):
    release_v1(cli, project, tmp_path)
    assert "drafted entity-sentiment v1.1" in ok(cli("draft", "--minor", "-t", T)).output
    assert "drafted entity-sentiment v2-exp" in ok(cli("draft", "--exp", "-t", T)).output
    several = cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "-t", T)
    assert several.exit_code == 1 and "several drafted versions: v1.1, v2-exp" in several.output
    ok(cli("new", "daily", "--strategy", "date"))
    write_split(project / "daily" / "data" / "train.jsonl", {"a": 3}, field="label")
    for split in ("valid", "test"):
        write_split(project / "daily" / "data" / f"{split}.jsonl", {"a": 1}, field="label")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "daily data")
    assert "drafted daily 2026-01-06 " in ok(cli("draft", "-t", "daily")).output
    ok(cli("release", "-t", "daily", "--allow-no-results"))
    assert "drafted daily 2026-01-06.2" in ok(cli("draft", "-t", "daily")).output
    assert git(project, "tag", "-l", "daily@*") == "daily@2026-01-06"


def test_unchanged_data_is_not_read_twice(cli, project, task, tmp_path):
    from gittask.project import open_project
    from gittask.snapshot import data_snapshot
    from gittask.tasks import load_task

    p = open_project(project)
    t = load_task(p, T)
    first, second = [], []
    snap1 = data_snapshot(p, t, first)
    snap2 = data_snapshot(p, t, second)
    assert len(first) == 3 and second == [] and snap1 == snap2
    write_split(task / "data" / "test.jsonl", {"正面": 61}, prefix="te")
    third = []
    data_snapshot(p, t, third)
    assert third == [str(task / "data" / "test.jsonl")]


def test_vague_change_lines_warn(cli, project, task, tmp_path):
    ok(cli("draft", "-t", T))
    ok(cli("record", str(write_json(tmp_path / "r.json", SEED_V1_RESULTS)), "-t", T))
    out = cli("release", "-t", T, "--change", "調整參數", "--change", "learning_rate 1e-5 → 5e-6")
    assert out.exit_code == 0
    assert "warning: vague change line: '調整參數'" in out.output
    assert "learning_rate 1e-5 → 5e-6'" not in out.output.split("warning")[1]


def test_cjk_config_values_and_labels(cli, project, tmp_path):
    ok(cli("new", "stance", "--labels", "支持,反對,中立", "--label-field", "立場"))
    t = project / "stance"
    write_split(t / "data" / "train.jsonl", {"支持": 3, "反對": 2}, field="立場")
    write_split(t / "data" / "valid.jsonl", {"支持": 1}, field="立場")
    write_split(t / "data" / "test.jsonl", {"反對": 1}, field="立場")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "data")
    ok(cli("draft", "-t", "stance"))
    config = t / "versions" / "v1" / "config.yaml"
    config.write_text(config.read_text() + "prompt_style: 繁體中文指令\n")
    ok(cli("release", "-t", "stance", "--allow-no-results", "-m", "第一版:立場偵測"))
    lineage = (t / "versions" / "v1" / "lineage.yaml").read_text()
    assert "prompt_style: 繁體中文指令" in lineage and "notes: 第一版:立場偵測" in lineage
    assert "支持: 3" in lineage and "立場" not in lineage.split("class_distribution")[0].split("data:")[1]


def test_release_seen_through_gitpython(cli, project, task, tmp_path):
    """An independent reader (GitPython) sees what gittask wrote: the annotated tag, its
    tagger date, and the release commit's tree."""
    import git as gitpython

    release_v1(cli, project, tmp_path)
    repo = gitpython.Repo(project)
    tag = repo.tags["entity-sentiment@v1"]
    assert tag.tag is not None and tag.tag.message.startswith("entity-sentiment v1: macro_f1 72.0%")
    assert tag.commit == repo.head.commit
    tree_files = {b.path for b in tag.commit.tree["entity-sentiment/versions/v1"].blobs}
    assert "entity-sentiment/versions/v1/lineage.yaml" in tree_files
    assert not repo.is_dirty(untracked_files=True)
