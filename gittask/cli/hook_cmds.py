"""`gittask hooks install|uninstall`: the git pre-commit hook."""

from typing import Annotated

import typer

from gittask.cli import command, echo, open_project, sub_app

hooks_app = sub_app("hooks", "Install or remove the pre-commit hook.")


@command("install", on=hooks_app)
def install_cmd(
    force: Annotated[bool, typer.Option("--force", help="Replace an existing hook instead of keeping it as pre-commit.legacy.")] = False,
) -> None:
    """Install the pre-commit hook; an existing hook is kept as pre-commit.legacy and runs first."""
    from gittask.hooks import install

    project = open_project()
    project.require_git()
    result = install(project.root, force=force)
    for line in installed_lines(result, project.root):
        echo(line)


def installed_lines(result, root) -> list[str]:
    """What `hooks install` did, in words (also for `gittask init`)."""
    hook = _shown(result.hook, root)
    lines = [{"installed": f"installed the gittask pre-commit hook: {hook}",
              "refreshed": f"the gittask pre-commit hook is already installed: {hook} (refreshed)",
              "replaced": f"replaced the existing pre-commit hook (--force): {hook}"}[result.action]]
    if result.dropped_legacy:
        lines.append("removed the hook kept as pre-commit.legacy (--force)")
    if result.legacy:
        lines.append(f"kept the previous hook as {_shown(result.legacy, root)}: it runs first, "
                     "and its failure stops the commit")
    lines.append(f"it checks each commit with {result.python} -m gittask.hooks")
    return lines


@command("uninstall", on=hooks_app)
def uninstall_cmd() -> None:
    """Remove the pre-commit hook and restore the hook it kept."""
    from gittask.hooks import uninstall

    project = open_project()
    project.require_git()
    result = uninstall(project.root)
    hook = _shown(result.hook, project.root)
    echo({"removed": f"removed the gittask pre-commit hook: {hook}",
          "absent": f"no pre-commit hook at {hook}: nothing to remove",
          "foreign": f"the pre-commit hook at {hook} is not gittask's: left alone"}[result.action])
    if result.restored:
        echo(f"restored the previous hook from pre-commit.legacy: {hook}")


def _shown(path, root) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
