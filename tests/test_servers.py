"""The local Hub and Ollama servers, driven by the REAL huggingface_hub and ollama clients."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import httpx
import ollama
import pytest
from huggingface_hub import CommitOperationCopy, CommitOperationDelete, HfApi, ModelCard, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.servers.fixtures import hub_server, make_adapter, make_gguf, ollama_server  # noqa: F401
from tests.servers.hub import git_blob_sha

REPO = "org/name"


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture
def api(hub_server):
    return HfApi(endpoint=os.environ["HF_ENDPOINT"])


@pytest.fixture
def adapter(tmp_path):
    return make_adapter(tmp_path / "adapter")


def git(server, *args: str) -> str:
    """Plain git on the server's bare repo: the ground truth the Hub API must match."""
    cmd = ["git", "--git-dir", str(server.repo_path(REPO)), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()


def commit_count(server) -> int:
    return int(git(server, "rev-list", "--count", "main"))


def upload(api, folder, **kwargs):
    api.create_repo(REPO, exist_ok=True)
    return api.upload_folder(repo_id=REPO, folder_path=folder, **kwargs)


# -- Hub -------------------------------------------------------------------------------


def test_create_repo_makes_a_bare_repo_and_exist_ok_tolerates_a_second_call(api, hub_server):
    url = api.create_repo(REPO)
    assert url == f"{hub_server.url}/{REPO}"
    assert url.repo_id == REPO
    assert git(hub_server, "rev-parse", "--is-bare-repository") == "true"
    assert git(hub_server, "log", "--format=%s", "main") == "initial commit"

    assert api.create_repo(REPO, exist_ok=True) == url
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo(REPO)
    assert err.value.response.status_code == 409


def test_upload_folder_makes_a_real_git_commit_with_those_files(api, hub_server, adapter):
    info = upload(api, adapter, commit_message="Upload v1")

    assert git(hub_server, "rev-parse", "refs/heads/main") == info.oid
    assert git(hub_server, "log", "-1", "--format=%s", "main") == "Upload v1"
    tree = dict(line.split()[2:4][::-1] for line in git(hub_server, "ls-tree", "main").splitlines())
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        assert tree[name] == git_blob_sha((adapter / name).read_bytes())
    assert api.list_repo_files(REPO) == [".gitattributes", "adapter_config.json", "adapter_model.safetensors"]


def test_reupload_of_identical_content_makes_no_commit(api, hub_server, adapter):
    first = upload(api, adapter)
    calls_before = len(hub_server.calls)

    second = upload(api, adapter)

    assert second.oid == first.oid
    assert commit_count(hub_server) == 2  # initial commit + first upload
    assert "commit" not in hub_server.calls[calls_before:]


def test_create_tag_is_an_annotated_git_tag_and_a_second_one_conflicts(api, hub_server, adapter):
    oid = upload(api, adapter).oid

    api.create_tag(REPO, tag="v1", revision=oid, tag_message="version 1")

    assert git(hub_server, "cat-file", "-t", "refs/tags/v1") == "tag"
    assert git(hub_server, "rev-parse", "v1^{commit}") == oid
    assert git(hub_server, "tag", "-l", "--format=%(contents:subject)", "v1") == "version 1"
    with pytest.raises(HfHubHTTPError) as err:
        api.create_tag(REPO, tag="v1", revision=oid)
    assert err.value.response.status_code == 409
    refs = api.list_repo_refs(REPO)
    assert [(t.name, t.ref, t.target_commit) for t in refs.tags] == [("v1", "refs/tags/v1", oid)]
    assert [(b.name, b.target_commit) for b in refs.branches] == [("main", oid)]


def test_download_at_a_tag_returns_that_versions_bytes_after_main_moved_on(api, hub_server, tmp_path, adapter):
    v1_bytes = (adapter / "adapter_model.safetensors").read_bytes()
    api.create_tag(REPO, tag="v1", revision=upload(api, adapter).oid)
    make_adapter(adapter, seed=1)  # new weights on main
    upload(api, adapter)

    at_v1 = hf_hub_download(REPO, "adapter_model.safetensors", revision="v1", cache_dir=tmp_path / "cache")
    at_main = hf_hub_download(REPO, "adapter_model.safetensors", cache_dir=tmp_path / "cache")

    assert open(at_v1, "rb").read() == v1_bytes
    assert open(at_main, "rb").read() == (adapter / "adapter_model.safetensors").read_bytes() != v1_bytes


def test_model_card_load_reads_the_uploaded_front_matter(api, hub_server, adapter):
    card = "---\nbase_model: org/base-model\nlibrary_name: peft\ntags:\n- gittask\n---\n\n# Tuned\n"
    (adapter / "README.md").write_text(card)
    upload(api, adapter)

    loaded = ModelCard.load(REPO)

    assert loaded.data.base_model == "org/base-model"
    assert loaded.data.library_name == "peft"
    assert "validate_yaml" in hub_server.calls
    info = api.model_info(REPO)
    assert info.card_data.base_model == "org/base-model" and info.tags == ["gittask"]


def test_a_wrong_token_gets_401(hub_server, adapter):
    bad = HfApi(endpoint=hub_server.url, token="hf_wrong")
    with pytest.raises(HfHubHTTPError) as err:
        bad.create_repo(REPO)
    assert err.value.response.status_code == 401
    assert not isinstance(err.value, RepositoryNotFoundError)
    assert err.value.response.headers["X-Error-Message"] == "Invalid credentials in Authorization header"
    assert not hub_server.repo_path(REPO).exists()


def test_a_write_without_any_token_gets_401(hub_server):
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(endpoint=hub_server.url, token=False).create_repo(REPO)
    assert err.value.response.status_code == 401


def test_a_private_repo_is_not_found_without_a_token(api, hub_server):
    api.create_repo(REPO, private=True)
    assert api.model_info(REPO).private is True
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub_server.url, token=False).model_info(REPO)


