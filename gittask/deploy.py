"""Deploy a released version under its own name: Hub tag `<v>`, Ollama `<model>:<v>`.

Plan, then apply. `plan_deploy` reads the release tag and the local model files and
returns a DeployPlan without a single network call (that is what `--dry-run` prints);
`execute_deploy` carries it out and records what happened with deployments.record.

Decisions:
- What a version is comes from its release tag: lineage.yaml (artifact paths, config,
  results), model_info.json, and the task.yaml it was released with (input template,
  output format). Where to deploy comes from the current task.yaml `deploy:` (falling
  back to the tag's), so targets can be added after a release.
- The model folder is the adapter or the merged model, whichever model_info.json saw at
  release (the adapter when it saw both or neither; `--artifact` chooses). When
  model_info.json recorded a sha256 for a folder or the GGUF, the local files must still
  match it: `v2` must mean the same weights everywhere.
- Hub: the folder plus a generated README.md is committed to `main` with
  `parent_commit` = the head read just before, then the Hub tag `<v>` is created at
  exactly that commit. Files on main that the version does not have are deleted in the
  same commit, so the tag holds the version's files and nothing else (plus the Hub's
  .gitattributes). Hidden files in the folder are not uploaded; a README.md in it is
  replaced by the card. When the tag already exists, its model files are compared with
  the local ones (the card is not: a newer gittask may word it differently): equal is a
  no-op, different is refused. Uploading identical files makes no commit.
- Ollama: the GGUF blob is uploaded unless the server has it (HEAD first), then
  `<model>:<v>` is created with TEMPLATE/SYSTEM/PARAMETERS from gittask.modelcard. An
  existing `<model>:<v>` built from another GGUF is refused; re-creating from the same
  GGUF is idempotent (same layers, same digest). `--latest` copies it to `:latest`.
- Records: one annotated tag per target on the release commit (gittask.deployments),
  written only for what really happened; an unchanged re-deploy writes none. Targets run
  Hub first, then Ollama; the first failure stops the run, what succeeded before it is
  recorded, and the error says so.
- task.yaml status → deployed in a commit "deploy <task> <v>", except with --from-tag
  (CI works on a detached checkout and commits nothing back; it does record the
  deployment tag, which `--push` sends to origin).
- Tokens are never read by gittask itself: huggingface_hub finds them (trusted
  publishing, HF_TOKEN, the `hf auth login` file). Every message built from a server's
  answer is scrubbed of them.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from gittask import deployments, gitcmd, lifecycle, modelcard, snapshot, versioning, versions
from gittask.deployments import Deployment
from gittask.errors import GittaskError
from gittask.project import TASK_FILE, Project
from gittask.tasks import Task, update_task_file

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_OLLAMA = "http://127.0.0.1:11434"
KINDS = ("adapter", "merged")
# Files the Hub manages or gittask generates: not part of the version's model files.
_HUB_OWN = {".gitattributes", "README.md"}


# --- the plan -----------------------------------------------------------------------

@dataclass
class UploadFile:
    path: str           # path in the Hub repo
    local: Path
    size: int


@dataclass
class HubPlan:
    repo_id: str
    endpoint: str
    private: bool
    revision: str       # the Hub tag: the version name
    kind: str           # adapter | merged
    folder: str         # the model folder, relative to the project root
    files: list[UploadFile]
    card: str = field(repr=False)
    message: str = ""
    # filled by execute
    action: str | None = None   # uploaded | tagged | unchanged
    commit: str | None = None
    pointer: bool = False       # main now holds this version

    def as_dict(self) -> dict:
        return {"repo": self.repo_id, "endpoint": self.endpoint, "private": self.private,
                "tag": self.revision, "kind": self.kind, "folder": self.folder,
                "files": [{"path": f.path, "size": f.size} for f in self.files]
                + [{"path": "README.md", "size": len(self.card.encode())}],
                "action": self.action, "commit": self.commit, "main": self.pointer}


@dataclass
class OllamaPlan:
    model: str          # <ollama_model>:<v>
    host: str
    gguf: Path
    gguf_display: str
    size: int
    digest: str         # sha256:<hex> of the GGUF
    template: str
    system: str
    parameters: dict
    latest: str | None  # <ollama_model>:latest with --latest
    push: bool
    # filled by execute
    action: str | None = None   # created | updated | unchanged
    manifest: str | None = None  # the model's manifest digest
    blob_uploaded: bool = False
    latest_moved: bool = False
    pushed: bool = False

    @property
    def filename(self) -> str:
        return self.gguf.name

    def as_dict(self) -> dict:
        return {"model": self.model, "host": self.host, "gguf": self.gguf_display,
                "size": self.size, "blob": self.digest, "template": self.template,
                "system": self.system, "parameters": self.parameters, "latest": self.latest,
                "push": self.push, "action": self.action, "digest": self.manifest,
                "blob_uploaded": self.blob_uploaded, "latest_moved": self.latest_moved,
                "pushed": self.pushed}


@dataclass
class DeployPlan:
    task: str
    version: str
    tag: str            # the release tag
    commit: str         # the release commit, where deployment records go
    hub: HubPlan | None
    ollama: OllamaPlan | None
    status: tuple[str, str] | None      # (old, new) when task.yaml's status moves
    from_tag: bool = False
    push: bool = False
    warnings: list[str] = field(default_factory=list)
    records: list[Deployment] = field(default_factory=list)
    status_commit: str | None = None
    pushed_refs: list[str] = field(default_factory=list)
    remote: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.records or self.status_commit)

    def as_dict(self) -> dict:
        return {"task": self.task, "version": self.version, "tag": self.tag,
                "commit": self.commit, "from_tag": self.from_tag, "push": self.push,
                "hub": self.hub.as_dict() if self.hub else None,
                "ollama": self.ollama.as_dict() if self.ollama else None,
                "status": list(self.status) if self.status else None,
                "status_commit": self.status_commit, "warnings": self.warnings,
                "records": [d.as_dict() for d in self.records], "pushed_refs": self.pushed_refs,
                "remote": self.remote}


def plan_deploy(project: Project, task: Task, version: str | None, *, hub: bool | None = None,
                ollama: bool | None = None, latest: bool = False, push: bool = False,
                from_tag: bool = False, artifact: str | None = None) -> DeployPlan:
    """What a deploy would do, read from the release tag and the local files only."""
    project.require_git()
    release = _release(project, task, version or _active(task))
    facts = _release_facts(project, task, release)
    config = {**(facts["task_data"].get("deploy") or {}), **(task.data.get("deploy") or {})}
    want_hub, want_ollama = _targets(task, config, hub, ollama)
    if latest and not want_ollama:
        raise GittaskError("--latest moves Ollama's :latest tag, but this deploy has no Ollama target",
                           hint="leave out --latest, or add --ollama (deploy.ollama_model in task.yaml)")
    status = None if from_tag else _status_move(project, task)
    plan = DeployPlan(task.name, release.version, release.tag, release.commit, None, None, status,
                      from_tag, push)
    if want_hub:
        plan.hub = _hub_plan(task, release, facts, config, artifact)
    if want_ollama:
        plan.ollama = _ollama_plan(task, release, facts, config, latest, push)
    return plan


def _active(task: Task) -> str:
    if not task.version:
        raise GittaskError(f"{task.name} has no active version to deploy",
                           hint="name one: 'gittask deploy VERSION' (see 'gittask log')")
    return task.version


def _release(project: Project, task: Task, version: str) -> versions.Release:
    name, release = versions.resolve(project, task, version)
    if release is None:
        raise GittaskError(f"{task.name} {name} is a draft, not a released version",
                           hint=f"only released versions are deployed: release it first with "
                                f"'gittask release {name}'")
    return release


def _release_facts(project: Project, task: Task, release: versions.Release) -> dict:
    """The version's files at its tag, parsed."""
    blobs = versions.read_files(project, task, release.version,
                                ("config.yaml", "results.json", "model_info.json", "lineage.yaml"), release)
    task_yaml = gitcmd.show_file(project.root, release.commit, task.relpath(TASK_FILE))
    lineage = versions.load_yaml(blobs["lineage.yaml"])
    if lineage is None:
        raise GittaskError(f"{release.tag} has no readable lineage.yaml",
                           hint=f"check the tag with 'gittask verify {release.version}'")
    return {"lineage": lineage, "config": versions.load_yaml(blobs["config.yaml"]) or lineage.get("config") or {},
            "results": versions.load_json(blobs["results.json"]) or lineage.get("results") or {},
            "model_info": versions.load_json(blobs["model_info.json"]) or {},
            "task_data": versions.load_yaml(task_yaml) or task.data}


