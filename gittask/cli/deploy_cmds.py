"""Commands that publish versions: deploy, and `ci init` (the workflow that deploys in CI).

Nothing here imports huggingface_hub or ollama: gittask.deploy imports them inside the
functions that talk to the servers, so `--help` and `list` never pay for them."""

import sys
from typing import Annotated, Optional

import typer

from gittask.cli import JsonOpt, TaskOpt, command, echo, emit_json, open_project, open_task, sub_app
from gittask.errors import GittaskError


@command("deploy", short_help="Deploy a version to the Hub and Ollama.")
def deploy_cmd(
    version: Annotated[Optional[str], typer.Argument(metavar="[VERSION]", help="A released version, VERSION or TASK@VERSION (default: the active version).")] = None,
    task: TaskOpt = None,
    hub: Annotated[Optional[bool], typer.Option("--hub/--no-hub", help="Deploy to the Hugging Face Hub (default: when task.yaml has deploy.hf_repo).")] = None,
    ollama: Annotated[Optional[bool], typer.Option("--ollama/--no-ollama", help="Deploy to Ollama (default: when task.yaml has deploy.ollama_model).")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="Also point Ollama's MODEL:latest at this version.")] = False,
    push: Annotated[bool, typer.Option("--push", help="Push the Ollama tags to their registry, and the deployment records (and the status commit) to origin.")] = False,
    from_tag: Annotated[Optional[str], typer.Option("--from-tag", metavar="TAG", help="Deploy the release tag TAG, as CI does (e.g. \"$GITHUB_REF_NAME\"): works on a detached checkout and commits nothing.")] = None,
    artifact: Annotated[Optional[str], typer.Option("--artifact", metavar="KIND", help="The model folder for the Hub: adapter or merged (default: what the release recorded).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (files, sizes, targets, tag names); touch nothing, not even the network.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Deploy a released version under its name: Hub tag VERSION and Ollama MODEL:VERSION."""
    from gittask.deploy import KINDS, execute_deploy, plan_deploy

    if artifact is not None and artifact not in KINDS:
        raise GittaskError(f"--artifact {artifact}: expected one of {', '.join(KINDS)}")
    project, t, name = _deploy_target(version, task, from_tag)
    plan = plan_deploy(project, t, name, hub=hub, ollama=ollama, latest=latest, push=push,
                       from_tag=bool(from_tag), artifact=artifact)
    if not dry_run:
        execute_deploy(project, t, plan, progress=not as_json and sys.stderr.isatty())
    if as_json:
        emit_json({**plan.as_dict(), "dry_run": dry_run})
        return
    echo("\n".join(plan_lines(plan) if dry_run else result_lines(plan)))


def _deploy_target(version: str | None, task: str | None, from_tag: str | None):
    """(project, task, version) from VERSION / TASK@VERSION / -t, or from --from-tag."""
    from gittask.deploy import release_of_tag
    from gittask.project import split_ref

    if from_tag:
        if version or task:
            raise GittaskError("--from-tag names the task and the version: give no VERSION or -t with it")
        named, name = release_of_tag(open_project(), from_tag)
        project, t = open_task(named)
        return project, t, name
    named, name = split_ref(version) if version else (None, None)
    if named and task and named != task:
        raise GittaskError(f"{version} names task '{named}' but -t says '{task}'", hint="give one of them")
    project, t = open_task(named or task)
    return project, t, name


def size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def plan_lines(plan) -> list[str]:
    """The dry run: every upload, tag and record the deploy would make."""
    lines = ["# dry run: nothing was uploaded, tagged, recorded or committed",
             f"deploy {plan.task} {plan.version} ({plan.tag}, commit {plan.commit[:12]})"]
    if plan.hub:
        h = plan.hub
        lines += [f"hub     {h.repo_id} at {h.endpoint} ({'private' if h.private else 'public'})",
                  f"        upload {h.folder} ({h.kind}) to main, then tag {h.revision}:"]
        rows = [(f.path, f.size) for f in h.files] + [("README.md (model card)", len(h.card.encode()))]
        wide = max(len(p) for p, _ in rows)
        lines += [f"          {p:<{wide}}  {size(n):>10}" for p, n in rows]
    if plan.ollama:
        o = plan.ollama
        params = ", ".join(f"{k} {v}" for k, v in o.parameters.items()) or "none"
        lines += [f"ollama  {o.model} at {o.host}",
                  f"        GGUF {o.gguf_display}  {size(o.size)}  {o.digest[:19]}…",
                  f"        parameters: {params}"]
        if o.latest:
            lines.append(f"        then copy to {o.latest}")
        if o.push:
            lines.append("        then push to its registry")
    targets = [n for n in ("hub", "ollama") if getattr(plan, n)]
    lines.append(f"record  deploy/{plan.task}/{plan.version}/{{{','.join(targets)}}}-<time> on {plan.commit[:12]}")
    if plan.status:
        lines.append(f"status  {plan.status[0]} → {plan.status[1]} (commit \"deploy {plan.task} {plan.version}\")")
    if plan.push:
        lines.append("push    the records" + (" and the status commit" if plan.status else "") + " to origin")
    return lines


def result_lines(plan) -> list[str]:
    lines = []
    if plan.hub:
        lines.append(_hub_line(plan.hub))
    if plan.ollama:
        lines.append(_ollama_line(plan.ollama))
    lines += [f"recorded {d.tag}" for d in plan.records]
    if plan.status_commit:
        lines.append(f"status: {plan.status[0]} → {plan.status[1]} ({plan.status_commit[:12]} "
                     f"deploy {plan.task} {plan.version})")
    if not plan.changed:
        lines.append(f"nothing changed: {plan.task} {plan.version} is already deployed there")
    if plan.pushed_refs:
        names = [r.split(":")[-1].removeprefix("refs/heads/").removeprefix("refs/tags/") for r in plan.pushed_refs]
        lines.append(f"pushed to {plan.remote}: {', '.join(names)}")
    return lines


def _hub_line(h) -> str:
    if h.action == "unchanged":
        return (f"hub: {h.repo_id} already has tag {h.revision} at {h.commit[:12]} with these files: "
                "nothing to upload")
    what = (f"uploaded {len(h.files)} file(s) and the model card to" if h.action == "uploaded"
            else "the files were already on")
    return f"hub: {what} {h.repo_id} main ({h.commit[:12]}), tagged {h.revision}"


def _ollama_line(o) -> str:
    text = f"ollama: {o.action} {o.model} (digest {str(o.manifest)[:12]})"
    if o.action == "unchanged":
        text = f"ollama: {o.model} is unchanged (digest {str(o.manifest)[:12]})"
    if o.latest:
        text += f"; {o.latest} → {o.model.rsplit(':', 1)[-1]}" + ("" if o.latest_moved else " (already)")
    return text + ("; pushed" if o.pushed else "")


# --- ci ------------------------------------------------------------------------------

ci_app = sub_app("ci", "Set up CI that deploys each released version.")


@command("init", on=ci_app, short_help="Write the workflow that deploys tags.")
def ci_init_cmd(
    github: Annotated[bool, typer.Option("--github", help="A GitHub Actions workflow (the only kind so far, and the default).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing workflow file.")] = False,
    install: Annotated[Optional[str], typer.Option("--install", metavar="SPEC", help="What the workflow pip-installs (default: this gittask's version).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write .github/workflows/gittask-deploy.yml: deploys each pushed TASK@VERSION tag to the Hub."""
    from gittask.ci import WORKFLOW, write_workflow

    project = open_project()
    result = write_workflow(project, force=force, install=install)
    if as_json:
        emit_json(result.as_dict())
        return
    echo(f"{'wrote' if result.action == 'written' else result.action} {WORKFLOW}")
    echo("next: add the repository secret HF_TOKEN (a Hub token with write access), commit the "
         "workflow, and push release tags ('gittask release --push'): each one is deployed")