def test_fail_next_commit_fails_once_then_a_retry_succeeds(api, hub_server, tmp_path):
    api.create_repo(REPO)
    (tmp_path / "f.txt").write_text("data")
    hub_server.fail_next("commit", status=500, message="boom")

    # upload_file goes through create_commit, which does not retry a commit: no backoff here.
    with pytest.raises(HfHubHTTPError) as err:
        api.upload_file(path_or_fileobj=tmp_path / "f.txt", path_in_repo="f.txt", repo_id=REPO)
    assert err.value.response.status_code == 500
    assert err.value.response.headers["X-Error-Message"] == "boom"
    assert commit_count(hub_server) == 1

    info = api.upload_file(path_or_fileobj=tmp_path / "f.txt", path_in_repo="f.txt", repo_id=REPO)
    assert git(hub_server, "rev-parse", "main") == info.oid
    assert hub_server.calls.count("commit") == 2
    assert ("POST", f"/api/models/{REPO}/commit/main") in hub_server.requests


def test_fail_next_rejects_unknown_endpoint_names(hub_server):
    with pytest.raises(ValueError):
        hub_server.fail_next("comit")


def test_unknown_repo_revision_and_file_raise_the_right_errors(api, hub_server, tmp_path, adapter):
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("org/missing")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("org/missing", "x.txt", cache_dir=tmp_path / "cache")
    upload(api, adapter)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(REPO, "adapter_config.json", revision="v9", cache_dir=tmp_path / "cache")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(REPO, "missing.txt", cache_dir=tmp_path / "cache")


def test_a_stale_parent_commit_is_rejected_with_412(api, hub_server, tmp_path, adapter):
    old_head = upload(api, adapter).oid
    (tmp_path / "f.txt").write_text("newer")
    api.upload_file(path_or_fileobj=tmp_path / "f.txt", path_in_repo="f.txt", repo_id=REPO)

    with pytest.raises(HfHubHTTPError) as err:
        api.upload_file(path_or_fileobj=b"x", path_in_repo="g.txt", repo_id=REPO, parent_commit=old_head)
    assert err.value.response.status_code == 412


def test_rollback_of_main_to_a_tag_with_copy_and_delete_keeps_history(api, hub_server, adapter, tmp_path):
    v1 = upload(api, adapter).oid
    api.create_tag(REPO, tag="v1", revision=v1)
    make_adapter(adapter, seed=1)
    (adapter / "extra.txt").write_text("only in v2")
    upload(api, adapter)

    operations = [
        CommitOperationCopy("adapter_model.safetensors", "adapter_model.safetensors", src_revision="v1"),
        CommitOperationDelete("extra.txt"),
    ]
    head = api.model_info(REPO).sha
    rollback = api.create_commit(REPO, operations, commit_message="Roll back to v1", parent_commit=head)

    assert git(hub_server, "rev-parse", f"{rollback.oid}^{{tree}}") == git(hub_server, "rev-parse", "v1^{tree}")
    assert commit_count(hub_server) == 4  # initial, v1, v2, rollback


