"""gittask deploy against the local Hub and Ollama servers, with the real clients."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.builders import ok, release_v1, release_v2, seed_task
from tests.conftest import Cli, git
from tests.servers.fixtures import hub_server, make_adapter, make_gguf, ollama_server  # noqa: F401

ES = "entity-sentiment"
REPO = "org/entity-sentiment"
MODEL = "org/entity-sentiment"
BAD_TOKEN = "hf_" + "Zq8" * 12  # the shape of a real token: scrubbed from every message


def artifacts(task: Path, version: str, seed: int = 0) -> None:
    """The model files training would have written for `version` (never in git)."""
    make_adapter(task / "models" / "adapter" / version, base_model="Qwen/Qwen3-4B", seed=seed)
    make_gguf(task / "models" / "gguf" / f"{ES}-{version}-q8_0.gguf", version=version)


@pytest.fixture
def released(cli, project, tmp_path):
    """entity-sentiment with v1 and v2 released; their artifacts exist and were
    recorded (sha256) in model_info.json at release."""
    task = seed_task(cli, project)
    artifacts(task, "v1", seed=1)
    release_v1(cli, project, tmp_path)
    artifacts(task, "v2", seed=2)
    release_v2(cli, project, tmp_path)
    return task


@pytest.fixture
def servers(hub_server, ollama_server):  # noqa: F811
    return hub_server, ollama_server


def hub_git(server, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(server.repo_path(REPO)), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def hub_files(server, rev: str) -> set[str]:
    return set(hub_git(server, "ls-tree", "-r", "--name-only", rev).splitlines())


def records(project: Path) -> list[str]:
    return git(project, "tag", "-l", "deploy/*").splitlines()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nothing_recorded(project: Path, head: str) -> None:
    """No deployment record, no status commit, task.yaml untouched."""
    assert records(project) == []
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""
    assert "status: evaluating" in (project / ES / "task.yaml").read_text(encoding="utf-8")


# --- the first deploy -----------------------------------------------------------------------

def test_first_deploy_puts_the_version_on_the_hub_and_ollama_and_records_it(cli, project, released, servers, tmp_path):
    hub, oll = servers
    result = ok(cli("deploy", "-t", ES))

    lines = result.output.splitlines()
    commit = hub_git(hub, "rev-parse", "v2^{commit}")
    digest = oll.models[f"registry.ollama.ai/{MODEL}:v2"].digest
    assert lines[0] == f"hub: uploaded 2 file(s) and the model card to {REPO} main ({commit[:12]}), tagged v2"
    assert lines[1] == f"ollama: created {MODEL}:v2 (digest {digest[:12]})"
    assert lines[2:4] == [f"recorded deploy/{ES}/v2/hub-20260106T143000",
                          f"recorded deploy/{ES}/v2/ollama-20260106T143000"]
    assert lines[4].startswith("status: evaluating → deployed (") and lines[4].endswith(f"deploy {ES} v2)")

    # The Hub tag holds exactly the version's files, byte for byte, at the commit main got.
    assert hub_git(hub, "rev-parse", "main") == commit
    assert hub_files(hub, "v2") == {".gitattributes", "README.md", "adapter_config.json", "adapter_model.safetensors"}
    from huggingface_hub import hf_hub_download

    for name in ("adapter_config.json", "adapter_model.safetensors"):
        got = hf_hub_download(REPO, name, revision="v2", cache_dir=tmp_path / "cache")
        assert Path(got).read_bytes() == (released / "models" / "adapter" / "v2" / name).read_bytes()

    # What is deployed where is in git: one record per target on the release commit.
    from gittask.deployments import deployments
    from gittask.project import open_project

    deps = {d.target: d for d in deployments(open_project(project), ES)}
    release_commit = git(project, "rev-parse", f"{ES}@v2^{{commit}}")
    assert (deps["hub"].location, deps["hub"].ref, deps["hub"].pointer) == (REPO, commit, True)
    assert (deps["ollama"].location, deps["ollama"].ref, deps["ollama"].pointer) == (f"{MODEL}:v2", digest, False)
    assert deps["hub"].extra["hub_tag"] == "v2"
    assert {git(project, "rev-parse", f"{d.tag}^{{commit}}") for d in deps.values()} == {release_commit}
    assert git(project, "log", "-1", "--format=%s") == f"deploy {ES} v2"
    assert "status: deployed" in (released / "task.yaml").read_text(encoding="utf-8")
    assert git(project, "status", "--porcelain") == ""


def test_the_model_card_carries_the_lineage_and_the_hub_metadata(cli, project, released, servers):
    from huggingface_hub import ModelCard

    ok(cli("deploy", "-t", ES, "--no-ollama"))
    card = ModelCard.load(REPO)

    data = card.data
    assert data.base_model == "Qwen/Qwen3-4B"
    assert data.to_dict()["base_model_relation"] == "adapter"
    assert data.library_name == "peft"
    assert data.language == ["zh"]
    assert data.pipeline_tag == "text-generation"
    assert "gittask" in data.tags and "lora" in data.tags
    results = {(r.metric_name, r.metric_config): r.metric_value for r in data.eval_results}
    assert results[("macro_f1", "macro")] == 0.815
    assert results[("accuracy", None)] == 0.82
    assert results[("f1 (中立)", "中立")] == 0.785
    assert {r.task_type for r in data.eval_results} == {"text-classification"}
    assert data.eval_results[0].dataset_revision  # the data's source hash
    text = card.text
    assert "# entity-sentiment v2" in text and "`entity-sentiment@v2`" in text
    assert "| **macro_f1** | 81.5% |" in text
    assert "- 新增中立樣本 100 筆" in text and "- lora.r: 32 → 64 (+100%)" in text
    assert "中立 F1 從 62% 提升到 78.5%。" in text  # notes, as text
    assert "- parent: `v1`" in text and "train 700" in text
    assert "\\u" not in card.content


def test_the_ollama_model_gets_the_template_system_prompt_and_parameters(cli, project, released, servers):
    import ollama

    ok(cli("deploy", "-t", ES, "--no-hub"))
    shown = ollama.Client().show(f"{MODEL}:v2")

    assert shown.template == "{{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}"
    assert shown.parameters.split() == ["temperature", "0"]
    assert shown.modelinfo["gittask.version"] == "v2"
    assert 'SYSTEM """Task: entity-sentiment (classification, finance, zh-TW).' in shown.modelfile
    assert "sentiment: one of 正面, 負面, 中立" in shown.modelfile
    assert '"enum": ["正面", "負面", "中立"]' in shown.modelfile