def _targets(task: Task, config: dict, hub: bool | None, ollama: bool | None) -> tuple[bool, bool]:
    where = task.relpath(TASK_FILE)
    want_hub = bool(config.get("hf_repo")) if hub is None else hub
    want_ollama = bool(config.get("ollama_model")) if ollama is None else ollama
    if want_hub and not config.get("hf_repo"):
        raise GittaskError(f"{where} has no deploy.hf_repo", hint="add `deploy: {hf_repo: org/name}` to it, or use --no-hub")
    if want_ollama and not config.get("ollama_model"):
        raise GittaskError(f"{where} has no deploy.ollama_model",
                           hint="add `deploy: {ollama_model: org/name}` to it, or use --no-ollama")
    if not (want_hub or want_ollama):
        raise GittaskError(f"nothing to deploy {task.name} to",
                           hint=f"set deploy.hf_repo and/or deploy.ollama_model in {where}")
    return want_hub, want_ollama


def _status_move(project: Project, task: Task) -> tuple[str, str] | None:
    """The status change the deploy commits; refused up front (before any upload) when
    task.yaml has uncommitted changes, since the commit must hold only that change."""
    new = lifecycle.move_for_command(task.status, "deployed")
    if new is None:
        return None
    rel = task.relpath(TASK_FILE)
    if gitcmd.status_paths(project.root, [rel]):
        raise GittaskError(f"{rel} has uncommitted changes, and deploy commits its status "
                           f"({task.status} → {new})",
                           hint=f"commit or stash them first ('git status -- {rel}'), then deploy again")
    return task.status, new