def test_commits_tree_and_info_report_git_facts(api, hub_server, adapter):
    oid = upload(api, adapter, commit_message="Upload v1", commit_description="details").oid

    commits = api.list_repo_commits(REPO)
    assert [(c.commit_id, c.title, c.message) for c in commits][0] == (oid, "Upload v1", "details")
    assert commits[-1].title == "initial commit"
    info = api.model_info(REPO, files_metadata=True)
    assert info.sha == oid and info.last_modified == commits[0].created_at
    sizes = {s.rfilename: s.size for s in info.siblings}
    assert sizes["adapter_config.json"] == (adapter / "adapter_config.json").stat().st_size
    assert api.revision_exists(REPO, "main") and not api.revision_exists(REPO, "v9")
    assert api.file_exists(REPO, "adapter_config.json") and not api.file_exists(REPO, "nope.txt")


def test_branches_can_be_created_and_deleted(api, hub_server, adapter):
    oid = upload(api, adapter).oid
    api.create_branch(REPO, branch="exp", revision=oid)
    assert git(hub_server, "rev-parse", "refs/heads/exp") == oid
    api.delete_branch(REPO, branch="exp")
    assert [b.name for b in api.list_repo_refs(REPO).branches] == ["main"]


def test_delete_tag_removes_the_git_tag(api, hub_server, adapter):
    api.create_tag(REPO, tag="v1", revision=upload(api, adapter).oid)
    api.delete_tag(REPO, tag="v1")
    assert git(hub_server, "tag", "-l") == ""


# The client's own LFS PUT passes `data=<file>`, which httpx2 deprecates: not ours to fix.
@pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")
def test_lfs_upload_mode_stores_the_object_and_commits_a_pointer(api, hub_server, adapter, monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)  # legacy git-lfs batch API instead of Xet
    hub_server.lfs_threshold = 100
    weights = (adapter / "adapter_model.safetensors").read_bytes()
    first = upload(api, adapter)

    pointer = git(hub_server, "show", "main:adapter_model.safetensors")
    assert f"oid sha256:{hashlib.sha256(weights).hexdigest()}" in pointer and f"size {len(weights)}" in pointer
    assert "lfs_upload" in hub_server.calls
    path = hf_hub_download(REPO, "adapter_model.safetensors", cache_dir=tmp_path / "cache")
    assert open(path, "rb").read() == weights
    assert upload(api, adapter).oid == first.oid  # sha256 compared: unchanged, no commit


# -- Ollama ----------------------------------------------------------------------------


@pytest.fixture
def client(ollama_server):
    return ollama.Client()  # reads OLLAMA_HOST, set by the fixture


@pytest.fixture
def gguf_digest(client, tmp_path):
    return client.create_blob(make_gguf(tmp_path / "model.gguf", version="v1"))


CREATE_ARGS = dict(
    template="{{ .System }} {{ .Prompt }}", system="Be brief.", parameters={"temperature": 0.2, "stop": ["</s>"]}
)


def test_create_blob_stores_the_file_under_its_sha256(client, ollama_server, tmp_path):
    path = make_gguf(tmp_path / "model.gguf")
    digest = client.create_blob(path)

    assert digest == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert ollama_server.blob_path(digest).read_bytes() == path.read_bytes()
    assert httpx.head(f"{ollama_server.url}/api/blobs/{digest}").status_code == 200
    assert httpx.head(f"{ollama_server.url}/api/blobs/sha256:{'0' * 64}").status_code == 404


def test_a_blob_whose_content_does_not_match_its_digest_is_400(ollama_server):
    response = httpx.post(f"{ollama_server.url}/api/blobs/sha256:{'0' * 64}", content=b"not that")
    assert response.status_code == 400
    assert "digest mismatch" in response.json()["error"]


def test_create_from_files_lists_the_model_with_its_manifest_digest(client, gguf_digest):
    statuses = list(client.create("org/name:v1", files={"model.gguf": gguf_digest}, stream=True, **CREATE_ARGS))
    assert statuses[-1].status == "success"
    client.create("org/twin:v1", files={"model.gguf": gguf_digest}, **CREATE_ARGS)

    models = {m.model: m for m in client.list().models}
    assert set(models) == {"org/name:v1", "org/twin:v1"}
    assert len(models["org/name:v1"].digest) == 64
    assert models["org/name:v1"].digest == models["org/twin:v1"].digest  # same layers, same digest
    assert models["org/name:v1"].details.family == "llama"


def test_a_different_gguf_gives_a_different_digest(client, tmp_path, gguf_digest):
    client.create("org/name:v1", files={"model.gguf": gguf_digest})
    v2 = client.create_blob(make_gguf(tmp_path / "v2.gguf", version="v2"))
    client.create("org/name:v2", files={"model.gguf": v2})
    digests = {m.model: m.digest for m in client.list().models}
    assert digests["org/name:v1"] != digests["org/name:v2"]


