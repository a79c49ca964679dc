"""What the pre-commit hook adds to a commit.

Builds a project of T tasks, each with V released versions (annotated tags T@v1…),
installs the hook, then times `git commit --no-verify` against `git commit` (through
the hook) for a change touching 1 and 50 task files (task.yaml). The two kinds of
commit alternate, so both see the same machine load; medians of N runs.

    python benchmarks/bench_hook.py [--tasks 200] [--versions 20] [--runs 15]

Python's start-up is printed too: the hook cannot be faster than it, and on some
machines site-packages (.pth files) make it most of the cost. By default the bytecode
cache is allowed (as in any pip install); --no-bytecode-cache measures compiling
gittask's modules on every commit instead (PYTHONDONTWRITEBYTECODE=1, nothing cached).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gittask import hooks
from gittask.tasks import NewTaskOptions, render_task_yaml

WORK = Path(__file__).resolve().parent / ".work"
STAMP = "2026-01-05T10:00:00"


def git(root: Path, *args: str, input: bytes | None = None, env=None) -> str:
    proc = subprocess.run(["git", "-C", str(root), *args], input=input, capture_output=True,
                          env=env)
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc.stdout.decode().strip()


def isolated_env(home: Path, bytecode_cache: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def build(root: Path, tasks: int, versions: int, env) -> list[str]:
    """T tasks × V versions in one commit, the tags made by one `git fast-import`."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    (root / ".gitignore").write_text("**/models/\n", encoding="utf-8")
    names = [f"task-{i:03d}" for i in range(tasks)]
    for name in names:
        task = root / name
        (task / "data").mkdir(parents=True)
        yaml = render_task_yaml(name, NewTaskOptions(labels=("正面", "負面", "中立")), STAMP)
        (task / "task.yaml").write_text(yaml.replace("version: null", f"version: v{versions}"),
                                        encoding="utf-8")
        (task / "data_source.yaml").write_text("splits:\n  train: data/train.jsonl\n"
                                               "label_field: label\n", encoding="utf-8")
        for v in range(1, versions + 1):
            vdir = task / "versions" / f"v{v}"
            vdir.mkdir(parents=True)
            (vdir / "config.yaml").write_text(f"base_model: Qwen/Qwen3-4B\nlora:\n  r: {8 * v}\n",
                                              encoding="utf-8")
            (vdir / "results.json").write_text(f'{{"macro_f1": 0.{50 + v}}}\n', encoding="utf-8")
            (vdir / "lineage.yaml").write_text(f"version: v{v}\nparent: "
                                               f"{'null' if v == 1 else f'v{v - 1}'}\n",
                                               encoding="utf-8")
    git(root, "add", "-A", env=env)
    git(root, "commit", "-q", "--no-verify", "-m", "bench project", env=env)
    head = git(root, "rev-parse", "HEAD", env=env)
    stream = "".join(
        f"tag {name}@v{v}\nfrom {head}\ntagger Bench <bench@example.com> 1767607200 +0000\n"
        f"data 8\nrelease\n\n" for name in names for v in range(1, versions + 1))
    git(root, "fast-import", "--quiet", input=stream.encode(), env=env)
    return names


def change(root: Path, names: list[str], run: int) -> None:
    """Edit task.yaml of each task (a different domain each run), and stage it."""
    for name in names:
        path = root / name / "task.yaml"
        text = path.read_text(encoding="utf-8")
        start = text.index("domain: ")
        end = text.index("\n", start)
        path.write_text(f"{text[:start]}domain: d{run}{text[end:]}", encoding="utf-8")


def timed_commit(root: Path, verify: bool, env) -> float:
    args = ["git", "-C", str(root), "commit", "-q", "-m", "bench"] + ([] if verify else ["--no-verify"])
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, env=env)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"commit failed: {proc.stderr.decode()}")
    return elapsed


def measure(root: Path, names: list[str], runs: int, env) -> tuple[float, float]:
    plain, hooked = [], []
    for run in range(runs * 2):
        change(root, names, run)
        git(root, "add", "-A", env=env)
        verify = run % 2 == 1
        (hooked if verify else plain).append(timed_commit(root, verify, env))
    return statistics.median(plain), statistics.median(hooked)


def python_startup(runs: int, env) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-P", "-c", "pass"], env=env, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-bytecode-cache", action="store_true")
    args = parser.parse_args()

    WORK.mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="bench-hook-", dir=WORK))
    try:
        home = base / "home"
        home.mkdir()
        env = isolated_env(home, bytecode_cache=not args.no_bytecode_cache)
        root = base / "proj"
        names = build(root, args.tasks, args.versions, env)
        hooks.install(root)
        change(root, names[:1], -1)  # warm-up: fills the OS and bytecode caches
        git(root, "add", "-A", env=env)
        timed_commit(root, True, env)
        rows = [(count, *measure(root, names[:count], args.runs, env)) for count in (1, 50)]
        startup = python_startup(args.runs, env)
    finally:
        if not os.environ.get("BENCH_KEEP"): shutil.rmtree(base, ignore_errors=True)
        else: print(base)

    print(f"{args.tasks} tasks × {args.versions} released versions "
          f"({args.tasks * args.versions} tags), median of {args.runs} commits each, "
          f"bytecode cache {'off' if args.no_bytecode_cache else 'on'}")
    print(f"{'change':<16}{'--no-verify':>14}{'with hook':>14}{'added':>12}")
    for count, plain, hooked in rows:
        label = f"{count} task file{'s' if count > 1 else ''}"
        print(f"{label:<16}{plain:>11.1f} ms{hooked:>11.1f} ms{hooked - plain:>9.1f} ms")
    print(f"(python -P -c pass alone: {startup:.1f} ms)")


if __name__ == "__main__":
    main()
