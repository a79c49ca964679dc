"""What the pre-commit hook adds to a commit.

Builds a project of T tasks × V released versions (benchmarks/generate.py), installs
the hook, then times `git commit --no-verify` against `git commit` through the hook, for
a change of 1 and of 50 task files (task.yaml). The two kinds of commit alternate, so
both see the same machine load; medians of N commits each. Target: under 150 ms added
for one file.

    python benchmarks/bench_hook.py [--tasks 200] [--versions 20] [--runs 15] [--loose-refs]

`python -P -c pass` is measured in the same run: the hook starts one interpreter, so
that is its floor. Besides wall-clock time the CPU time of the commit's processes is
shown (user + system): on a shared machine it moves far less with the load.
"""
from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

from gittask import hooks  # noqa: E402


def isolated_env(home: Path) -> dict[str, str]:
    """No user or system git config (hooksPath, signing) and a fixed identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com")
    return env


def stage_change(root: Path, names: list[str], run: int, env: dict[str, str]) -> None:
    """A different domain in each task.yaml, staged."""
    for name in names:
        path = root / name / "task.yaml"
        lines = path.read_text(encoding="utf-8").split("\n")
        lines = [f"domain: d{run}" if line.startswith("domain:") else line for line in lines]
        path.write_text("\n".join(lines), encoding="utf-8")
    subprocess.run(["git", "-C", str(root), "add", "--", *names], env=env, check=True)


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, float]:
    """(wall ms, CPU ms of the process and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, cwd=cwd)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def measure(root: Path, names: list[str], runs: int, env: dict[str, str]) -> dict[bool, tuple]:
    """verify → (median wall, median CPU) of commits without and through the hook,
    the two alternating."""
    times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for run in range(2 * runs + 1):
        stage_change(root, names, run, env)
        verify = run % 2 == 0
        args = ["git", "-C", str(root), "commit", "-q", "-m", "bench"]
        times[verify].append(timed(args if verify else args + ["--no-verify"], env))
    times[True].pop(0)  # the first hook run warms the caches
    return {verify: tuple(statistics.median(column) for column in zip(*runs_))
            for verify, runs_ in times.items()}


def median_of(cmd: list[str], runs: int, env: dict[str, str], cwd: Path | None = None) -> tuple[float, float]:
    samples = [timed(cmd, env, cwd) for _ in range(runs)]
    return tuple(statistics.median(column) for column in zip(*samples))


def python_start(python: str, runs: int, env: dict[str, str]) -> tuple[float, float]:
    return median_of([python, "-P", "-c", "pass"], runs, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--loose-refs", action="store_true",
                        help="leave the tags as loose ref files (as just tagged), not packed")
    args = parser.parse_args()
    compileall.compile_dir(str(HERE.parent / "gittask"), quiet=1)  # as a pip install would
    tmp = Path(tempfile.mkdtemp(prefix="gittask-bench-hook-"))
    try:
        env = isolated_env(tmp)
        root = generate(tmp / "proj", args.tasks, args.versions, pack_refs=not args.loose_refs)
        installed = hooks.install(root)
        names = sorted(p.parent.name for p in root.glob("*/task.yaml"))
        rows = [(count, measure(root, names[:count], args.runs, env))
                for count in (1, 50) if count <= len(names)]
        start = python_start(installed.python, args.runs, env)
        stage_change(root, names[:1], -1, env)
        entries = {"python -P -m gittask.hooks": [installed.python, "-P", "-m", "gittask.hooks", "pre-commit"],
                   "gittask validate --staged (the CLI)": [installed.python, "-P", "-m", "gittask",
                                                           "validate", "--staged"]}
        entry_times = {label: median_of(cmd, args.runs, env, root) for label, cmd in entries.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    refs = "loose tag refs" if args.loose_refs else "packed tag refs"
    print(f"{args.tasks} tasks × {args.versions} versions ({args.tasks * args.versions} tags, {refs}), "
          f"{os.cpu_count()} cores, median of {args.runs} commits each; wall-clock ms (CPU ms)")
    print(f"{'change':<15}{'--no-verify':>17}{'with hook':>17}{'added':>17}")
    for count, result in rows:
        (plain, plain_cpu), (hooked, hooked_cpu) = result[False], result[True]
        label = f"{count} task file{'s' if count > 1 else ''}"
        print(f"{label:<15}{_ms(plain, plain_cpu)}{_ms(hooked, hooked_cpu)}"
              f"{_ms(hooked - plain, hooked_cpu - plain_cpu)}")
    print(f"{'python -P -c pass':<32}{_ms(*start)}   (the floor of any Python hook)")
    print("one staged task.yaml, checked by:")
    for label, (wall, cpu) in entry_times.items():
        print(f"  {label:<38}{_ms(wall, cpu)}")


def _ms(wall: float, cpu: float) -> str:
    return f"{wall:>8.1f} ({cpu:>5.1f})"


if __name__ == "__main__":
    main()