# --- re-deploying, conflicts ---------------------------------------------------------------

def test_deploying_the_same_version_again_changes_nothing(cli, project, released, servers):
    hub, oll = servers
    ok(cli("deploy", "-t", ES))
    head, tags, hub_head = git(project, "rev-parse", "HEAD"), records(project), hub_git(hub, "rev-parse", "main")
    commits = hub.calls.count("commit")

    result = ok(cli("deploy", "-t", ES))

    digest = oll.models[f"registry.ollama.ai/{MODEL}:v2"].digest
    assert result.output.splitlines() == [
        f"hub: {REPO} already has tag v2 at {hub_head[:12]} with these files: nothing to upload",
        f"ollama: {MODEL}:v2 is unchanged (digest {digest[:12]})",
        f"nothing changed: {ES} v2 is already deployed there",
    ]
    assert hub.calls.count("commit") == commits and "create_tag" in hub.calls
    assert hub_git(hub, "rev-parse", "main") == hub_head
    assert "blob_upload" in oll.calls and oll.calls.count("blob_upload") == 1  # HEAD found the blob
    assert records(project) == tags and git(project, "rev-parse", "HEAD") == head


def test_a_hub_tag_on_other_files_is_refused(cli, project, released, servers, tmp_path):
    from huggingface_hub import HfApi

    hub, _ = servers
    api = HfApi(endpoint=hub.url)
    api.create_repo(REPO)
    other = make_adapter(tmp_path / "other", base_model="Qwen/Qwen3-4B", seed=99)
    api.create_tag(REPO, tag="v2", revision=api.upload_folder(repo_id=REPO, folder_path=other).oid)
    head = git(project, "rev-parse", "HEAD")

    result = cli("deploy", "-t", ES)

    assert result.exit_code == 1
    tagged = hub_git(hub, "rev-parse", "v2^{commit}")
    assert (f"error: the Hub repo {REPO} already has a tag v2 at {tagged[:12]} with different files "
            "(adapter_model.safetensors)") in result.output
    assert "hint: a version name must mean one model" in result.output
    assert hub_git(hub, "rev-parse", "main") == tagged  # nothing uploaded over it
    nothing_recorded(project, head)