# --- planning the Hub ---------------------------------------------------------------

def _hub_plan(task: Task, release: versions.Release, facts: dict, config: dict,
              artifact: str | None) -> HubPlan:
    version = release.version
    repo_id = versioning.artifact_paths(task.name, version, task.strategy, config["hf_repo"])["hf_repo"]
    kind, folder = _model_folder(task, version, facts, artifact)
    files = _folder_files(folder)
    if not files:
        raise GittaskError(f"{task.relpath(_rel_to_task(task, folder))} holds no model files",
                           hint="put the model files there (e.g. adapter_config.json and "
                                "adapter_model.safetensors), then deploy again")
    card_facts = {"task": task.name, "version": version, "tag": release.tag, "kind": kind,
                  "base_model": facts["config"].get("base_model") or config.get("base_model"),
                  "lineage": facts["lineage"], "results": facts["results"],
                  "task_data": facts["task_data"],
                  "primary_metric": (facts["task_data"].get("success_criteria") or {}).get("primary_metric"),
                  "source_hash": (facts["lineage"].get("data") or {}).get("source_hash"),
                  "ollama_model": config.get("ollama_model")}
    return HubPlan(repo_id, _endpoint(), bool(config.get("private")), version, kind,
                   task.relpath(_rel_to_task(task, folder)), files, modelcard.render_card(card_facts),
                   f"{task.name} {version}: upload with gittask")


def _endpoint() -> str:
    # huggingface_hub reads HF_ENDPOINT when it is imported; read it when deploying.
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def _rel_to_task(task: Task, path: Path) -> str:
    return path.relative_to(task.dir).as_posix()


def _model_folder(task: Task, version: str, facts: dict, artifact: str | None) -> tuple[str, Path]:
    """(kind, folder) to upload: see the module doc for the rule."""
    model = facts["lineage"].get("model") or {}
    recorded = (facts["model_info"].get("artifacts") or {})
    kinds = [artifact] if artifact else list(KINDS)
    seen = [k for k in kinds if (recorded.get(f"{k}_path") or {}).get("present")]
    kinds = seen[:1] or kinds
    for kind in kinds:
        rel = model.get(f"{kind}_path") or versioning.artifact_paths(task.name, version, task.strategy)[f"{kind}_path"]
        path = task.path(rel)
        if path.is_dir():
            _check_recorded(task, version, path, recorded.get(f"{kind}_path") or {})
            return kind, path
    raise _missing_folder(task, version, model, kinds)


def _missing_folder(task: Task, version: str, model: dict, kinds: list[str]) -> GittaskError:
    paths = [task.relpath(model.get(f"{k}_path") or f"models/{k}/{version}") for k in kinds]
    what = " nor ".join(paths) if len(paths) > 1 else paths[0]
    return GittaskError(
        f"{'neither ' if len(paths) > 1 else ''}{what} {'exists' if len(paths) > 1 else 'is missing'}: "
        f"the model files of {task.name} {version} are not in this clone",
        hint="model files never go into git: put the folder your training wrote there "
             "(PEFT save_pretrained: adapter_config.json + adapter_model.safetensors; or the "
             "merged model), or deploy without the Hub: --no-hub")


def _check_recorded(task: Task, version: str, path: Path, recorded: dict) -> None:
    """The local files must be the ones the version was released with."""
    expected = recorded.get("sha256")
    if not expected:
        return
    actual = snapshot.artifact_stats(path).get("sha256")
    if actual != expected:
        rel = task.relpath(_rel_to_task(task, path))
        raise GittaskError(f"{rel} differs from what {task.name} {version} was released with "
                           f"(model_info.json sha256 {expected[:12]}, here {str(actual)[:12]})",
                           hint="restore the released files, or draft and release a new version "
                                "for these weights: a version name must mean one model")


def _folder_files(folder: Path) -> list[UploadFile]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in rel.split("/")) or rel == "README.md":
            continue  # hidden files are local state; README.md is replaced by the card
        found.append(UploadFile(rel, path, path.stat().st_size))
    return found


# --- planning Ollama ----------------------------------------------------------------

