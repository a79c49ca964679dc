"""The command line. Commands are thin: they parse options, call core functions that
return data, and print it (table, markdown or JSON). Only this layer prints."""

import functools
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from gittask import __version__
from gittask.errors import GittaskError

app = typer.Typer(
    name="gittask",
    help="A git-native version manager for LLM fine-tuning tasks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


class _Globals:
    directory: Path | None = None
    debug: bool = False


GLOBALS = _Globals()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (stable keys) instead of a table.")]
TaskArg = Annotated[Optional[str], typer.Argument(metavar="[TASK]", help="The task (default: as for -t).")]
TaskOpt = Annotated[Optional[str], typer.Option("-t", "--task", help="The task (default: the task of the current directory, else the current task).")]


def _version_callback(value: bool) -> None:
    if value:
        print(f"gittask {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    directory: Annotated[Optional[Path], typer.Option("-C", help="Run as if gittask was started in PATH (like git -C).", metavar="PATH")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback when a command fails.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", callback=_version_callback, is_eager=True)] = False,
) -> None:
    """A git-native version manager for LLM fine-tuning tasks.

    Tasks live side by side in one git repository; every released version is an
    annotated tag TASK@VERSION with a generated lineage.
    """
    GLOBALS.directory = directory
    GLOBALS.debug = debug or os.environ.get("GITTASK_DEBUG") == "1"


def cwd() -> Path:
    """The directory the command works in (-C, else the current directory)."""
    if GLOBALS.directory is None:
        return Path.cwd()
    path = GLOBALS.directory if GLOBALS.directory.is_absolute() else Path.cwd() / GLOBALS.directory
    if not path.is_dir():
        raise GittaskError(f"-C {GLOBALS.directory}: no such directory")
    return path


def open_project():
    from gittask.project import open_project as _open

    return _open(cwd())


def open_task(task: str | None):
    """The project and the task a task-scoped command works on."""
    from gittask.project import resolve_task
    from gittask.tasks import load_task

    project = open_project()
    return project, load_task(project, resolve_task(project, task, cwd()))


def echo(text: str = "") -> None:
    print(text)


def note(text: str) -> None:
    """Hints and progress go to stderr, data to stdout."""
    print(text, file=sys.stderr)


def emit_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def report_error(exc: GittaskError) -> None:
    for problem in exc.problems:
        note(str(problem))
    if not exc.problems or len([p for p in exc.problems if p.severity == "error"]) == 0:
        note(f"error: {exc.message}")
    elif len(exc.problems) > 1:
        note(f"error: {exc.message}")
    if exc.hint:
        note(f"hint: {exc.hint}")


def guarded(fn: Callable) -> Callable:
    """The one error handler: GittaskError → its message and exit 1, anything
    unexpected → one line and exit 3; a traceback only with --debug."""

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except GittaskError as exc:
            if GLOBALS.debug:
                traceback.print_exc()
            report_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except typer.Exit:
            raise
        except BrokenPipeError:
            raise
        except KeyboardInterrupt:
            note("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug: say so briefly, details with --debug
            if GLOBALS.debug:
                traceback.print_exc()
            note(f"internal error: {type(exc).__name__}: {exc}")
            note("hint: run again with --debug for the traceback, and report it")
            raise typer.Exit(3) from None

    return wrapper


def command(*args, on: typer.Typer | None = None, **kwargs) -> Callable:
    """Register a guarded command on the main app (or on the sub-app `on`)."""

    def decorate(fn: Callable) -> Callable:
        return (on or app).command(*args, **kwargs)(guarded(fn))

    return decorate


def sub_app(name: str, help: str) -> typer.Typer:
    sub = typer.Typer(name=name, help=help, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False, rich_markup_mode=None,
                      context_settings={"help_option_names": ["-h", "--help"]})
    app.add_typer(sub, name=name)
    return sub


def main() -> None:
    # Importing the command modules registers them; they import heavy libraries only
    # inside the commands that need them.
    from gittask.cli import commands  # noqa: F401

    try:
        app(prog_name="gittask")
    except BrokenPipeError:
        # The reader went away (`gittask log | head`): not an error worth a message.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