def test_an_ollama_tag_from_another_gguf_is_refused(cli, project, released, servers, tmp_path):
    import ollama

    _, oll = servers
    client = ollama.Client()
    client.create(f"{MODEL}:v2", files={"x.gguf": client.create_blob(make_gguf(tmp_path / "x.gguf", "other"))})
    head = git(project, "rev-parse", "HEAD")

    result = cli("deploy", "-t", ES, "--no-hub")

    assert result.exit_code == 1
    assert (f"error: Ollama already has {MODEL}:v2, built from another GGUF than "
            f"{ES}/models/gguf/{ES}-v2-q8_0.gguf") in result.output
    assert f"ollama rm {MODEL}:v2" in result.output
    assert oll.calls.count("create") == 1  # the test's own
    nothing_recorded(project, head)


# --- failures leave nothing recorded ----------------------------------------------------------

def test_missing_model_files_are_named_before_any_network_call(cli, project, released, servers):
    hub, oll = servers
    shutil.rmtree(released / "models" / "adapter" / "v2")
    head = git(project, "rev-parse", "HEAD")

    result = cli("deploy", "-t", ES)

    assert result.exit_code == 1
    assert (f"error: {ES}/models/adapter/v2 is missing: the model files of {ES} v2 are not in this clone"
            in result.output)
    assert "hint: model files never go into git: put the folder your training wrote there" in result.output
    assert "--no-hub" in result.output
    assert hub.requests == [] and oll.requests == []
    nothing_recorded(project, head)

    (released / "models" / "gguf" / f"{ES}-v2-q8_0.gguf").unlink()
    result = cli("deploy", "-t", ES, "--no-hub")
    assert f"error: {ES}/models/gguf/{ES}-v2-q8_0.gguf is missing" in result.output
    assert "--no-ollama" in result.output


def test_model_files_changed_since_the_release_are_refused(cli, project, released, servers):
    hub, _ = servers
    make_adapter(released / "models" / "adapter" / "v2", base_model="Qwen/Qwen3-4B", seed=7)

    result = cli("deploy", "-t", ES)

    assert result.exit_code == 1
    assert f"error: {ES}/models/adapter/v2 differs from what {ES} v2 was released with" in result.output
    assert hub.requests == []


def test_a_bad_token_is_a_clear_error_and_never_shown(cli, project, released, servers, monkeypatch):
    hub, _ = servers
    monkeypatch.setenv("HF_TOKEN", BAD_TOKEN)
    head = git(project, "rev-parse", "HEAD")

    result = cli("deploy", "-t", ES)

    assert result.exit_code == 1
    assert "error: the Hub rejected the token: run `hf auth login` or set HF_TOKEN" in result.output
    assert f"hint: nothing was deployed to {REPO}" in result.output
    assert BAD_TOKEN not in result.output and BAD_TOKEN[3:15] not in result.output
    assert not hub.repo_path(REPO).exists()
    nothing_recorded(project, head)
    assert BAD_TOKEN not in git(project, "log", "--all", "-p")


def test_a_server_error_mid_upload_then_a_retry_that_completes(cli, project, released, servers):
    hub, _ = servers
    head = git(project, "rev-parse", "HEAD")
    hub.fail_next("commit", status=500, message="storage backend unavailable")

    started = time.monotonic()
    failed = cli("deploy", "-t", ES, "--no-ollama")

    assert time.monotonic() - started < 10  # no client-side backoff loop
    assert failed.exit_code == 1
    assert f"error: the Hub answered 500 while deploying to {REPO}: storage backend unavailable" in failed.output
    assert "hint: the upload did not complete; nothing was recorded for it; run 'gittask deploy v2' again" \
        in failed.output
    assert hub_git(hub, "tag", "-l") == ""
    nothing_recorded(project, head)

    again = ok(cli("deploy", "-t", ES, "--no-ollama"))
    assert again.output.startswith(f"hub: uploaded 2 file(s) and the model card to {REPO} main")
    assert hub_files(hub, "v2") >= {"adapter_config.json", "README.md"}
    assert records(project) == [f"deploy/{ES}/v2/hub-20260106T143000"]