def _ollama_plan(task: Task, release: versions.Release, facts: dict, config: dict,
                 latest: bool, push: bool) -> OllamaPlan:
    _require_ollama_client()
    version = release.version
    model = facts["lineage"].get("model") or {}
    rel = model.get("gguf_path") or versioning.artifact_paths(task.name, version, task.strategy)["gguf_path"]
    path = task.path(rel)
    if not path.is_file():
        raise GittaskError(f"{task.relpath(rel)} is missing: the GGUF of {task.name} {version} is not in this clone",
                           hint="model files never go into git: convert the merged model to GGUF "
                                "(llama.cpp convert_hf_to_gguf.py --outtype q8_0) and put it there, "
                                "or deploy without Ollama: --no-ollama")
    recorded = ((facts["model_info"].get("artifacts") or {}).get("gguf_path") or {})
    _check_recorded(task, version, path, recorded)
    digest = "sha256:" + (recorded.get("sha256") or snapshot.sha256_file(path))
    base = _ollama_base(config["ollama_model"])
    task_data = facts["task_data"]
    where = f"{task.relpath(TASK_FILE)} at {release.tag}"
    return OllamaPlan(f"{base}:{version}", _ollama_host(), path, task.relpath(rel), path.stat().st_size,
                      digest, modelcard.ollama_template(task_data.get("input_template"), where),
                      modelcard.ollama_system(task_data), modelcard.ollama_parameters(task_data, config),
                      f"{base}:latest" if latest else None, push)


def _require_ollama_client() -> None:
    """The Ollama client is an extra: say so before anything is uploaded anywhere."""
    import importlib.util

    if importlib.util.find_spec("ollama") is None:
        raise GittaskError("the Ollama client is not installed",
                           hint="install it with pip install 'gittask[ollama]', or deploy without Ollama: --no-ollama")


def _ollama_base(name: str) -> str:
    """The model name without a tag: the version is the tag."""
    last = name.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[0] if ":" in last else name


def _ollama_host() -> str:
    """OLLAMA_HOST as a URL, with Ollama's own defaults (http, port 11434)."""
    raw = (os.environ.get("OLLAMA_HOST") or "").strip()
    if not raw:
        return DEFAULT_OLLAMA
    parts = urlsplit(raw if "://" in raw else f"http://{raw}")
    host = parts.hostname or "127.0.0.1"
    host = "127.0.0.1" if host == "0.0.0.0" else host  # the server's listen-on-all address
    port = parts.port or (443 if parts.scheme == "https" else 11434)
    return f"{parts.scheme}://{host}:{port}{parts.path.rstrip('/')}"


# --- executing the plan -------------------------------------------------------------

def execute_deploy(project: Project, task: Task, plan: DeployPlan, progress: bool = False) -> DeployPlan:
    """Deploy to each target of the plan, record what happened, move the status, push."""
    done, failure = [], None
    for name in ("hub", "ollama"):
        target = getattr(plan, name)
        if target is None:
            continue
        try:
            (_deploy_hub if name == "hub" else _deploy_ollama)(target, progress)
        except Exception as exc:  # noqa: BLE001 - mapped to a message, or re-raised
            failure = deploy_error(exc, name, _where(target))
            break
        done.append(name)
        dep = _record_target(project, plan, name, target)
        if dep is not None:
            plan.records.append(dep)
    if done and plan.status:
        _commit_status(project, task, plan)
    if done and plan.push:
        _push_records(project, plan)
    if failure is not None:
        raise _after_partial(plan, done, failure)
    return plan


def _where(target) -> dict:
    if isinstance(target, HubPlan):
        return {"repo": target.repo_id, "endpoint": target.endpoint, "version": target.revision}
    return {"repo": target.model, "endpoint": target.host, "version": target.model.rsplit(":", 1)[-1]}


def _after_partial(plan: DeployPlan, done: list[str], failure: GittaskError) -> GittaskError:
    if not done:
        return failure
    tags = ", ".join(d.tag for d in plan.records) or "already recorded"
    return GittaskError(failure.message,
                        hint=f"{' and '.join(done)} deployed and recorded ({tags}); "
                             f"{failure.hint or 'fix the cause'}")


def _record_target(project: Project, plan: DeployPlan, name: str, target) -> Deployment | None:
    if name == "hub":
        dep = deployments.new(plan.task, plan.version, "hub", target.repo_id, target.commit,
                              pointer=target.pointer, hub_tag=target.revision,
                              url=f"{target.endpoint}/{target.repo_id}/tree/{target.revision}")
    else:
        extra = {"blob": target.digest, "host": target.host}
        if target.pushed:
            extra["pushed"] = True
        dep = deployments.new(plan.task, plan.version, "ollama", target.model, target.manifest,
                              pointer=bool(target.latest), **extra)
    if not _is_news(project, dep):
        return None
    deployments.record(project, dep, plan.commit)
    return dep


