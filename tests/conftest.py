"""Shared fixtures: every test runs git in an isolated HOME with fixed identity and
dates, so repositories, shas and output are reproducible."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

FIXED_DATE = "2026-01-05T10:00:00+00:00"

# Never let huggingface_hub reach the network or write outside the test's HOME.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_UPDATE_CHECK", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_XET_TELEMETRY_ENABLED", "0")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for key, value in {"GIT_AUTHOR_NAME": "Test User", "GIT_AUTHOR_EMAIL": "test@example.com",
                       "GIT_COMMITTER_NAME": "Test User", "GIT_COMMITTER_EMAIL": "test@example.com",
                       "GIT_AUTHOR_DATE": FIXED_DATE, "GIT_COMMITTER_DATE": FIXED_DATE,
                       "GITTASK_NOW": "2026-01-06T14:30:00", "NO_COLOR": "1",
                       "HF_HOME": str(home / "hf")}.items():
        monkeypatch.setenv(key, value)
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[user]\n\tname = Test User\n"
                                     "\temail = test@example.com\n[tag]\n\tgpgSign = false\n"
                                     "[commit]\n\tgpgSign = false\n", encoding="utf-8")
    monkeypatch.delenv("GITTASK_DEBUG", raising=False)
    yield home


def git(cwd: Path, *args: str, input: str | None = None) -> str:
    proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                          input=input)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


class Cli:
    """Runs gittask in-process, as a user would type it, in a given directory."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.runner = CliRunner()

    def __call__(self, *args: str, cwd: Path | None = None, input: str | None = None):
        from gittask.cli import app, commands  # noqa: F401  (registers the commands)

        old = Path.cwd()
        os.chdir(cwd or self.cwd)
        try:
            return self.runner.invoke(app, list(args), input=input, catch_exceptions=False)
        finally:
            os.chdir(old)


@pytest.fixture
def project(tmp_path) -> Path:
    """An initialised, empty gittask project."""
    root = tmp_path / "proj"
    root.mkdir()
    result = Cli(root)("init")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def cli(project) -> Cli:
    return Cli(project)