def test_an_ollama_error_mid_stream_after_the_hub_keeps_the_hub_record(cli, project, released, servers):
    hub, oll = servers
    oll.fail_next("create", mid_stream=True, message="disk full")

    result = cli("deploy", "-t", ES)

    assert result.exit_code == 1, result.output
    assert "error: Ollama at http://127.0.0.1:" in result.output and "disk full" in result.output
    assert f"hint: hub deployed and recorded (deploy/{ES}/v2/hub-20260106T143000)" in result.output
    assert records(project) == [f"deploy/{ES}/v2/hub-20260106T143000"]
    assert git(project, "log", "-1", "--format=%s") == f"deploy {ES} v2"  # it is deployed (to the Hub)

    ok(cli("deploy", "-t", ES))
    assert records(project) == [f"deploy/{ES}/v2/hub-20260106T143000", f"deploy/{ES}/v2/ollama-20260106T143000"]


def test_a_server_that_is_down(cli, project, released, monkeypatch):
    port = free_port()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{port}")
    head = git(project, "rev-parse", "HEAD")

    hub_down = cli("deploy", "-t", ES, "--no-ollama")
    ollama_down = cli("deploy", "-t", ES, "--no-hub")

    assert hub_down.exit_code == ollama_down.exit_code == 1
    assert f"error: cannot reach the Hub at http://127.0.0.1:{port}:" in hub_down.output
    assert "hint: check the network and HF_ENDPOINT" in hub_down.output
    assert f"error: cannot reach Ollama at http://127.0.0.1:{port}:" in ollama_down.output
    assert "hint: start it ('ollama serve') or point OLLAMA_HOST at it" in ollama_down.output
    nothing_recorded(project, head)


# --- Ollama latest and push; git push of the records -------------------------------------------

def test_latest_and_push(cli, project, released, servers, tmp_path):
    hub, oll = servers
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "-q", "origin", "main", "--tags")

    result = ok(cli("deploy", "-t", ES, "--latest", "--push"))

    v2 = oll.models[f"registry.ollama.ai/{MODEL}:v2"].digest
    assert oll.models[f"registry.ollama.ai/{MODEL}:latest"].digest == v2
    assert [(p["model"], p["digest"]) for p in oll.pushes] == [(f"{MODEL}:v2", v2), (f"{MODEL}:latest", v2)]
    assert f"ollama: created {MODEL}:v2 (digest {v2[:12]}); {MODEL}:latest → v2; pushed" in result.output
    tags = records(project)
    assert git(origin, "tag", "-l", "deploy/*").splitlines() == tags and len(tags) == 2
    assert git(origin, "rev-parse", "main") == git(project, "rev-parse", "HEAD")
    assert result.output.splitlines()[-1] == f"pushed to origin: main, {', '.join(tags)}"
    from gittask.deployments import current
    from gittask.project import open_project

    now = current(open_project(project), ES)
    assert now["ollama"].pointer and now["ollama"].version == "v2" and now["ollama"].extra["pushed"]


def test_latest_needs_an_ollama_target(cli, project, released, servers):
    result = cli("deploy", "-t", ES, "--no-ollama", "--latest")
    assert result.exit_code == 1 and "error: --latest moves Ollama's :latest tag" in result.output


# --- dry run --------------------------------------------------------------------------------

def test_dry_run_prints_the_plan_and_touches_nothing(cli, project, released, servers):
    hub, oll = servers
    head = git(project, "rev-parse", "HEAD")

    result = ok(cli("deploy", "v2", "-t", ES, "--dry-run", "--latest", "--push"))

    lines = result.output.splitlines()
    commit = git(project, "rev-parse", f"{ES}@v2^{{commit}}")
    assert lines[:3] == ["# dry run: nothing was uploaded, tagged, recorded or committed",
                         f"deploy {ES} v2 ({ES}@v2, commit {commit[:12]})",
                         f"hub     {REPO} at {hub.url} (public)"]
    assert lines[3] == f"        upload {ES}/models/adapter/v2 (adapter) to main, then tag v2:"
    assert lines[4].split() == ["adapter_config.json", str((released / "models/adapter/v2/adapter_config.json").stat().st_size), "B"]
    assert lines[6].split()[:3] == ["README.md", "(model", "card)"]
    assert lines[7] == f"ollama  {MODEL}:v2 at {oll.url}"
    gguf = released / "models" / "gguf" / f"{ES}-v2-q8_0.gguf"
    assert lines[8].startswith(f"        GGUF {ES}/models/gguf/{ES}-v2-q8_0.gguf  {gguf.stat().st_size} B  sha256:")
    assert lines[9:] == ["        parameters: temperature 0", f"        then copy to {MODEL}:latest",
                         "        then push to its registry",
                         f"record  deploy/{ES}/v2/{{hub,ollama}}-<time> on {commit[:12]}",
                         f"status  evaluating → deployed (commit \"deploy {ES} v2\")",
                         "push    the records and the status commit to origin"]
    assert hub.requests == [] and oll.requests == []
    nothing_recorded(project, head)

    data = json.loads(ok(cli("deploy", "-t", ES, "--dry-run", "--json")).output)
    assert data["dry_run"] is True and data["records"] == []
    assert [f["path"] for f in data["hub"]["files"]] == ["adapter_config.json", "adapter_model.safetensors", "README.md"]
    assert data["ollama"]["blob"].startswith("sha256:") and data["hub"]["tag"] == "v2"
    assert hub.requests == []


