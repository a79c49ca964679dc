"""The command line as a whole: every command has help, heavy imports stay lazy."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import Cli


def all_commands():
    from gittask.cli import app, commands  # noqa: F401

    names = [[c.name or c.callback.__name__] for c in app.registered_commands]
    for group in app.registered_groups:
        names += [[group.name, c.name or c.callback.__name__] for c in group.typer_instance.registered_commands]
    return names


def test_every_command_is_registered():
    names = {" ".join(n) for n in all_commands()}
    for expected in ("init", "new", "list", "show", "switch", "shell-init", "state", "schema",
                     "validate", "demo", "draft", "record", "release", "log"):
        assert expected in names


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c))
def test_help_of_every_command(tmp_path, command):
    result = Cli(tmp_path)(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage: gittask" in result.output and " ".join(command) in result.output
    from gittask.cli import app

    summary = result.output.split("\n\n")[1].strip()
    assert summary, f"{command} has no help text"
    # every option documents itself
    options = [line for line in result.output.splitlines() if line.strip().startswith("--")]
    for line in options:
        assert len(line.split()) > 1, f"option without help in {command}: {line}"


def test_top_level_help_and_version(tmp_path):
    result = Cli(tmp_path)("--help")
    assert result.exit_code == 0 and "A git-native version manager" in result.output
    version = Cli(tmp_path)("--version")
    from gittask import __version__

    assert version.output.strip() == f"gittask {__version__}"


def test_read_paths_do_not_import_heavy_libraries(project):
    """--help, list and validate never pay for huggingface_hub, ollama or matplotlib."""
    code = ("import sys\nfrom gittask.cli import main\nsys.argv = ['gittask'] + sys.argv[1:]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('huggingface_hub', 'ollama', 'matplotlib', 'httpx', 'pydantic', 'git')"
            " if m in sys.modules]\nprint('HEAVY=' + ','.join(heavy), file=sys.stderr)\n")
    for args in (["--help"], ["list"], ["validate"], ["log", "--help"]):
        run = subprocess.run([sys.executable, "-c", code, *args], cwd=project, capture_output=True, text=True)
        assert "HEAVY=\n" in run.stderr, (args, run.stderr[-500:])


def test_json_outputs_are_text_not_escapes(cli):
    assert cli("new", "情感-x".encode().decode(), "--labels", "正面").exit_code == 1
    assert cli("new", "sentiment", "--labels", "正面,負面", "--domain", "財經").exit_code == 0
    out = cli("show", "sentiment", "--json").output
    assert "財經" in out and "\\u" not in out
    assert json.loads(out)["domain"] == "財經"