def _is_news(project: Project, dep: Deployment) -> bool:
    """Whether `dep` says something the records do not: a first deployment, a pointer
    moved back to this version, or a first push."""
    same = deployments.same_records(project, dep)
    if not same:
        return True
    if dep.extra.get("pushed") and not any(d.extra.get("pushed") for d in same):
        return True
    if not dep.pointer:
        return False
    now = deployments.current(project, dep.task).get(dep.target)
    return not (now and now.pointer and now.version == dep.version and now.location == dep.location)


def _commit_status(project: Project, task: Task, plan: DeployPlan) -> None:
    update_task_file(task, status=plan.status[1])
    plan.status_commit = gitcmd.commit_paths(project.root, f"deploy {task.name} {plan.version}",
                                             [task.relpath(TASK_FILE)])


def _push_records(project: Project, plan: DeployPlan) -> None:
    """Push every deployment record of the version (so `--push` also publishes the
    records of an earlier deploy made without it), and the status commit with its branch."""
    branch = gitcmd.current_branch(project.root)
    refs = [f"refs/tags/{d.tag}" for d in deployments.deployments(project, plan.task) if d.version == plan.version]
    if plan.status_commit and branch:
        refs.insert(0, f"HEAD:refs/heads/{branch}")
    remote = gitcmd.push_remote(project.root, branch)
    shown = " ".join(r.split(":")[-1] for r in refs)
    if not refs:
        return
    if remote is None:
        raise GittaskError("deployed and recorded, but there is no remote to push the records to",
                           hint=f"add one ('git remote add origin URL'), then 'git push origin {shown}'")
    try:
        gitcmd.push_refs(project.root, remote, refs)
    except GittaskError as exc:
        raise GittaskError(f"deployed and recorded, but pushing the records failed: {scrub(exc.message)}",
                           hint=f"push them later: 'git push --atomic {remote} {shown}'") from None
    plan.pushed_refs, plan.remote = refs, remote


# --- the Hub ------------------------------------------------------------------------

def _hf_api(endpoint: str, progress: bool = False):
    """An HfApi made when deploying (huggingface_hub reads its environment at import);
    the token is found by huggingface_hub itself."""
    from huggingface_hub import HfApi
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    if not progress:
        disable_progress_bars()
    elif not os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS"):
        enable_progress_bars()
    return HfApi(endpoint=endpoint)


def _deploy_hub(hub: HubPlan, progress: bool) -> None:
    api = _hf_api(hub.endpoint, progress)
    api.create_repo(hub.repo_id, private=hub.private, exist_ok=True)
    refs = api.list_repo_refs(hub.repo_id)
    head, tagged = _ref(refs.branches, "main"), _ref(refs.tags, hub.revision)
    if tagged:
        _refuse_different_tag(api, hub, tagged)
        hub.action, hub.commit, hub.pointer = "unchanged", tagged, tagged == head
        return
    info = api.create_commit(hub.repo_id, _hub_operations(api, hub, head), commit_message=hub.message,
                             commit_description=f"gittask deploy {hub.revision}",
                             revision="main", parent_commit=head)
    hub.commit, hub.pointer = info.oid, True
    hub.action = "tagged" if info.oid == head else "uploaded"
    _create_hub_tag(api, hub)


def _ref(refs, name: str) -> str | None:
    return next((r.target_commit for r in refs if r.name == name), None)