def test_only_released_versions_are_deployed(cli, project, released, servers):
    ok(cli("draft", "-t", ES))
    draft = cli("deploy", "v3", "-t", ES)
    assert draft.exit_code == 1 and f"error: {ES} v3 is a draft, not a released version" in draft.output
    unknown = cli("deploy", "v9", "-t", ES)
    assert unknown.exit_code == 1 and f"error: {ES} has no version 'v9'" in unknown.output


# --- CI: --from-tag on a detached checkout ---------------------------------------------------------

def test_from_tag_on_a_detached_checkout_records_and_pushes_only_a_tag(cli, project, released, servers, tmp_path):
    hub, _ = servers
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(project), str(origin))
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(ci))
    git(ci, "checkout", "-q", "--detach", f"{ES}@v2")
    shutil.copytree(released / "models", ci / ES / "models")  # CI restores the model files

    result = ok(Cli(ci)("deploy", "--from-tag", f"{ES}@v2", "--no-ollama", "--push"))

    assert result.output.splitlines()[1:] == [f"recorded deploy/{ES}/v2/hub-20260106T143000",
                                              f"pushed to origin: deploy/{ES}/v2/hub-20260106T143000"]
    assert git(ci, "rev-parse", "HEAD") == git(ci, "rev-parse", f"{ES}@v2^{{commit}}")  # no commit
    assert git(ci, "status", "--porcelain") == ""
    assert "status: evaluating" in (ci / ES / "task.yaml").read_text(encoding="utf-8")
    assert git(origin, "tag", "-l", "deploy/*") == f"deploy/{ES}/v2/hub-20260106T143000"
    assert hub_files(hub, "v2") >= {"adapter_model.safetensors"}

    git(project, "fetch", "-q", str(origin), "refs/tags/*:refs/tags/*")
    from gittask.deployments import current
    from gittask.project import open_project

    assert current(open_project(project), ES)["hub"].version == "v2"  # any clone can answer it


def test_from_tag_refuses_what_is_not_a_release_tag(cli, project, released, servers):
    assert "error: main is not a gittask release tag" in cli("deploy", "--from-tag", "main").output
    assert f"error: there is no tag {ES}@v7 in this clone" in cli("deploy", "--from-tag", f"{ES}@v7").output
    git(project, "tag", "-f", f"{ES}@v2", f"{ES}@v2^{{commit}}")  # what actions/checkout may leave
    result = cli("deploy", "--from-tag", f"refs/tags/{ES}@v2")
    assert f"error: {ES}@v2 is a lightweight tag in this clone" in result.output
    assert f"git fetch --force origin refs/tags/{ES}@v2:refs/tags/{ES}@v2" in result.output
    assert "give no VERSION" in cli("deploy", "v2", "--from-tag", f"{ES}@v2").output


# --- strategies and names ---------------------------------------------------------------------

def test_a_version_placeholder_in_hf_repo_gives_each_version_its_repo(cli, project, released, servers):
    hub, _ = servers
    task_yaml = released / "task.yaml"
    task_yaml.write_text(task_yaml.read_text(encoding="utf-8").replace(
        f"hf_repo: {REPO}", "hf_repo: org/es-{version}"), encoding="utf-8")
    git(project, "commit", "-qam", "one Hub repo per version")

    ok(cli("deploy", "v1", "-t", ES, "--no-ollama"))
    ok(cli("deploy", "v2", "-t", ES, "--no-ollama"))

    for version in ("v1", "v2"):
        repo = hub.repo_path(f"org/es-{version}")
        tags = subprocess.run(["git", "--git-dir", str(repo), "tag", "-l"], capture_output=True, text=True).stdout
        assert tags.split() == [version]


