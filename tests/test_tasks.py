"""The foundation: init, new, list, show, switch, state, schema, validate, demo."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gittask.output import width
from tests.conftest import Cli, git

SEED_DIR = Path(__file__).parent / "data"


def new(cli, name="entity-sentiment", *extra):
    result = cli("new", name, "--labels", "正面,負面,中立", "--label-field", "sentiment", *extra)
    assert result.exit_code == 0, result.output
    return result


def test_init_makes_repo_and_ignores_models(tmp_path):
    target = tmp_path / "p"
    result = Cli(tmp_path)("init", str(target))
    assert result.exit_code == 0
    assert "initialised a new git repository" in result.output
    assert (target / ".git").is_dir()
    assert "**/models/" in (target / ".gitignore").read_text()
    assert git(target, "log", "--format=%s") == "gittask init: keep model artifacts out of git"
    again = Cli(tmp_path)("init", str(target))
    assert "using the existing git repository" in again.output
    assert git(target, "rev-list", "--count", "HEAD") == "1"


def test_new_scaffolds_seed_layout_and_commits(cli, project):
    result = new(cli)
    assert "created task entity-sentiment" in result.output
    task = project / "entity-sentiment"
    for sub in ("versions", "data", "scripts", "models", "benchmarks"):
        assert (task / sub).is_dir()
    text = (task / "task.yaml").read_text()
    assert "status: created" in text and 'enum: ["正面", "負面", "中立"]' in text
    assert git(project, "log", "-1", "--format=%s") == "entity-sentiment: new task"
    assert git(project, "status", "--porcelain") == ""
    tracked = git(project, "ls-files", "entity-sentiment").splitlines()
    assert "entity-sentiment/task.yaml" in tracked and not any("models" in p for p in tracked)


@pytest.mark.parametrize("name,message", [
    ("Entity", "'Entity' is not a valid task name"),
    ("-x", "'-x' is not a valid task name"),
    ("情感", "'情感' is not a valid task name"),
])
def test_new_rejects_non_slugs(cli, name, message):
    result = cli("new", "--", name)
    assert result.exit_code == 1
    assert message in result.output and "hint: use lowercase letters" in result.output


def test_new_rejects_existing_name(cli):
    new(cli)
    result = cli("new", "entity-sentiment")
    assert result.exit_code == 1
    assert "a task named 'entity-sentiment' already exists" in result.output


def test_new_outside_a_repository(tmp_path):
    result = Cli(tmp_path)("new", "abc")
    assert result.exit_code == 1
    assert "is not a git repository" in result.output and "gittask init" in result.output


def write_results(project, task, version, results):
    vdir = project / task / "versions" / version
    vdir.mkdir(parents=True, exist_ok=True)
    (vdir / "results.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")


def set_version(project, task, version):
    path = project / task / "task.yaml"
    path.write_text(path.read_text().replace("version: null", f"version: {version}"), encoding="utf-8")


def test_list_table_json_and_missing_results(cli, project):
    new(cli)
    new(cli, "stance-detection")
    write_results(project, "entity-sentiment", "v2", {"macro_f1": 0.815, "accuracy": 0.82})
    set_version(project, "entity-sentiment", "v2")
    result = cli("list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[1].split("│")[1:-1] == [" Task             ", " Status  ", " Version ", " Macro-F1 ", " Updated    "]
    assert "│ entity-sentiment │ created │ v2      │    81.5% │ 2026-01-06 │" in lines
    assert "│ stance-detection │ created │ -       │        - │ 2026-01-06 │" in lines
    data = json.loads(cli("list", "--json").output)
    assert data["tasks"][0] == {"task": "entity-sentiment", "status": "created", "version": "v2",
                                "primary_metric": "macro_f1", "value": 0.815, "threshold": 0.8,
                                "updated": "2026-01-06", "error": None}


def test_list_filters_and_sorts(cli, project):
    for name in ("a-task", "b-task", "c-task"):
        new(cli, name)
    write_results(project, "a-task", "v1", {"macro_f1": 0.5})
    set_version(project, "a-task", "v1")
    write_results(project, "c-task", "v1", {"macro_f1": 0.9})
    set_version(project, "c-task", "v1")
    assert cli("state", "configuring", "-t", "b-task").exit_code == 0
    names = lambda out: [r["task"] for r in json.loads(out)["tasks"]]  # noqa: E731
    assert names(cli("list", "--json", "--sort", "metric").output) == ["c-task", "a-task", "b-task"]
    assert names(cli("list", "--json", "--status", "configuring").output) == ["b-task"]
    bad = cli("list", "--status", "trainning")
    assert bad.exit_code == 1 and "unknown status 'trainning'" in bad.output
    bad_sort = cli("list", "--sort", "size")
    assert bad_sort.exit_code == 1 and "cannot sort by 'size'" in bad_sort.output


def test_list_shows_a_broken_task_with_its_error(cli, project):
    new(cli)
    new(cli, "broken")
    (project / "broken" / "task.yaml").write_text("task_name: broken\nstatus: [unclosed\n")
    result = cli("list")
    assert result.exit_code == 0
    assert "│ broken           │ error" in result.output
    assert "broken/task.yaml:3:1: invalid YAML" in result.output
    data = json.loads(cli("list", "--json").output)
    assert data["tasks"][0]["error"].startswith("broken/task.yaml:3:1: invalid YAML")


def test_cjk_rows_stay_aligned(cli, project):
    new(cli)
    (project / "entity-sentiment" / "task.yaml").write_text(
        (project / "entity-sentiment" / "task.yaml").read_text().replace("status: created", "status: created"))
    from gittask.output import table

    rendered = table(["標籤", "F1"], [["正面", "86%"], ["中立類別很長", "78.5%"], ["x", "1%"]])
    widths = {width(line) for line in rendered.splitlines()}
    assert len(widths) == 1, rendered


def test_validate_reports_every_problem_with_positions(cli, project):
    new(cli)
    path = project / "entity-sentiment" / "task.yaml"
    text = path.read_text()
    text = text.replace("status: created", "status: trainning").replace("domain: general", "domian: general")
    text = text.replace("threshold: 0.8", "threshold: 80")
    path.write_text(text)
    result = cli("validate")
    assert result.exit_code == 1
    out = result.output
    assert "entity-sentiment/task.yaml:4:9: status: 'trainning' is not one of created, configuring, training, evaluating, deployed, archived (did you mean 'training'?)" in out
    assert "entity-sentiment/task.yaml:8:1: domian: unknown key (did you mean 'domain'?)" in out
    assert "success_criteria.threshold: 80 is out of range, expected from 0 to 1 (metrics are fractions: 0.815 means 81.5%)" in out
    assert "error: 3 problem(s)" in out


@pytest.mark.parametrize("content,expected", [
    ("task_name: entity-sentiment\nstatus: created\ntask_type: classification\nexecution: local\n",
     "task.yaml:4:12: execution: expected a mapping, got a string 'local'"),
    ("task_name: entity-sentiment\nstatus: created\n",
     "task.yaml:1:1: task_type: required key is missing"),
    ("task_name: entity-sentiment\nstatus: created\ntask_type: classification\nstatus: training\n",
     "task.yaml:4:1: duplicate key 'status'"),
    ("task_name: other\nstatus: created\ntask_type: classification\n",
     "task.yaml:1:12: task_name: 'other' differs from the directory name 'entity-sentiment'"),
    ("task_name: entity-sentiment\nstatus: created\ntask_type: classification\nexecution:\n  type: remote_ssh\n",
     "task.yaml:5:3: execution.host: required when execution.type is remote_ssh"),
    ("\tbad: [\n", "task.yaml:1:1: invalid YAML"),
])
def test_validate_task_errors(cli, project, content, expected):
    new(cli)
    (project / "entity-sentiment" / "task.yaml").write_text(content, encoding="utf-8")
    result = cli("validate", "entity-sentiment/task.yaml")
    assert result.exit_code == 1
    assert "entity-sentiment/" + expected in result.output


def test_seed_task_yaml_validates_as_written(cli, project):
    new(cli)
    from gittask.demo import SEED_TASK_YAML

    (project / "entity-sentiment" / "task.yaml").write_text(SEED_TASK_YAML, encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_validate_results_config_and_data_source(cli, project):
    new(cli)
    vdir = project / "entity-sentiment" / "versions" / "v1"
    vdir.mkdir(parents=True)
    (vdir / "results.json").write_text('{\n  "macro_f1": 81.5,\n  "per_class": {"正面": {"f1": "high"}}\n}\n')
    (vdir / "config.yaml").write_text("base_model: Qwen/Qwen3-4B\nlora:\n  r: 0\nlearning_rate: fast\n")
    ds = project / "entity-sentiment" / "data_source.yaml"
    ds.write_text(ds.read_text() + "labelfield: x\n")
    out = cli("validate").output
    assert "versions/v1/results.json:2:3: macro_f1: 81.5 is out of range" in out
    assert "per_class.正面.f1: expected a number, got a string 'high'" in out
    assert "versions/v1/config.yaml:3:6: lora.r: 0 is out of range, expected at least 1" in out
    assert "learning_rate: 'fast' does not match" in out
    assert "data_source.yaml:8:1: labelfield: unknown key (did you mean 'label_field'?)" in out


def test_show_reports_metric_against_threshold(cli, project):
    new(cli)
    write_results(project, "entity-sentiment", "v2", {"macro_f1": 0.815})
    set_version(project, "entity-sentiment", "v2")
    result = cli("show", "entity-sentiment")
    assert result.exit_code == 0
    assert "Macro-F1: 81.5% (threshold 80.0%)  meets the threshold" in result.output
    assert "Status:    created  (next: configuring, archived)" in result.output
    data = json.loads(cli("show", "entity-sentiment", "--json").output)
    assert data["meets_threshold"] is True and data["paths"]["task_yaml"].endswith("entity-sentiment/task.yaml")


def test_task_resolution_order(cli, project):
    new(cli)
    new(cli, "stance-detection")
    none = cli("show")
    assert none.exit_code == 1
    assert "which task?" in none.output and "tasks here: entity-sentiment, stance-detection" in none.output
    inside = cli("show", "--json", cwd=project / "stance-detection" / "data")
    assert json.loads(inside.output)["task"] == "stance-detection"
    assert cli("switch", "entity-sentiment").output.strip() == str(project / "entity-sentiment")
    assert json.loads(cli("show", "--json").output)["task"] == "entity-sentiment"
    unknown = cli("show", "nope")
    assert unknown.exit_code == 1 and "no task named 'nope'" in unknown.output


def test_switch_back_and_state_is_not_committed(cli, project):
    new(cli)
    new(cli, "stance-detection")
    cli("switch", "entity-sentiment")
    cli("switch", "stance-detection")
    assert cli("switch", "-").output.strip() == str(project / "entity-sentiment")
    assert cli("switch", "-").output.strip() == str(project / "stance-detection")
    assert git(project, "status", "--porcelain") == ""
    assert (project / ".git" / "gittask" / "state.json").is_file()


def test_shell_init_function_changes_directory(cli, project, tmp_path):
    new(cli)
    script = cli("shell-init", "bash").output
    exe = Path(sys.executable).parent / "gittask"
    run = subprocess.run(["bash", "-c", f'{script}\ncd "{project}"; gittask switch entity-sentiment >/dev/null; pwd'],
                         capture_output=True, text=True, env={"PATH": f"{exe.parent}:/usr/bin:/bin",
                                                              "HOME": str(tmp_path)})
    assert run.stdout.strip() == str(project / "entity-sentiment"), run.stderr
    assert "function gittask" in cli("shell-init", "fish").output
    assert cli("shell-init", "tcsh").exit_code == 1


def test_state_moves_follow_the_lifecycle(cli, project):
    new(cli)
    refused = cli("state", "training", "-t", "entity-sentiment")
    assert refused.exit_code == 1
    assert "cannot move from 'created' to 'training'" in refused.output
    assert "allowed next states from 'created': configuring, archived; use --force" in refused.output
    assert cli("state", "configuring", "-t", "entity-sentiment").output.strip() == "entity-sentiment: created → configuring"
    assert git(project, "log", "-1", "--format=%s") == "entity-sentiment: status created → configuring"
    typo = cli("state", "trainning", "-t", "entity-sentiment")
    assert "unknown state 'trainning' (did you mean 'training'?)" in typo.output
    forced = cli("state", "deployed", "--force", "-t", "entity-sentiment")
    assert forced.exit_code == 0


def test_state_edit_keeps_the_users_text(cli, project):
    """Editing the seed's task.yaml changes only the status and updated lines."""
    new(cli)
    from gittask.demo import SEED_TASK_YAML

    path = project / "entity-sentiment" / "task.yaml"
    path.write_text(SEED_TASK_YAML, encoding="utf-8")
    git(project, "commit", "-qam", "seed task")
    assert cli("state", "configuring", "-t", "entity-sentiment").exit_code == 0
    diff = git(project, "diff", "HEAD~1", "--unified=0", "--", "entity-sentiment/task.yaml")
    changed = [l for l in diff.splitlines() if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    assert changed == ["-status: created", "+status: configuring",
                       "-updated: 2026-01-05T10:00:00", "+updated: 2026-01-06T14:30:00"]


def test_schema_prints_json_schema(cli):
    data = json.loads(cli("schema", "task").output)
    assert data["properties"]["status"]["enum"][0] == "created"
    assert json.loads(cli("schema", "results").output)["title"].endswith("results.json")
    bad = cli("schema", "lineage-x")
    assert bad.exit_code == 1 and "kinds: task, data-source, config, results" in bad.output


def test_directory_option_and_errors(tmp_path, project):
    outside = Cli(tmp_path)
    result = outside("-C", str(project), "list", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["root"] == str(project)
    missing = outside("-C", str(tmp_path / "nowhere"), "list")
    assert missing.exit_code == 1 and "no such directory" in missing.output
    usage = outside("list", "--bogus")
    assert usage.exit_code == 2


def test_console_script_exit_codes_and_no_traceback(project):
    exe = Path(sys.executable).parent / "gittask"
    run = subprocess.run([str(exe), "state", "nope", "-t", "x"], cwd=project, capture_output=True, text=True)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stdout == "" and "no task named 'x'" in run.stderr
    debug = subprocess.run([str(exe), "--debug", "state", "nope", "-t", "x"], cwd=project,
                           capture_output=True, text=True)
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    module = subprocess.run([sys.executable, "-m", "gittask", "--version"], capture_output=True, text=True)
    assert module.stdout.strip().startswith("gittask ")


def test_demo_builds_the_seed_project(tmp_path):
    result = Cli(tmp_path)("demo", "demo")
    assert result.exit_code == 0, result.output
    out = result.output
    for row in ("│ entity-sentiment │ evaluating │ v2      │    81.5% │ 2026-01-06 │",
                "│ ner-finance      │ deployed   │ v3      │    76.2% │ 2026-01-05 │",
                "│ stance-detection │ training   │ v1      │        - │ 2026-01-06 │",
                "│ v2 (*)  │ 2026-01-06 │  81.5% ↑ │ lora↑, epochs↓, train↑, 正面↑ (+2) │",
                "│ v1      │ 2026-01-05 │    72.0% │ initial version                    │",
                "│ LoRA r      │  32 │  64 │  +100% │", "│ epochs      │   8 │   6 │   -25% │",
                "│ train_count │ 500 │ 700 │   +40% │", "│ 中立 F1  │ 62.0% │ 78.5% │ +16.5 pt │",
                "Verdict: v2 is significantly better: adopt v2."):
        assert row in out
    demo = tmp_path / "demo"
    assert git(demo, "tag", "-l", "entity-sentiment@*").split() == ["entity-sentiment@v1", "entity-sentiment@v2"]
    assert git(demo, "status", "--porcelain") == ""
    assert (demo / "entity-sentiment/versions/v2/predictions.jsonl").is_file()
    validate = Cli(demo)("validate")
    assert validate.exit_code == 0, validate.output
    again = Cli(tmp_path)("demo", "demo")
    assert again.exit_code == 1 and "exists and is not empty" in again.output