def test_copy_to_latest_keeps_the_digest(client, gguf_digest):
    client.create("org/name:v1", files={"model.gguf": gguf_digest}, **CREATE_ARGS)
    assert client.copy("org/name:v1", "org/name:latest").status == "success"

    digests = {m.model: m.digest for m in client.list().models}
    assert digests["org/name:latest"] == digests["org/name:v1"]
    assert client.show("org/name").template == CREATE_ARGS["template"]  # no tag means :latest


def test_show_returns_what_create_was_sent(client, gguf_digest):
    client.create("org/name:v1", files={"model.gguf": gguf_digest}, license="MIT", **CREATE_ARGS)

    shown = client.show("org/name:v1")

    assert shown.template == CREATE_ARGS["template"]
    assert shown.parameters.splitlines() == [f"{'stop':<30} \"</s>\"", f"{'temperature':<30} 0.2"]
    assert shown.license == "MIT"
    assert shown.modelinfo["gittask.version"] == "v1"
    assert shown.details.format == "gguf" and shown.details.quantization_level == "F32"
    assert 'SYSTEM """Be brief."""' in shown.modelfile and "PARAMETER temperature 0.2" in shown.modelfile


def test_create_from_a_base_model_with_an_adapter(client, gguf_digest, adapter):
    client.create("org/base:v1", files={"model.gguf": gguf_digest}, **CREATE_ARGS)
    names = ("adapter_model.safetensors", "adapter_config.json")
    adapters = {name: client.create_blob(adapter / name) for name in names}

    client.create("org/tuned:v1", from_="org/base:v1", adapters=adapters, parameters={"temperature": 0.9})

    shown = client.show("org/tuned:v1")
    assert "ADAPTER " in shown.modelfile and shown.details.parent_model == "org/base:v1"
    assert shown.template == CREATE_ARGS["template"]  # inherited from the base
    assert "temperature                    0.9" in shown.parameters and '"</s>"' in shown.parameters


def test_create_from_a_missing_blob_or_base_is_a_response_error(client):
    with pytest.raises(ollama.ResponseError) as err:
        client.create("org/name:v1", files={"model.gguf": "sha256:" + "0" * 64})
    assert err.value.status_code == 400 and "not found" in err.value.error
    with pytest.raises(ollama.ResponseError) as err:
        client.create("org/tuned:v1", from_="org/absent:v1")
    assert err.value.status_code == 404
    assert client.list().models == []


def test_push_is_recorded_and_can_be_made_to_fail(client, ollama_server, gguf_digest):
    client.create("org/name:v1", files={"model.gguf": gguf_digest})
    digest = client.list().models[0].digest

    assert client.push("org/name:v1").status == "success"
    assert ollama_server.pushes == [{"model": "org/name:v1", "digest": digest, "insecure": False}]

    ollama_server.fail_next("push", status=500, message="registry down")
    with pytest.raises(ollama.ResponseError) as err:
        client.push("org/name:v1")
    assert err.value.status_code == 500 and err.value.error == "registry down"

    ollama_server.fail_next("push", mid_stream=True, message="upload interrupted")
    with pytest.raises(ollama.ResponseError, match="upload interrupted"):
        list(client.push("org/name:v1", stream=True))
    assert len(ollama_server.pushes) == 1


def test_delete_and_version(client, ollama_server, gguf_digest):
    client.create("org/name:v1", files={"model.gguf": gguf_digest})
    assert client.delete("org/name:v1").status == "success"
    assert client.list().models == []
    with pytest.raises(ollama.ResponseError) as err:
        client.delete("org/name:v1")
    assert err.value.status_code == 404
    assert httpx.get(f"{ollama_server.url}/api/version").json() == {"version": ollama_server.version}
    assert ("DELETE", "/api/delete") in ollama_server.requests


def test_make_gguf_writes_a_small_readable_file(tmp_path):
    import gguf

    path = make_gguf(tmp_path / "m.gguf", version="v7")
    reader = gguf.GGUFReader(path)
    assert path.stat().st_size < 2048
    assert reader.fields["gittask.version"].contents() == "v7"
    assert reader.fields["general.architecture"].contents() == "llama"
    assert [t.name for t in reader.tensors] == ["token_embd.weight", "output_norm.weight"]


def test_make_adapter_writes_peft_files(tmp_path):
    folder = make_adapter(tmp_path / "a", base_model="org/base")
    config = json.loads((folder / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == "org/base" and config["peft_type"] == "LORA"
    raw = (folder / "adapter_model.safetensors").read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])
    end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
    assert len(raw) == 8 + header_len + end