def test_date_versions_deploy_the_same_way(cli, project, servers, tmp_path):
    hub, oll = servers
    from tests.builders import write_json, write_split

    ok(cli("new", "daily", "--labels", "a,b", "--strategy", "date", "--hf-repo", "org/daily",
           "--ollama-model", "org/daily"))
    write_split(project / "daily" / "data" / "train.jsonl", {"a": 3, "b": 2})
    for split in ("valid", "test"):
        write_split(project / "daily" / "data" / f"{split}.jsonl", {"a": 1, "b": 1})
    git(project, "add", "-A")
    git(project, "commit", "-qm", "daily data")
    ok(cli("draft", "-t", "daily"))
    ok(cli("record", str(write_json(tmp_path / "r.json", {"macro_f1": 0.9, "accuracy": 0.9})), "-t", "daily"))
    ok(cli("release", "-t", "daily"))
    make_adapter(project / "daily" / "models" / "adapter" / "2026-01-06")
    make_gguf(project / "daily" / "models" / "gguf" / "daily-2026-01-06-q8_0.gguf", "2026-01-06")

    ok(cli("deploy", "-t", "daily"))

    repo = hub.repo_path("org/daily-2026-01-06")  # the seed's date strategy: a repo per version
    assert subprocess.run(["git", "--git-dir", str(repo), "tag", "-l"], capture_output=True, text=True).stdout.split() \
        == ["2026-01-06"]
    assert "registry.ollama.ai/org/daily:2026-01-06" in oll.models


# --- rollback --deploy's backend ------------------------------------------------------------------

def test_repoint_moves_hub_main_and_ollama_latest_back_keeping_history(cli, project, released, servers, monkeypatch):
    from gittask.deploy import repoint
    from gittask.deployments import current
    from gittask.project import open_project
    from gittask.tasks import load_task

    hub, oll = servers
    ok(cli("deploy", "v1", "-t", ES, "--latest"))
    ok(cli("deploy", "v2", "-t", ES, "--latest"))
    before = int(hub_git(hub, "rev-list", "--count", "main"))
    assert hub_files(hub, "main") == hub_files(hub, "v2")

    monkeypatch.setenv("GITTASK_NOW", "2026-01-07T09:00:00")  # records order by time
    proj = open_project(project)
    moved = repoint(proj, load_task(proj, ES), "v1")

    assert hub_git(hub, "rev-parse", "main^{tree}") == hub_git(hub, "rev-parse", "v1^{tree}")
    assert int(hub_git(hub, "rev-list", "--count", "main")) == before + 1
    assert oll.models[f"registry.ollama.ai/{MODEL}:latest"].digest == oll.models[f"registry.ollama.ai/{MODEL}:v1"].digest
    assert [(d.target, d.version, d.pointer) for d in moved] == [("hub", "v1", True), ("ollama", "v1", True)]
    now = current(proj, ES)
    assert (now["hub"].version, now["hub"].ref) == ("v1", hub_git(hub, "rev-parse", "main"))
    assert now["ollama"].version == "v1"
    assert all(d.tag for d in moved)

    again = repoint(proj, load_task(proj, ES), "v1")  # already there: no commit, no new record
    assert int(hub_git(hub, "rev-list", "--count", "main")) == before + 1
    assert [d.tag for d in again] == [None, None]


def test_rollback_deploy_uses_repoint(cli, project, released, servers):
    hub, oll = servers
    ok(cli("deploy", "v1", "-t", ES, "--latest"))
    ok(cli("deploy", "v2", "-t", ES, "--latest"))

    result = ok(cli("rollback", "v1", "-t", ES, "--deploy"))

    assert "re-pointed hub: org/entity-sentiment" in result.output
    assert hub_git(hub, "rev-parse", "main^{tree}") == hub_git(hub, "rev-parse", "v1^{tree}")
    assert oll.models[f"registry.ollama.ai/{MODEL}:latest"].digest == oll.models[f"registry.ollama.ai/{MODEL}:v1"].digest


