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
from typing import NamedTuple

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


# --- the index and hooks (pre-commit validation) ----------------------------------------
# Inside a hook git names the index the commit will record in GIT_INDEX_FILE: a temporary
# index for `git commit -a` and `git commit PATH`. clean_env drops it (it would mislead
# every other call), so the calls that read staged content take it back explicitly.

def index_env(index_file: str | None) -> dict[str, str] | None:
    return {"GIT_INDEX_FILE": index_file} if index_file else None


# Records here are NamedTuples: the hook imports this module on every commit, and a
# NamedTuple costs a tenth of a frozen dataclass to define.
class StagedChange(NamedTuple):
    status: str         # A (added), M (modified), D (deleted), T (type changed)
    old_mode: str
    new_mode: str
    old_sha: str        # the blob at HEAD (zeros when added)
    new_sha: str        # the staged blob (zeros when deleted)
    path: str


def staged_changes(cwd: Path, pathspecs: list[str] | None = None,
                   index_file: str | None = None) -> list[StagedChange]:
    """What the index changes relative to HEAD (to the empty tree on an unborn branch);
    a rename is a deletion plus an addition, so both paths get checked. The plumbing
    `diff-index`, not `diff --cached`: the same answer without reading diff config, and
    a third faster on a 12,000-file index."""
    args = ["diff-index", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev"]
    env = index_env(index_file)
    proc = run(cwd, *args, "HEAD", "--", *(pathspecs or []), env=env, check=False)
    if proc.returncode != 0:
        if head(cwd) is not None:
            raise GitError(f"git diff-index: {proc.stderr.decode('utf-8', 'replace').strip()}")
        proc = run(cwd, *args, _empty_tree(cwd), "--", *(pathspecs or []), env=env)
    items = proc.stdout.decode("utf-8", "replace").split("\0")
    changes = []
    for meta, path in zip(items[0::2], items[1::2]):
        old_mode, new_mode, old_sha, new_sha, status = meta.lstrip(":").split(" ")
        changes.append(StagedChange(status[0], old_mode, new_mode, old_sha, new_sha, path))
    return changes


def _empty_tree(cwd: Path) -> str:
    return out(cwd, "hash-object", "-t", "tree", "--stdin", input=b"")


class IndexEntry(NamedTuple):
    mode: str
    sha: str
    path: str


def index_entries(cwd: Path, pathspecs: list[str], index_file: str | None = None) -> list[IndexEntry]:
    """The staged files under the pathspecs (stage 0 and conflict stages alike)."""
    raw = run(cwd, "ls-files", "-s", "-z", "--", *pathspecs,
              env=index_env(index_file)).stdout.decode("utf-8", "replace")
    entries = []
    for item in raw.split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            mode, sha, _stage = meta.split(" ")
            entries.append(IndexEntry(mode, sha, path))
    return entries


def object_info(cwd: Path, specs: list[str]) -> list[tuple[str, str, int] | None]:
    """(sha, type, size) of many objects (`REV:PATH` or shas) with one
    `git cat-file --batch-check`, without reading their contents; None where missing."""
    if not specs:
        return []
    raw = out(cwd, "cat-file", "--batch-check", input="".join(s + "\n" for s in specs).encode())
    results = []
    for line in raw.split("\n"):
        parts = line.rsplit(" ", 2)
        if len(parts) == 3 and parts[2].isdigit():
            results.append((parts[0], parts[1], int(parts[2])))
        else:  # "<spec> missing" / "<spec> ambiguous"
            results.append(None)
    return results


def tag_names(cwd: Path, patterns: list[str] | None = None) -> list[str]:
    """Names of the tags matching the patterns: the cheap read (no tag objects opened)."""
    raw = out(cwd, "for-each-ref", "--format=%(refname:lstrip=2)", *(patterns or ["refs/tags"]))
    return [name for name in raw.split("\n") if name]


def tree_files(cwd: Path, specs: list[str]) -> list[dict[str, str] | None]:
    """{path inside the tree: blob sha} of many `REV:DIR` trees, read with one
    `git cat-file --batch` per directory depth instead of one `git ls-tree` per tree;
    None where the tree does not exist."""
    results: list[dict[str, str] | None] = [None] * len(specs)
    pending = [(i, "", spec) for i, spec in enumerate(specs)]  # (result, prefix, tree)
    while pending:
        blobs = cat_files(cwd, [tree for _, _, tree in pending])
        deeper = []
        for (i, prefix, _), data in zip(pending, blobs):
            if data is None:
                continue
            try:
                entries = list(_tree_entries(data))
            except ValueError:  # REV:DIR named a file, not a directory
                continue
            files = results[i] if results[i] is not None else {}
            results[i] = files
            for mode, name, sha in entries:
                if mode == "40000":
                    deeper.append((i, f"{prefix}{name}/", sha))
                elif mode != "160000":  # a submodule commit is not a file
                    files[prefix + name] = sha
        pending = deeper
    return results


def _tree_entries(data: bytes, size: int = 20):
    """(mode, name, hex sha) of a raw tree object: `<mode> <name>\\0<binary sha>`…;
    `size` is 20 bytes for SHA-1 (32 in a SHA-256 repository, which gittask does not
    make and has not met)."""
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        mode = data[pos:space].decode()
        name = data[space + 1:nul].decode("utf-8", "replace")
        yield mode, name, data[nul + 1:nul + 1 + size].hex()
        pos = nul + 1 + size


def hash_files(cwd: Path, paths: list[str]) -> list[str]:
    """The blob sha git would store for each working-tree file (its filters applied),
    with one `git hash-object --stdin-paths`."""
    if not paths:
        return []
    raw = out(cwd, "hash-object", "--stdin-paths", input="".join(p + "\n" for p in paths).encode())
    return raw.split("\n")


def hooks_dir(cwd: Path) -> Path:
    """Where git looks for hooks: core.hooksPath when set (relative to the work tree
    root), else the common git dir's hooks/ (shared by linked worktrees)."""
    return Path(cwd) / out(cwd, "rev-parse", "--git-path", "hooks")


def listed_files(cwd: Path, pathspecs: list[str]) -> list[str]:
    """Tracked and untracked (not ignored) files under the pathspecs, as `git add`
    would see them; tracked files deleted from the working tree are listed too."""
    raw = out(cwd, "ls-files", "-z", "--cached", "--others", "--exclude-standard",
              "--deduplicate", "--", *pathspecs)
    return [p for p in raw.split("\0") if p]


# --- trees and temporary-index commits (rollback, prune) -------------------------

@dataclass(frozen=True)
class TreeEntry:
    mode: str           # "100644", "100755", "120000" (symlink), "160000" (submodule)
    sha: str
    path: str           # relative to the work tree root


def ls_tree_entries(cwd: Path, rev: str, path: str) -> list[TreeEntry]:
    """Every file under `path` at `rev` with its mode and blob, recursively."""
    return _ls_tree(cwd, "-r", rev, "--", path)


def _ls_tree(cwd: Path, *args: str, check: bool = True,
             env: dict[str, str] | None = None) -> list[TreeEntry]:
    """`git ls-tree -z ARGS` parsed; [] when it fails and check is False."""
    proc = run(cwd, "ls-tree", "-z", *args, check=check, env=env)
    entries = []
    if proc.returncode == 0:
        for item in proc.stdout.decode("utf-8", "replace").split("\0"):
            if item:
                meta, name = item.split("\t", 1)
                mode, _kind, sha = meta.split(" ")
                entries.append(TreeEntry(mode, sha, name))
    return entries


def file_modes(cwd: Path, rev: str, paths: list[str]) -> dict[str, str]:
    """The mode of each of `paths` that exists at `rev` (one call, literal paths)."""
    return {e.path: e.mode for e in _ls_tree(cwd, rev, "--", *paths, env={"GIT_LITERAL_PATHSPECS": "1"})}


def write_blob(cwd: Path, data: bytes) -> str:
    return out(cwd, "hash-object", "-w", "--stdin", input=data)


def commit_entries(cwd: Path, parent: str | None, entries: list[TreeEntry], removed: list[str],
                   message: str) -> str:
    """A commit = `parent`'s tree with `entries` set (modes kept) and `removed` dropped,
    built in a temporary index: the real index and the working tree are not touched."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if parent:
            run(cwd, "read-tree", parent, env=env)
        # Mode 0 deletes a path; NUL-terminated records keep any file name intact.
        records = [f"{e.mode} {e.sha}\t{e.path}" for e in entries]
        records += [f"0 {'0' * 40}\t{p}" for p in removed]
        if records:
            run(cwd, "update-index", "-z", "--index-info", env=env,
                input="".join(r + "\0" for r in records).encode("utf-8"))
        tree = out(cwd, "write-tree", env=env)
    args = ["commit-tree", tree, "-F", "-"] + (["-p", parent] if parent else [])
    return out(cwd, *args, input=message.encode("utf-8"))


def move_head(cwd: Path, new: str, old: str | None, reason: str) -> None:
    """Compare-and-swap: HEAD moves to `new` only if it still is `old`, so a commit made
    meanwhile is never lost."""
    run(cwd, "update-ref", "-m", reason, "HEAD", new, old or "0" * 40)


def checkout_paths(cwd: Path, rev: str, present: list[str], absent: list[str]) -> None:
    """Make index and working tree hold `rev`'s version of `present`, and drop `absent`
    from the index (the caller deletes those files). Paths are literal, not globs."""
    literal = {"GIT_LITERAL_PATHSPECS": "1"}
    both = present + absent
    if both:
        run(cwd, "reset", "-q", rev, "--pathspec-from-file=-", "--pathspec-file-nul",
            input="".join(p + "\0" for p in both).encode("utf-8"), env=literal)
    if present:
        run(cwd, "checkout", rev, "--pathspec-from-file=-", "--pathspec-file-nul",
            input="".join(p + "\0" for p in present).encode("utf-8"), env=literal)


# --- commits found by a message trailer (gittask log: rollbacks) -------------------

@dataclass(frozen=True)
class TrailerCommit:
    commit: str
    date: str                       # committer date, ISO 8601 strict
    subject: str
    trailers: dict[str, str]        # the last value of each trailer key


def commits_with_trailer(cwd: Path, key: str, value_prefix: str) -> list[TrailerCommit]:
    """Commits reachable from HEAD whose message has the trailer `key: value_prefix…`,
    newest first, read with one `git log --grep` (the grep runs inside git)."""
    if head(cwd) is None:
        return []
    fmt = f"%H{_SEP}%cI{_SEP}%s{_SEP}%(trailers:only,unfold){_REC}"
    raw = out(cwd, "log", f"--format={fmt}", "--fixed-strings",
              f"--grep={key}: {value_prefix}", "HEAD")
    found = []
    for record in raw.split(_REC):
        record = record.lstrip("\n")
        if not record:
            continue
        sha, date, subject, block = record.split(_SEP)
        trailers = {}
        for line in block.splitlines():
            name, sep, value = line.partition(":")
            if sep:
                trailers[name.strip()] = value.strip()
        if trailers.get(key, "").startswith(value_prefix):
            found.append(TrailerCommit(sha, date, subject, trailers))
    return found


# --- remote tags (prune --remote) ------------------------------------------------

def remotes(cwd: Path) -> list[str]:
    return out(cwd, "remote").split()


def remote_tags(cwd: Path, remote: str, names: list[str]) -> set[str]:
    """Which of the tag names exist on `remote` (one `ls-remote`)."""
    if not names:
        return set()
    raw = out(cwd, "ls-remote", "--tags", "--refs", remote, *[f"refs/tags/{n}" for n in names])
    return {line.split("\t", 1)[1][len("refs/tags/"):] for line in raw.splitlines() if "\t" in line}


def push_delete_tags(cwd: Path, remote: str, names: list[str]) -> None:
    """Delete tags on the remote with one push, all or none where the remote allows."""
    if names:
        run(cwd, "push", "--atomic", "-q", remote, *[f":refs/tags/{n}" for n in names])


# --- pushing deployment records (deploy --push) ------------------------------------

def current_branch(cwd: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD (a CI checkout of a tag)."""
    return out(cwd, "symbolic-ref", "-q", "--short", "HEAD", check=False) or None


def push_remote(cwd: Path, branch: str | None) -> str | None:
    """The remote a push goes to: the branch's upstream remote, else origin; None when
    the repository has neither."""
    configured = out(cwd, "config", f"branch.{branch}.remote", check=False) if branch else ""
    names = remotes(cwd)
    for name in (configured, "origin"):
        if name and name in names:
            return name
    return None


def push_refs(cwd: Path, remote: str, refspecs: list[str]) -> None:
    """Push the refspecs with one `git push --atomic` (all or none where the remote
    supports it)."""
    if refspecs:
        run(cwd, "push", "--atomic", "-q", remote, *refspecs)


def tree_entries(cwd: Path, rev: str, pathspecs: list[str]) -> dict[str, str]:
    """{path: sha} of the entries `git ls-tree` lists at `rev` (not recursive: a
    pathspec `DIR/` gives DIR's files and the trees of its subfolders); {} when `rev`
    does not exist."""
    return {e.path: e.sha for e in _ls_tree(cwd, rev, "--", *pathspecs, check=False)}
