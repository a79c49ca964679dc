"""What is deployed where, recorded in git so that any clone can answer it.

Each deployment is an annotated tag `deploy/<task>/<version>/<target>-<YYYYMMDDTHHMMSS>`
on the version's release commit; its message is a YAML record (Hub commit sha, Ollama
digest, time, whether `main`/`latest` now points at it). Tags need no commit on a
branch, so CI can record a deployment from a detached checkout and push just the tag.
All records are read with one `for-each-ref` call.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from gittask import clock, gitcmd, yamlio
from gittask.project import Project

PREFIX = "deploy"
TARGETS = ("hub", "ollama")


@dataclass
class Deployment:
    task: str
    version: str
    target: str                 # "hub" or "ollama"
    location: str               # Hub repo id, or Ollama model name with tag
    ref: str | None             # Hub commit sha, or Ollama manifest digest
    time: str                   # ISO 8601
    pointer: bool = False       # Hub `main` / Ollama `latest` points at this version
    extra: dict = field(default_factory=dict)
    tag: str | None = None
    seq: int = 0                # the task's records in creation order (ties in `time`)

    def as_dict(self) -> dict:
        return {"task": self.task, "version": self.version, "target": self.target,
                "location": self.location, "ref": self.ref, "time": self.time,
                "pointer": self.pointer, "tag": self.tag, **({"extra": self.extra} if self.extra else {})}


def tag_for(dep: Deployment) -> str:
    stamp = dep.time.replace("-", "").replace(":", "")[:15]
    return f"{PREFIX}/{dep.task}/{dep.version}/{dep.target}-{stamp}"


def record(project: Project, dep: Deployment, commit: str) -> str:
    """Write the deployment record as an annotated tag on `commit`; returns its name.
    Two records in the same second get a numeric suffix."""
    base = tag_for(dep)
    name, n = base, 1
    while gitcmd.rev_exists(project.root, f"refs/tags/{name}"):
        n += 1
        name = f"{base}.{n}"
    dep.seq = max((d.seq for d in deployments(project, dep.task)), default=0) + 1
    body = {"task": dep.task, "version": dep.version, "target": dep.target,
            "location": dep.location, "ref": dep.ref, "time": dep.time, "pointer": dep.pointer,
            "seq": dep.seq}
    if dep.extra:
        body["extra"] = dep.extra
    subject = f"deploy {dep.task} {dep.version} to {dep.target}: {dep.location}"
    gitcmd.create_tag(project.root, name, commit, f"{subject}\n\n{yamlio.dump_yaml(body)}")
    dep.tag = name
    return name


def new(task: str, version: str, target: str, location: str, ref: str | None,
        pointer: bool = False, **extra) -> Deployment:
    return Deployment(task, version, target, location, ref, clock.stamp(), pointer, dict(extra))


def deployments(project: Project, task: str | None = None) -> list[Deployment]:
    """Every deployment record (of one task), oldest first."""
    from gittask.versions import parse_tag_message

    pattern = f"refs/tags/{PREFIX}/{task}/" if task else f"refs/tags/{PREFIX}/"
    found = []
    for ref in gitcmd.tags(project.root, [pattern]):
        meta = parse_tag_message(ref.body)
        if not meta.get("task") or not meta.get("version") or meta.get("target") not in TARGETS:
            continue
        found.append(Deployment(str(meta["task"]), str(meta["version"]), meta["target"],
                                str(meta.get("location", "")), meta.get("ref"),
                                str(meta.get("time") or ref.date), bool(meta.get("pointer")),
                                meta.get("extra") or {}, ref.name, int(meta.get("seq") or 0)))
    # Records made within one second (scripts, CI) keep their order through `seq`.
    return sorted(found, key=lambda d: (d.time, d.seq, d.tag or ""))


def current(project: Project, task: str) -> dict[str, Deployment]:
    """Per target, the version its pointer (Hub main / Ollama latest) was last moved to;
    when no pointer was ever moved, the last deployment."""
    result: dict[str, Deployment] = {}
    for dep in deployments(project, task):
        if dep.pointer or dep.target not in result or not result[dep.target].pointer:
            result[dep.target] = dep
    return result


def deployed_versions(project: Project, task: str) -> set[str]:
    """Every version that was ever deployed anywhere (retention keeps them)."""
    return {d.version for d in deployments(project, task)}


def same_records(project: Project, dep: Deployment) -> list[Deployment]:
    """Earlier records of exactly this deployment: same version, target, location and
    ref (deploy uses them to leave an unchanged re-deploy unrecorded)."""
    key = (dep.version, dep.target, dep.location, dep.ref)
    return [d for d in deployments(project, dep.task) if (d.version, d.target, d.location, d.ref) == key]
