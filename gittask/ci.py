"""The CI workflow that publishes released versions: `gittask ci init`.

On every pushed release tag it checks the repository out with its whole history and
tags, installs gittask and runs `gittask deploy --from-tag "$TAG" --no-ollama --push`,
which uploads the version to the Hub, tags it there, and pushes the deployment record
tag back (hence `contents: write`). A CI runner has no Ollama, so Ollama stays a local
step. One run per task at a time: GitHub expressions cannot split a string, so a first
small job derives the task from the tag with shell parameter expansion and the deploy
job's `concurrency` group uses its output.

Decisions:
- The tag filter and the task's extraction follow the project's tag_format
  (`{task}@{version}` → tags `*@*`, task = the text before the first `@`). A format
  without `{task}` (a single-task repository) needs no first job: one group per
  repository. A format whose task is not followed by a literal separator gets one group
  per repository too (correct, only less parallel).
- actions/checkout may turn the pushed annotated tag into a lightweight one
  (actions/checkout#290); the workflow fetches the tag again, as annotated.
- The workflow installs gittask with pip from a spec (`--install`, default
  `gittask==<this version>`), so a run deploys with the gittask that wrote it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gittask import __version__
from gittask.errors import GittaskError
from gittask.project import Project

WORKFLOW = ".github/workflows/gittask-deploy.yml"
PYTHON = "3.11"
# GitHub's filter pattern characters; a literal one in a tag format is escaped.
_FILTER_SPECIAL = set("*?+[]!\\")


@dataclass
class WorkflowResult:
    path: Path
    action: str         # written | replaced
    text: str

    def as_dict(self) -> dict:
        return {"path": str(self.path), "action": self.action}


def write_workflow(project: Project, force: bool = False, install: str | None = None) -> WorkflowResult:
    """Write the workflow; an existing file is replaced only with force."""
    from gittask.yamlio import write_atomic

    path = project.root / WORKFLOW
    existed = path.exists()
    if existed and not force:
        raise GittaskError(f"{WORKFLOW} already exists",
                           hint="keep it, or replace it with 'gittask ci init --force' (edits made to it are lost)")
    text = render_workflow(project.settings.tag_format, install)
    write_atomic(path, text)
    return WorkflowResult(path, "replaced" if existed else "written", text)


def render_workflow(tag_format: str, install: str | None = None) -> str:
    spec = install or f"gittask=={__version__}"
    split = task_split(tag_format)
    head = _HEADER.format(pattern=tag_filter(tag_format))
    if split is None:
        return head + _SINGLE_GROUP + _JOBS_HEAD + _deploy_job(spec, needs="", group="")
    prefix, separator = split
    job = _TASK_JOB.format(strip_prefix=_strip_prefix(prefix), separator=_sh_quote(separator))
    group = _JOB_GROUP
    return head + _JOBS_HEAD + job + _deploy_job(spec, needs="    needs: task\n", group=group)


def tag_filter(tag_format: str) -> str:
    """The push filter matching the release tags of any task and version."""
    literal = tag_format.replace("{task}", "\0").replace("{version}", "\0")
    escaped = "".join("\\" + c if c in _FILTER_SPECIAL else c for c in literal)
    return escaped.replace("\0", "*")


def task_split(tag_format: str) -> tuple[str, str] | None:
    """(text before {task}, literal text between {task} and {version}), or None when
    the task cannot be cut out of a tag name with two shell expansions."""
    if "{task}" not in tag_format:
        return None
    prefix, rest = tag_format.split("{task}", 1)
    if "{version}" not in rest or "{version}" in prefix:
        return None
    separator = rest.split("{version}", 1)[0]
    return (prefix, separator) if separator else None


def _strip_prefix(prefix: str) -> str:
    return f'name="${{name#{_sh_quote(prefix)}}}"\n          ' if prefix else ""


def _sh_quote(text: str) -> str:
    # Inside ${name%%…}, a double-quoted part is matched literally, not as a pattern.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`") + '"'


def _deploy_job(spec: str, needs: str, group: str) -> str:
    return _DEPLOY_JOB.format(needs=needs, group=group, spec=spec, python=PYTHON)


_HEADER = """\
# Written by `gittask ci init`: publishes each released version to the Hugging Face Hub.
#
# A release is an annotated git tag TASK@VERSION ('gittask release --push' pushes it).
# Pushing one runs this workflow: it uploads that version's model folder and a generated
# model card to the task's Hub repo (deploy.hf_repo in task.yaml), tags the Hub commit
# with the version name, and pushes the deployment record tag deploy/TASK/VERSION/... back.
# Model files are not in git: the runner must be able to reach them at the paths of the
# version's lineage.yaml (e.g. restore them in a step before the deploy).
#
# Credentials: a repository secret HF_TOKEN holding a Hugging Face token with write
# access. Trusted publishing instead of a stored token: give the job `id-token: write`,
# set HF_OIDC_RESOURCE to the Hub repo (e.g. org/entity-sentiment) in the deploy step's
# env and drop HF_TOKEN; huggingface_hub then exchanges GitHub's OIDC token itself.
name: gittask deploy

on:
  push:
    tags:
      - "{pattern}"

permissions:
  contents: write  # push the deployment record tags
"""

_SINGLE_GROUP = """
# One deploy at a time; a newer tag waits for the running deploy instead of cancelling it.
concurrency:
  group: gittask-deploy-${{ github.repository }}
  cancel-in-progress: false
"""

_JOBS_HEAD = """
jobs:
"""

_TASK_JOB = """\
  task:
    name: Task of the tag
    runs-on: ubuntu-latest
    outputs:
      name: ${{{{ steps.parse.outputs.name }}}}
    steps:
      - id: parse
        env:
          TAG: ${{{{ github.ref_name }}}}
        run: |
          name="$TAG"
          {strip_prefix}name="${{name%%{separator}*}}"
          echo "name=$name" >> "$GITHUB_OUTPUT"

"""

_JOB_GROUP = """\
    # One deploy per task at a time: a newer tag of the task waits instead of cancelling
    # the running one (GitHub keeps one waiting run per group: re-run any it cancels).
    concurrency:
      group: gittask-deploy-${{ needs.task.outputs.name }}
      cancel-in-progress: false
"""

_DEPLOY_JOB = """\
  deploy:
    name: Deploy to the Hugging Face Hub
{needs}    runs-on: ubuntu-latest
{group}    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # the whole history and every tag: deploy reads the release tag
      - name: Fetch the release tag as an annotated tag
        env:
          TAG: ${{{{ github.ref_name }}}}
        run: git fetch --force origin "refs/tags/$TAG:refs/tags/$TAG"
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - name: Install gittask
        run: python -m pip install "{spec}"
      - name: Set the git identity of the deployment record tags
        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
      - name: Deploy the released version
        env:
          HF_TOKEN: ${{{{ secrets.HF_TOKEN }}}}
          TAG: ${{{{ github.ref_name }}}}
        run: gittask deploy --from-tag "$TAG" --no-ollama --push
"""