def test_repoint_a_version_never_deployed(cli, project, released, servers):
    from gittask.deploy import repoint
    from gittask.errors import GittaskError
    from gittask.project import open_project
    from gittask.tasks import load_task

    ok(cli("deploy", "v2", "-t", ES))
    proj = open_project(project)
    with pytest.raises(GittaskError) as err:
        repoint(proj, load_task(proj, ES), "v1")
    assert err.value.message == f"the Hub repo {REPO} has no tag v1: {ES} v1 was never deployed there"


# --- imports: deploy's clients are loaded only by deploy ------------------------------------------

@pytest.mark.parametrize("args", [["deploy", "--help"], ["ci", "init", "--help"]])
def test_help_and_list_do_not_import_the_hub_or_ollama_clients(project, args):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gittask", *args], cwd=project,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert not {m for m in imported if m.split(".")[0] in ("huggingface_hub", "ollama", "httpx", "httpx2")}


# --- the Modelfile pieces -------------------------------------------------------------------

@pytest.mark.parametrize("template, expected", [
    ("{text}\n", "{{ .Prompt }}"),
    ("分析以下文本的情感:{text}\n", "分析以下文本的情感:{{ .Prompt }}"),
    ("Classify: {text} ({text})", "Classify: {{ .Prompt }} ({{ .Prompt }})"),
    ("分析以下文本對「{entity}」的情感傾向。\n文本:{text}\n", "{{ .Prompt }}"),
    ("Answer in JSON {{\"label\": ...}}:\n", 'Answer in JSON {"label": ...}:\n\n{{ .Prompt }}'),
    ("literal {{{{ go }}}} then {text}", 'literal {{ "{{" }} go }} then {{ .Prompt }}'),
    (None, "{{ .Prompt }}"),
])
def test_input_templates_become_ollama_templates(template, expected):
    from gittask.modelcard import ollama_template

    assert ollama_template(template) == "{{ if .System }}{{ .System }}\n\n{{ end }}" + expected


def test_a_template_with_unbalanced_braces_is_an_error():
    from gittask.errors import GittaskError
    from gittask.modelcard import ollama_template

    with pytest.raises(GittaskError) as err:
        ollama_template("{text", "t/task.yaml")
    assert err.value.message.startswith("t/task.yaml: input_template: ")


def test_several_fields_are_quoted_in_the_system_prompt_and_parameters_merge():
    from gittask.modelcard import ollama_parameters, ollama_system

    task = {"task_name": "es", "task_type": "classification", "domain": "finance", "language": "zh-TW",
            "input_template": "對「{entity}」:{text}\n",
            "output_format": {"type": "json", "schema": {"sentiment": {"type": "string", "enum": ["正面", "負面"]}}}}
    assert ollama_system(task).splitlines() == [
        "Task: es (classification, finance, zh-TW).",
        'Answer with one JSON object and nothing else, matching this schema: '
        '{"sentiment": {"type": "string", "enum": ["正面", "負面"]}}',
        "sentiment: one of 正面, 負面",
        "The input follows this template: 對「{entity}」:{text}",
    ]
    assert ollama_parameters(task, {}) == {"temperature": 0}
    assert ollama_parameters(task, {"ollama_parameters": {"temperature": 0.2, "num_ctx": 4096}}) == \
        {"temperature": 0.2, "num_ctx": 4096}
    assert ollama_parameters({**task, "task_type": "generation"}, {}) == {}


def test_scrub_removes_tokens(monkeypatch):
    from gittask.deploy import scrub

    monkeypatch.setenv("HF_TOKEN", "secret-value-1234")
    assert scrub("bad secret-value-1234 and hf_" + "a" * 34) == "bad *** and hf_***"


def test_push_later_publishes_the_records_of_an_earlier_deploy(cli, project, released, servers, tmp_path):
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(project, "remote", "add", "origin", str(origin))
    ok(cli("deploy", "-t", ES, "--no-ollama"))
    assert git(origin, "tag", "-l") == ""

    result = ok(cli("deploy", "-t", ES, "--no-ollama", "--push"))

    assert result.output.splitlines()[1:] == [f"nothing changed: {ES} v2 is already deployed there",
                                              f"pushed to origin: deploy/{ES}/v2/hub-20260106T143000"]
    assert git(origin, "tag", "-l") == f"deploy/{ES}/v2/hub-20260106T143000"