def _hub_operations(api, hub: HubPlan, head: str | None) -> list:
    """Add every file of the version and the card; delete what main has beyond them."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    ops = [CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(f.local)) for f in hub.files]
    ops.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=hub.card.encode("utf-8")))
    wanted = {f.path for f in hub.files} | _HUB_OWN
    if head:
        ops += [CommitOperationDelete(path_in_repo=p) for p in sorted(_remote_files(api, hub.repo_id, head))
                if p not in wanted]
    return ops


def _remote_files(api, repo_id: str, revision: str) -> dict:
    """{path: RepoFile} of every file at a Hub revision."""
    from huggingface_hub.hf_api import RepoFile

    return {f.path: f for f in api.list_repo_tree(repo_id, revision=revision, recursive=True)
            if isinstance(f, RepoFile)}


def _create_hub_tag(api, hub: HubPlan) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_tag(hub.repo_id, tag=hub.revision, revision=hub.commit,
                       tag_message=f"gittask: {hub.revision}", exist_ok=False)
    except HfHubHTTPError as exc:
        # 409: another deploy tagged it meanwhile; fine if at the same commit.
        if exc.response is None or exc.response.status_code != 409:
            raise
        if _ref(api.list_repo_refs(hub.repo_id).tags, hub.revision) != hub.commit:
            raise _tag_conflict(hub, None, ["the tag was created meanwhile at another commit"]) from None


def _refuse_different_tag(api, hub: HubPlan, commit: str) -> None:
    remote = {p: f for p, f in _remote_files(api, hub.repo_id, hub.revision).items() if p not in _HUB_OWN}
    local = {f.path: f for f in hub.files}
    differs = sorted(set(remote) ^ set(local))
    differs += [p for p in sorted(set(remote) & set(local)) if not _same_file(remote[p], local[p].local)]
    if differs:
        raise _tag_conflict(hub, commit, differs)


def _same_file(remote, local: Path) -> bool:
    if remote.size != local.stat().st_size:
        return False
    if remote.lfs is not None:
        return remote.lfs.sha256 == snapshot.sha256_file(local)
    return remote.blob_id == _git_blob_sha(local)


def _git_blob_sha(path: Path) -> str:
    """The git object id of a file: what the Hub reports for a regular file."""
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _tag_conflict(hub: HubPlan, commit: str | None, differs: list[str]) -> GittaskError:
    at = f" at {commit[:12]}" if commit else ""
    shown = ", ".join(differs[:5]) + (f" and {len(differs) - 5} more" if len(differs) > 5 else "")
    return GittaskError(f"the Hub repo {hub.repo_id} already has a tag {hub.revision}{at} with "
                        f"different files ({shown})",
                        hint=f"a version name must mean one model: release these weights as a new "
                             f"version; if the Hub tag is wrong, delete it on the Hub "
                             f"(HfApi().delete_tag('{hub.repo_id}', tag='{hub.revision}')) and deploy again")


# --- Ollama -------------------------------------------------------------------------

def _deploy_ollama(target: OllamaPlan, progress: bool) -> None:
    import ollama

    client = ollama.Client(host=target.host)
    before = _ollama_digests(client)
    existing = before.get(_model_key(target.model))
    if existing:
        _refuse_other_gguf(client, target)
    target.blob_uploaded = _ensure_blob(target, progress)
    # Streamed: Ollama reports a failure after its first statuses as an {"error"} line.
    _drain(client.create(model=target.model, files={target.filename: target.digest}, template=target.template,
                         system=target.system, parameters=target.parameters or None, stream=True))
    after = _ollama_digests(client)
    target.manifest = after.get(_model_key(target.model))
    target.action = "unchanged" if existing == target.manifest else ("updated" if existing else "created")
    if target.latest and after.get(_model_key(target.latest)) != target.manifest:
        client.copy(target.model, target.latest)
        target.latest_moved = True
    if target.push:
        for name in filter(None, (target.model, target.latest)):
            _drain(client.push(name, stream=True))
        target.pushed = True


def _drain(statuses) -> None:
    """Read a streamed Ollama answer to its end (the client raises on an error line)."""
    for _ in statuses:
        pass


def _model_key(name: str) -> str:
    """Ollama names are case-insensitive and default to the tag `latest`."""
    name = name.lower()
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _ollama_digests(client) -> dict[str, str]:
    return {_model_key(m.model): m.digest for m in client.list().models if m.model}


def _refuse_other_gguf(client, target: OllamaPlan) -> None:
    """An existing <model>:<v> must have been built from this GGUF (its Modelfile names
    the blob); anything else would silently replace what `v` means."""
    modelfile = client.show(target.model).modelfile or ""
    if target.digest.split(":", 1)[1] not in modelfile:
        raise GittaskError(f"Ollama already has {target.model}, built from another GGUF than "
                           f"{target.gguf_display}",
                           hint=f"a version name must mean one model: if it is stale, remove it "
                                f"('ollama rm {target.model}') and deploy again")


def _ensure_blob(target: OllamaPlan, progress: bool) -> bool:
    """Upload the GGUF unless the server has it already; True when uploaded."""
    import httpx
    import ollama

    url = f"{target.host}/api/blobs/{target.digest}"
    with httpx.Client(timeout=httpx.Timeout(60.0, read=None, write=None)) as http:
        if http.head(url).status_code == 200:
            return False
        response = http.post(url, content=_read_chunks(target, progress))
    if response.status_code >= 400:
        raise ollama.ResponseError(_ollama_error_text(response), response.status_code)
    return True


def _ollama_error_text(response) -> str:
    try:
        return response.json().get("error") or response.text
    except ValueError:
        return response.text


def _read_chunks(target: OllamaPlan, progress: bool):
    """The GGUF in 1 MiB pieces, with a progress bar on a terminal (stderr)."""
    from tqdm.auto import tqdm

    with open(target.gguf, "rb") as handle, \
            tqdm(total=target.size, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr,
                 desc=f"ollama {target.filename}", disable=not progress, leave=False) as bar:
        while chunk := handle.read(1 << 20):
            bar.update(len(chunk))
            yield chunk


# --- rollback --deploy: re-pointing Hub main and Ollama latest ------------------------

def repoint(project: Project, task: Task, version: str) -> list[Deployment]:
    """Point the Hub's `main` and Ollama's `latest` back at an already deployed version:
    a new commit on main copying the files of the Hub tag `<v>` (history kept), and a
    copy of `<model>:<v>` to `<model>:latest`. Records each move (pointer=True)."""
    release = _release(project, task, version)
    facts = _release_facts(project, task, release)
    config = {**(facts["task_data"].get("deploy") or {}), **(task.data.get("deploy") or {})}
    if not (config.get("hf_repo") or config.get("ollama_model")):
        raise GittaskError(f"{task.name} has no deploy targets to re-point",
                           hint=f"set deploy.hf_repo / deploy.ollama_model in {task.relpath(TASK_FILE)}")
    steps = []
    if config.get("hf_repo"):
        repo_id = versioning.artifact_paths(task.name, release.version, task.strategy, config["hf_repo"])["hf_repo"]
        steps.append(("hub", repo_id, _endpoint(), _repoint_hub))
    if config.get("ollama_model"):
        _require_ollama_client()
        model = f"{_ollama_base(config['ollama_model'])}:{release.version}"
        steps.append(("ollama", model, _ollama_host(), _repoint_ollama))
    moved = []
    for target, location, endpoint, move in steps:
        where = {"repo": location, "endpoint": endpoint, "version": release.version}
        dep = _guarded(target, where, move, task, release, location)
        if _is_news(project, dep):  # recorded at once: a later target's failure keeps it
            deployments.record(project, dep, release.commit)
        moved.append(dep)
    return moved


def _guarded(target: str, where: dict, fn, *args) -> Deployment:
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - mapped to a message, or re-raised
        raise deploy_error(exc, target, where) from None


def _repoint_hub(task: Task, release: versions.Release, repo_id: str) -> Deployment:
    from huggingface_hub import CommitOperationCopy, CommitOperationDelete

    version = release.version
    api = _hf_api(_endpoint())
    refs = api.list_repo_refs(repo_id)
    if not _ref(refs.tags, version):
        raise GittaskError(f"the Hub repo {repo_id} has no tag {version}: {task.name} {version} "
                           "was never deployed there", hint=f"deploy it first: 'gittask deploy {version}'")
    head = _ref(refs.branches, "main")
    at_tag = _remote_files(api, repo_id, version)
    at_main = _remote_files(api, repo_id, head) if head else {}
    ops = [CommitOperationCopy(src_path_in_repo=p, path_in_repo=p, src_revision=version) for p in sorted(at_tag)]
    ops += [CommitOperationDelete(path_in_repo=p) for p in sorted(set(at_main) - set(at_tag))]
    info = api.create_commit(repo_id, ops, commit_message=f"{task.name}: point main at {version}",
                             commit_description=f"gittask rollback --deploy {version}",
                             revision="main", parent_commit=head)
    return deployments.new(task.name, version, "hub", repo_id, info.oid, pointer=True, hub_tag=version,
                           url=f"{_endpoint()}/{repo_id}/tree/main")


def _repoint_ollama(task: Task, release: versions.Release, model: str) -> Deployment:
    import ollama

    client = ollama.Client(host=_ollama_host())
    digests = _ollama_digests(client)
    if _model_key(model) not in digests:
        raise GittaskError(f"Ollama at {_ollama_host()} has no {model}: {task.name} {release.version} "
                           "was never deployed there", hint=f"deploy it first: 'gittask deploy {release.version}'")
    latest = f"{model.rsplit(':', 1)[0]}:latest"
    if digests.get(_model_key(latest)) != digests[_model_key(model)]:
        client.copy(model, latest)
    return deployments.new(task.name, release.version, "ollama", model, digests[_model_key(model)],
                           pointer=True, host=_ollama_host())


# --- --from-tag -----------------------------------------------------------------------

def release_of_tag(project: Project, tag: str) -> tuple[str, str]:
    """(task, version) of a release tag named by CI (`$GITHUB_REF_NAME`, or a full
    `refs/tags/…` name); clear errors for the ways a CI checkout gets tags wrong."""
    project.require_git()
    name = tag.removeprefix("refs/tags/")
    parsed = project.parse_tag(name)
    if not parsed:
        raise GittaskError(f"{tag} is not a gittask release tag (expected {project.settings.tag_format})",
                           hint="pass the pushed release tag, e.g. --from-tag \"$GITHUB_REF_NAME\"")
    found = gitcmd.tags(project.root, [f"refs/tags/{name}"])
    if not found:
        raise GittaskError(f"there is no tag {name} in this clone",
                           hint="fetch it: 'git fetch --tags' (CI: actions/checkout with fetch-depth: 0)")
    if not found[0].annotated:
        raise GittaskError(f"{name} is a lightweight tag in this clone, but releases are annotated tags",
                           hint=f"actions/checkout may replace the pushed tag by a lightweight one: "
                                f"run 'git fetch --force origin refs/tags/{name}:refs/tags/{name}' first")
    return parsed


# --- errors: the one table ------------------------------------------------------------
# (target, kind) → (message, hint). kind is an HTTP status, "5xx", "http" (any other
# status), "unreachable" or "offline". Filled with {repo}, {endpoint}, {version},
# {status} and {detail} (the server's own words, scrubbed of tokens).

_AGAIN = "nothing was recorded for it; run 'gittask deploy {version}' again (finished uploads are skipped)"
_ERRORS: dict[tuple[str, object], tuple[str, str]] = {
    ("hub", 401): ("the Hub rejected the token: run `hf auth login` or set HF_TOKEN",
                   "nothing was deployed to {repo}; the token needs write access to it"),
    ("hub", 403): ("the Hub does not let this token write to {repo} (403): {detail}",
                   "use a token with write access to the repo's owner (https://huggingface.co/settings/tokens)"),
    ("hub", 404): ("the Hub has no {repo}, or hides it from this token (404): {detail}",
                   "check deploy.hf_repo in task.yaml and the token's access"),
    ("hub", 412): ("{repo}'s main branch moved while deploying (412)",
                   "another upload finished first and nothing was tagged; run 'gittask deploy {version}' again"),
    ("hub", 429): ("the Hub is rate-limiting this token (429)", "wait a few minutes; " + _AGAIN),
    ("hub", "5xx"): ("the Hub answered {status} while deploying to {repo}: {detail}", "the upload did not complete; " + _AGAIN),
    ("hub", "http"): ("the Hub refused the request for {repo} ({status}): {detail}", _AGAIN),
    ("hub", "unreachable"): ("cannot reach the Hub at {endpoint}: {detail}",
                             "check the network and HF_ENDPOINT; " + _AGAIN),
    ("hub", "offline"): ("HF_HUB_OFFLINE is set, and deploying needs the Hub",
                         "unset HF_HUB_OFFLINE, or preview with --dry-run"),
    ("ollama", 404): ("Ollama at {endpoint} answered 404 for {repo}: {detail}", _AGAIN),
    ("ollama", "5xx"): ("Ollama at {endpoint} answered {status} for {repo}: {detail}", "the upload did not complete; " + _AGAIN),
    ("ollama", "http"): ("Ollama at {endpoint} refused {repo} ({status}): {detail}", _AGAIN),
    ("ollama", "unreachable"): ("cannot reach Ollama at {endpoint}: {detail}",
                                "start it ('ollama serve') or point OLLAMA_HOST at it; " + _AGAIN),
}


def deploy_error(exc: BaseException, target: str, where: dict) -> GittaskError:
    """The GittaskError for an exception raised while deploying to `target`; exceptions
    that are not the clients' (bugs) are re-raised as they are."""
    if isinstance(exc, GittaskError):
        return exc
    found = _classify(exc)
    if found is None:
        raise exc
    kind, status, detail = found
    server_error = [(target, "5xx")] if status and status >= 500 else []
    keys = [(target, status), *server_error, (target, kind), (target, "http")]
    message, hint = _ERRORS[next(k for k in keys if k in _ERRORS)]
    values = {**where, "status": status, "detail": scrub(detail).strip() or "no details"}
    return GittaskError(message.format(**values), hint=hint.format(**values))


