"""The one module that runs git.

Everything else asks it for plain data. It runs the real git binary as a subprocess:
GitPython's import alone costs more here than `gittask list` may take in total (see
benchmarks/), and pre-commit, the model git tool, does the same. Inherited `GIT_*`
variables are dropped so that gittask behaves the same inside a git hook as outside.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gittask.errors import GitError, GittaskError

# Variables git sets for hooks; left in place they would point our git calls at the
# hook's repository and index instead of the one we name with -C.
_KEEP_GIT_VARS = {"GIT_EXEC_PATH", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS",
                  "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_TERMINAL_PROMPT",
                  "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
                  "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE",
                  "GIT_SSL_NO_VERIFY", "GIT_TRACE", "GIT_CONFIG_PARAMETERS"}


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") or k in _KEEP_GIT_VARS}
    env.setdefault("LC_ALL", "C")
    if extra:
        env.update(extra)
    return env


def run(cwd: Path | str, *args: str, input: bytes | None = None,
        env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run `git -C cwd args…`; raise GitError with git's message when it fails."""
    try:
        proc = subprocess.run(["git", "-C", str(cwd), *args], input=input,
                              capture_output=True, env=clean_env(env))
    except FileNotFoundError:
        raise GittaskError("git is not installed or not on PATH",
                           hint="install git (https://git-scm.com) and try again") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed"
        raise GitError(f"git {args[0]}: {message}")
    return proc


def out(cwd: Path | str, *args: str, **kw) -> str:
    """Run git and return its stdout as text without the trailing newline."""
    return run(cwd, *args, **kw).stdout.decode("utf-8", "replace").rstrip("\n")


def ok(cwd: Path | str, *args: str) -> bool:
    return run(cwd, *args, check=False).returncode == 0


# --- repository ----------------------------------------------------------------

def find_git_dir(start: Path) -> tuple[Path, Path] | None:
    """(work tree root, git dir) for `start`, found without running git (it is on the
    hot path of `list`); None outside a repository."""
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return folder, dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                git_dir = Path(text[len("gitdir:"):].strip())
                return folder, (folder / git_dir).resolve()
    return None


def init(path: Path) -> None:
    run(path, "init", "-q", "-b", "main")


def head(cwd: Path) -> str | None:
    proc = run(cwd, "rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
    return proc.stdout.decode().strip() or None


def status_paths(cwd: Path, pathspecs: list[str]) -> list[tuple[str, str]]:
    """(two-letter status, path) of every uncommitted change under the pathspecs,
    untracked files included, ignored files not."""
    raw = run(cwd, "status", "--porcelain=v1", "-z", "--untracked-files=all",
              "--", *pathspecs).stdout.decode("utf-8", "replace")
    entries, items = [], raw.split("\0")
    i = 0
    while i < len(items):
        item = items[i]
        if not item:
            i += 1
            continue
        code, path = item[:2], item[3:]
        if code[0] in "RC":  # rename/copy: the source path follows
            i += 1
        entries.append((code, path))
        i += 1
    return entries


def commit_paths(cwd: Path, message: str, paths: list[str], allow_empty: bool = False) -> str:
    """Stage exactly `paths` (additions and deletions) and commit only them; return the
    new commit sha. Other staged changes of the user are left staged, not committed."""
    run(cwd, "add", "-A", "--", *paths)
    args = ["commit", "-q", "--no-verify", "-m", message]
    if allow_empty:
        args.append("--allow-empty")
    run(cwd, *args, "--", *paths)
    return out(cwd, "rev-parse", "HEAD")


# --- tags and objects ------------------------------------------------------------

@dataclass(frozen=True)
class TagRef:
    name: str           # the tag name, e.g. "entity-sentiment@v2"
    object: str         # the tag object (annotated) or commit (lightweight)
    commit: str         # the commit the tag points at
    annotated: bool
    date: str           # tagger date (ISO 8601 strict) or committer date
    subject: str        # first line of the tag message
    body: str           # the rest of the message


_SEP = "\x1f"
_REC = "\x1e"
_TAG_FORMAT = _SEP.join([
    "%(refname:lstrip=2)", "%(objectname)", "%(*objectname)", "%(objecttype)",
    "%(taggerdate:iso-strict)", "%(*committerdate:iso-strict)", "%(committerdate:iso-strict)",
    "%(contents:subject)", "%(contents:body)",
]) + _REC


def tags(cwd: Path, patterns: list[str] | None = None) -> list[TagRef]:
    """Every tag matching the patterns (refs/tags/… globs), read with one git call."""
    raw = out(cwd, "for-each-ref", f"--format={_TAG_FORMAT}", *(patterns or ["refs/tags"]))
    result = []
    for record in raw.split(_REC):
        record = record.lstrip("\n")
        if not record:
            continue
        (name, obj, peeled, otype, tdate, pcdate, cdate, subject, body) = record.split(_SEP)
        annotated = otype == "tag"
        result.append(TagRef(name=name, object=obj, commit=peeled if annotated else obj,
                             annotated=annotated, date=tdate or pcdate or cdate,
                             subject=subject, body=body.rstrip("\n")))
    return result


def cat_files(cwd: Path, specs: list[str]) -> list[bytes | None]:
    """Contents of many `REV:PATH` objects with one `git cat-file --batch`; None where
    the object does not exist."""
    if not specs:
        return []
    data = run(cwd, "cat-file", "--batch", input="".join(s + "\n" for s in specs).encode()).stdout
    results, pos = [], 0
    for _ in specs:
        eol = data.index(b"\n", pos)
        header = data[pos:eol].decode("utf-8", "replace")
        pos = eol + 1
        if header.endswith(" missing") or header.endswith(" ambiguous"):
            results.append(None)
            continue
        size = int(header.rsplit(" ", 1)[1])
        results.append(data[pos:pos + size])
        pos += size + 1
    return results


def show_file(cwd: Path, rev: str, path: str) -> bytes | None:
    return cat_files(cwd, [f"{rev}:{path}"])[0]


def ls_tree(cwd: Path, rev: str, path: str) -> list[str]:
    """Paths of the files under `path` at `rev` (recursive)."""
    raw = out(cwd, "ls-tree", "-r", "-z", "--name-only", rev, "--", path)
    return [p for p in raw.split("\0") if p]


def create_tag(cwd: Path, name: str, commit: str, message: str) -> None:
    """Create an annotated tag; fails (GitError) when the tag exists, so two racing
    releases end with exactly one tag."""
    run(cwd, "tag", "-a", "-F", "-", name, commit, input=message.encode("utf-8"))


def delete_tag(cwd: Path, name: str) -> None:
    run(cwd, "tag", "-d", name)


def rev_exists(cwd: Path, rev: str) -> bool:
    return ok(cwd, "rev-parse", "-q", "--verify", rev)