def test_files_the_previous_version_left_on_main_are_not_in_the_new_tag(cli, project, released, servers):
    from huggingface_hub import HfApi

    hub, _ = servers
    ok(cli("deploy", "v1", "-t", ES, "--no-ollama"))
    HfApi(endpoint=hub.url).upload_file(path_or_fileobj=b"old", path_in_repo="training_args.bin", repo_id=REPO)

    ok(cli("deploy", "v2", "-t", ES, "--no-ollama"))

    assert "training_args.bin" in hub_files(hub, "v2~1")  # main had it just before
    assert hub_files(hub, "v2") == {".gitattributes", "README.md", "adapter_config.json", "adapter_model.safetensors"}


def test_a_private_repo_when_task_yaml_says_so(cli, project, released, servers):
    hub, _ = servers
    task_yaml = released / "task.yaml"
    task_yaml.write_text(task_yaml.read_text(encoding="utf-8").replace(
        f"hf_repo: {REPO}", f"hf_repo: {REPO}\n  private: true"), encoding="utf-8")
    git(project, "commit", "-qam", "private Hub repo")

    ok(cli("deploy", "-t", ES, "--no-ollama"))

    assert json.loads((hub.repo_path(REPO) / "hub-repo.json").read_text())["private"] is True


def test_upload_progress_bars_only_when_asked(project, released, servers, capsys):
    from gittask.deploy import execute_deploy, plan_deploy
    from gittask.project import open_project
    from gittask.tasks import load_task

    proj = open_project(project)
    task = load_task(proj, ES)
    execute_deploy(proj, task, plan_deploy(proj, task, "v1", hub=False), progress=False)
    assert capsys.readouterr().err == ""
    execute_deploy(proj, task, plan_deploy(proj, task, "v2", hub=False), progress=True)
    assert f"ollama {ES}-v2-q8_0.gguf" in capsys.readouterr().err


def test_a_commit_made_but_not_tagged_is_tagged_by_the_retry(cli, project, released, servers):
    hub, _ = servers
    head = git(project, "rev-parse", "HEAD")
    hub.fail_next("create_tag", status=503, message="try again later")

    failed = cli("deploy", "-t", ES, "--no-ollama")

    assert failed.exit_code == 1
    assert f"error: the Hub answered 503 while deploying to {REPO}: try again later" in failed.output
    uploaded = hub_git(hub, "rev-parse", "main")
    assert hub_git(hub, "tag", "-l") == ""  # the files are on main, but v2 is not deployed
    nothing_recorded(project, head)

    again = ok(cli("deploy", "-t", ES, "--no-ollama"))
    assert again.output.splitlines()[0] == f"hub: the files were already on {REPO} main ({uploaded[:12]}), tagged v2"
    assert hub_git(hub, "rev-parse", "v2^{commit}") == uploaded


def test_the_merged_model_instead_of_the_adapter(cli, project, released, servers):
    from huggingface_hub import ModelCard

    hub, _ = servers
    merged = released / "models" / "merged" / "v2"
    merged.mkdir(parents=True)
    (merged / "config.json").write_text('{"model_type": "qwen3"}', encoding="utf-8")
    (merged / "model.safetensors").write_bytes(b"\0" * 64)

    result = ok(cli("deploy", "-t", ES, "--no-ollama", "--artifact", "merged", "--dry-run"))
    assert f"upload {ES}/models/merged/v2 (merged) to main, then tag v2:" in result.output
    ok(cli("deploy", "-t", ES, "--no-ollama", "--artifact", "merged"))

    assert hub_files(hub, "v2") == {".gitattributes", "README.md", "config.json", "model.safetensors"}
    data = ModelCard.load(REPO).data.to_dict()
    assert (data["library_name"], data["base_model_relation"]) == ("transformers", "finetune")
    assert cli("deploy", "-t", ES, "--artifact", "lora").output.startswith("error: --artifact lora: expected")


def test_without_the_ollama_client_nothing_is_uploaded(cli, project, released, servers, monkeypatch):
    hub, _ = servers
    monkeypatch.setitem(sys.modules, "ollama", None)  # find_spec then says: not installed

    result = cli("deploy", "-t", ES)

    assert result.exit_code == 1
    assert "error: the Ollama client is not installed" in result.output
    assert "pip install 'gittask[ollama]'" in result.output
    assert hub.requests == []
