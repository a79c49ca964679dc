"""Speed of gittask's read paths, measured against baselines in the same run.

Prints medians in ms and ratios against `python -c pass` (interpreter start, the floor
for any Python CLI here) and `git for-each-ref` (reading every tag with a full format:
what any tag-based tool has to do at least).

    python benchmarks/run.py            # T = 10 and 200 tasks, 200 × 20 = 4,000 tags
    python benchmarks/run.py --quick    # fewer repetitions
    python benchmarks/run.py --big-data 1024   # also: release hashing of a 1 GB file
"""
from __future__ import annotations

import argparse
import compileall
import os
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

GITTASK = [sys.executable, "-m", "gittask"]
FULL_FORMAT = ("--format=%(refname:lstrip=2) %(objectname) %(*objectname) %(taggerdate:iso-strict) "
               "%(contents:subject)")


def median_ms(cmd: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[1:])  # the first run warms caches


def row(name: str, ms: float, base: dict[str, float], target: float | None = None) -> str:
    ratios = "  ".join(f"{ms / b:5.1f}× {k}" for k, b in base.items())
    mark = "" if target is None else ("  ok" if ms <= target else f"  OVER target {target:.0f} ms")
    return f"{name:<38} {ms:8.1f} ms   {ratios}{mark}"


def bench_project(label: str, root: Path, runs: int, base_pass: float, log_task: str | None,
                  targets: dict[str, float]) -> list[str]:
    tags = median_ms(["git", "for-each-ref", FULL_FORMAT, "refs/tags"], root, runs)
    base = {"python": base_pass, "for-each-ref": tags}
    lines = [f"-- {label}", row("git for-each-ref (full format)", tags, base)]
    lines.append(row("gittask list", median_ms(GITTASK + ["list"], root, runs), base, targets.get("list")))
    lines.append(row("gittask list --json", median_ms(GITTASK + ["list", "--json"], root, runs), base))
    if log_task:
        lines.append(row("gittask log", median_ms(GITTASK + ["log", "-t", log_task], root, runs), base,
                         targets.get("log")))
        lines.append(row("gittask log --json", median_ms(GITTASK + ["log", "-t", log_task, "--json"], root, runs), base))
    return lines


def bench_hashing(tmp: Path, megabytes: int) -> list[str]:
    """Release-time hashing of one big data file against sha256sum, and a second
    snapshot of the unchanged file (served from the hash cache, reading nothing)."""
    sys.path.insert(0, str(HERE.parent))
    from gittask.project import open_project
    from gittask.snapshot import data_snapshot
    from gittask.tasks import NewTaskOptions, load_task, new_task

    root = tmp / "big"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    os.environ.setdefault("GIT_AUTHOR_NAME", "b"), os.environ.setdefault("GIT_AUTHOR_EMAIL", "b@e")
    os.environ.setdefault("GIT_COMMITTER_NAME", "b"), os.environ.setdefault("GIT_COMMITTER_EMAIL", "b@e")
    project = open_project(root)
    new_task(project, "big", NewTaskOptions(labels=("正面", "負面", "中立"), label_field="sentiment"))
    line = '{"id": "x", "text": "台積電營收創新高,法人看好後市發展", "sentiment": "正面"}\n'.encode()
    mib = 1 << 20
    block = line * (mib // len(line))  # whole records, just under 1 MiB
    data = root / "big" / "data"
    with open(data / "train.jsonl", "wb") as handle:
        for _ in range(megabytes):
            handle.write(block)
    for split in ("valid", "test"):
        (data / f"{split}.jsonl").write_bytes(line)
    size = (data / "train.jsonl").stat().st_size
    start = time.perf_counter()
    subprocess.run(["sha256sum", str(data / "train.jsonl")], stdout=subprocess.DEVNULL, check=True)
    sha = (time.perf_counter() - start) * 1000
    task = load_task(project, "big")
    read: list[str] = []
    start = time.perf_counter()
    snap = data_snapshot(project, task, read)
    first = (time.perf_counter() - start) * 1000
    again: list[str] = []
    start = time.perf_counter()
    data_snapshot(project, task, again)
    second = (time.perf_counter() - start) * 1000
    records = snap["splits"]["train"]["records"]
    return [f"-- data snapshot of a {size / 2**20:.0f} MiB JSONL file ({records:,} records, labels counted)",
            f"{'sha256sum':<38} {sha:8.1f} ms",
            f"{'snapshot, first (hash+count+labels)':<38} {first:8.1f} ms   {first / sha:5.2f}× sha256sum",
            f"{'snapshot, unchanged data (cached)':<38} {second:8.1f} ms   files read: {len(again)}"]


def main() -> None:
    parser = argparse.ArgumentParser(description="gittask speed")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--big-data", type=int, default=0, metavar="MB")
    args = parser.parse_args()
    runs = 5 if args.quick else 11
    compileall.compile_dir(str(HERE.parent / "gittask"), quiet=1)  # as a pip install would
    tmp = Path(tempfile.mkdtemp(prefix="gittask-bench-"))
    try:
        base_pass = median_ms([sys.executable, "-c", "pass"], tmp, runs)
        lines = [f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {runs} runs",
                 row("python -c pass", base_pass, {"python": base_pass}),
                 row("gittask --help", median_ms(GITTASK + ["--help"], tmp, runs), {"python": base_pass}, 150)]
        for tasks, versions, log_task, packed in ((10, 0, None, True), (200, 0, None, True),
                                                  (200, 20, "task-0100", True), (200, 20, "task-0100", False)):
            root = generate(tmp / f"p{tasks}x{versions}{packed}", tasks, versions, pack_refs=packed)
            refs = "packed refs, as in a clone" if packed else "loose ref files, as just tagged"
            lines += bench_project(f"{tasks} tasks × {versions} versions ({tasks * versions} tags, {refs})",
                                   root, runs, base_pass, log_task, {"list": 300, "log": 200})
        if args.big_data:
            lines += bench_hashing(tmp, args.big_data)
        print("\n".join(lines))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
