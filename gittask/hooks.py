"""The git pre-commit hook: installing it, removing it, and the hook's own entry point.

The installed hook is a short sh script (hooks/pre-commit at the top of gittask's
repository is its template). It names the Python that installed it and runs
`python -m gittask.hooks pre-commit`, which imports only what validation needs — not
the command line and its libraries — since every commit pays for the start-up. Without
that Python (a moved virtualenv) it falls back to `gittask validate --staged` on PATH,
as pre-commit's own hook script does.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

from gittask.errors import GittaskError

# Marks the script as gittask's whatever Python path it embeds, so that install can
# refresh it and uninstall can tell it from a hook the user wrote.
MARKER = "gittask-hook-id: 3f9d2c71"
_PLACEHOLDER = "INSTALL_PYTHON=''"

TEMPLATE = f"""#!/bin/sh
# gittask pre-commit hook ({MARKER}): checks the staged task files before each
# commit (gittask validate --staged). Installed by 'gittask hooks install';
# 'gittask hooks uninstall' removes it and restores the hook that was here before.
# Skip it once with 'git commit --no-verify'.

# The Python that installed gittask (empty in gittask's repository: use PATH).
{_PLACEHOLDER}

# The hook that was here before gittask's runs first; its failure stops the commit.
# Never when this script is itself the legacy hook (another hook manager moved it there
# and runs it), and never twice in one commit: either would run it in a loop.
here=$(dirname "$0")
if [ -x "$here/pre-commit.legacy" ] && [ "$(basename "$0")" != "pre-commit.legacy" ] \\
        && [ -z "${{GITTASK_HOOK_ACTIVE:-}}" ]; then
    GITTASK_HOOK_ACTIVE=1 "$here/pre-commit.legacy" "$@" || exit $?
fi

if [ -x "$INSTALL_PYTHON" ]; then
    # -P: a yaml.py or gittask/ in the project must not shadow the real modules.
    exec "$INSTALL_PYTHON" -P -m gittask.hooks pre-commit "$@"
elif command -v gittask >/dev/null 2>&1; then
    exec gittask validate --staged
else
    echo "gittask pre-commit hook: gittask is not installed here; install it, or run" \\
         "'gittask hooks install' again from the environment that has it" \\
         "(skip the check once with 'git commit --no-verify')" >&2
    exit 1
fi
"""


def render(python: str) -> str:
    """The hook script with the interpreter to run gittask with ('' for PATH)."""
    import shlex

    return TEMPLATE.replace(_PLACEHOLDER, f"INSTALL_PYTHON={shlex.quote(python)}")


def is_ours(path: Path) -> bool:
    try:
        return MARKER.encode() in path.read_bytes()
    except OSError:  # missing, a directory, unreadable
        return False


def hook_paths(root: Path) -> tuple[Path, Path]:
    """(hook, legacy) paths: core.hooksPath when set, else .git/hooks."""
    from gittask import gitcmd

    hook = gitcmd.hooks_dir(root) / "pre-commit"
    return hook, hook.with_name("pre-commit.legacy")


class Installed(NamedTuple):
    hook: Path
    action: str                  # installed | refreshed | replaced
    legacy: Path | None          # the user's previous hook, kept and run first
    dropped_legacy: bool         # --force removed a kept hook
    python: str                  # the interpreter the hook runs gittask with


def install(root: Path, force: bool = False, python: str | None = None) -> Installed:
    """Install gittask's pre-commit hook. A foreign hook is kept as pre-commit.legacy
    and still runs first; installing again only refreshes; `force` keeps nothing."""
    hook, legacy = hook_paths(root)
    ours = is_ours(hook)
    action = "refreshed" if ours else "installed"
    if os.path.lexists(hook) and not ours:
        if force:
            action = "replaced"
            hook.unlink()
        else:
            _keep_as_legacy(hook, legacy)
    dropped = force and os.path.lexists(legacy)
    if dropped:
        legacy.unlink()
    python = sys.executable if python is None else python
    _write_executable(hook, render(python))
    kept = legacy if os.path.lexists(legacy) else None
    return Installed(hook, action, kept, dropped, python)


def _keep_as_legacy(hook: Path, legacy: Path) -> None:
    if _is_pre_commit_framework(hook):
        raise GittaskError(f"{hook} is the pre-commit framework's hook",
                           hint="add gittask to .pre-commit-config.yaml instead (hook id "
                                "gittask-validate), or replace that hook with "
                                "'gittask hooks install --force'")
    if os.path.lexists(legacy):
        raise GittaskError(f"{hook} is not gittask's, and {legacy.name} is taken by an "
                           "earlier hook, so there is no place to keep it",
                           hint="move one of them away, or replace both with "
                                "'gittask hooks install --force'")
    os.replace(hook, legacy)


def _is_pre_commit_framework(hook: Path) -> bool:
    try:
        return b"File generated by pre-commit" in hook.read_bytes()
    except OSError:
        return False


def _write_executable(path: Path, text: str) -> None:
    from gittask.yamlio import write_atomic

    write_atomic(path, text)
    os.chmod(path, 0o755)


class Uninstalled(NamedTuple):
    hook: Path
    action: str                  # removed | absent | foreign
    restored: bool               # pre-commit.legacy was put back


def uninstall(root: Path) -> Uninstalled:
    """Remove gittask's hook and put back the one it kept; a foreign hook stays."""
    hook, legacy = hook_paths(root)
    if not os.path.lexists(hook):
        return Uninstalled(hook, "absent", False)
    if not is_ours(hook):
        return Uninstalled(hook, "foreign", False)
    hook.unlink()
    restored = os.path.lexists(legacy)
    if restored:
        os.replace(legacy, hook)
    return Uninstalled(hook, "removed", restored)


# --- the hook itself ---------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """`python -m gittask.hooks pre-commit`: the hook's command line. Problems go to
    stderr as path:line:col: message; exit 1 when there are any (3 on a bug)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["pre-commit"]:
        print("usage: python -m gittask.hooks pre-commit", file=sys.stderr)
        return 2
    try:
        problems = _check_staged()
    except GittaskError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"gittask: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug must not look like a verdict on the user's files
        if os.environ.get("GITTASK_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        print(f"gittask pre-commit hook: internal error: {type(exc).__name__}: {exc}\n"
              "hint: report it; skip the check once with 'git commit --no-verify'", file=sys.stderr)
        return 3
    for problem in problems:
        print(problem, file=sys.stderr)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        print(f"gittask: {len(errors)} problem(s) in the staged files; fix them and stage "
              "again (skip the check once with 'git commit --no-verify')", file=sys.stderr)
    return 1 if errors else 0


def _check_staged() -> list:
    from gittask.project import open_project
    from gittask.validate import staged_index_file, validate_staged

    problems, _count = validate_staged(open_project(Path.cwd()), index_file=staged_index_file())
    return problems


if __name__ == "__main__":
    raise SystemExit(main())