def _classify(exc: BaseException) -> tuple[str, int | None, str] | None:
    """(kind, HTTP status, detail) of the clients' exceptions, found without importing
    a client that was not used."""
    names = {(c.__module__.split(".")[0], c.__name__) for c in type(exc).__mro__}
    if ("huggingface_hub", "OfflineModeIsEnabled") in names:
        return "offline", None, str(exc)
    if ("huggingface_hub", "HfHubHTTPError") in names:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        detail = getattr(exc, "server_message", None) or str(exc).splitlines()[0]
        return "http", status, detail
    if ("ollama", "ResponseError") in names:
        return "http", getattr(exc, "status_code", None), getattr(exc, "error", str(exc))
    if any(mod in ("httpx", "httpx2") and name == "TransportError" for mod, name in names):
        return "unreachable", None, str(exc)
    if isinstance(exc, ConnectionError):  # the ollama client's "Failed to connect"
        return "unreachable", None, str(exc).split(". ")[0]
    return None


_TOKEN_RE = re.compile(r"\bhf_[A-Za-z0-9]{20,}\b")


def scrub(text: str) -> str:
    """`text` without any token this process could send."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return _TOKEN_RE.sub("hf_***", text)


def _secrets() -> list[str]:
    values = [os.environ.get(k) for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OLLAMA_API_KEY")]
    hub = sys.modules.get("huggingface_hub")
    if hub is not None:  # the token file of `hf auth login`, only when the client is in use
        try:
            values.append(hub.get_token())
        except Exception:  # noqa: BLE001 - a broken token file is not this message's problem
            pass
    return sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True)
