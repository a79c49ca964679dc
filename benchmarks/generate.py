"""Generate a gittask project with T tasks × V released versions, fast.

Every version is a real commit holding versions/<v>/{config.yaml,results.json,
lineage.yaml} and a real annotated tag `<task>@<v>` whose message has the same shape
`gittask release` writes. One `git fast-import` stream builds it all, so 4,000 tags take
seconds instead of the minutes 4,000 `gittask release` runs would.

    python benchmarks/generate.py DIR --tasks 200 --versions 20
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from gittask.demo import SEED_TASK_YAML  # noqa: E402  (the seed's task.yaml)

TASK_YAML = (SEED_TASK_YAML.replace("task_name: entity-sentiment", "task_name: {name}")
             .replace("version: null", "version: {version}").replace("status: created", "status: evaluating")
             .replace("{entity}", "{{entity}}").replace("{text}", "{{text}}"))


def _data(text: str) -> bytes:
    raw = text.encode("utf-8")
    return f"data {len(raw)}\n".encode() + raw + b"\n"


def stream(tasks: int, versions: int) -> bytes:
    out = bytearray()
    mark = 0
    when = 1767600000
    for t in range(tasks):
        name = f"task-{t:04d}"
        for v in range(1, versions + 1):
            version = f"v{v}"
            f1 = round(0.5 + 0.4 * v / max(versions, 1), 4)
            results = json.dumps({"macro_f1": f1, "accuracy": f1}, ensure_ascii=False)
            lineage = (f"version: {version}\ncreated: 2026-01-06T14:00:00\nparent: "
                       f"{'v%d' % (v - 1) if v > 1 else 'null'}\nresults:\n  macro_f1: {f1}\n")
            mark += 1
            when += 60
            out += f"commit refs/heads/main\nmark :{mark}\n".encode()
            out += f"committer Bench <bench@example.com> {when} +0000\n".encode()
            out += _data(f"{name}: release {version}")
            if mark > 1:
                out += f"from :{mark - 1}\n".encode()
            files = {f"{name}/task.yaml": TASK_YAML.format(name=name, version=version),
                     f"{name}/data_source.yaml": "splits:\n  train: data/train.jsonl\nlabel_field: sentiment\n",
                     f"{name}/versions/{version}/config.yaml": f"base_model: Qwen/Qwen3-4B\nlora:\n  r: {8 * v}\n",
                     f"{name}/versions/{version}/results.json": results,
                     f"{name}/versions/{version}/lineage.yaml": lineage}
            for path, text in files.items():
                out += f"M 100644 inline {path}\n".encode() + _data(text)
            message = (f"{name} {version}: macro_f1 {f1 * 100:.1f}%\n\ntask: {name}\nversion: {version}\n"
                       f"parent: {'v%d' % (v - 1) if v > 1 else 'null'}\nprimary_metric: macro_f1\n"
                       f"metrics:\n  macro_f1: {f1}\nchanges:\n- 'lora.r: {8 * (v - 1)} → {8 * v}'\n")
            out += f"tag {name}@{version}\nfrom :{mark}\n".encode()
            out += f"tagger Bench <bench@example.com> {when} +0000\n".encode() + _data(message)
    return bytes(out)


def generate(root: Path, tasks: int, versions: int, pack_refs: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    if versions == 0:
        for t in range(tasks):
            task = root / f"task-{t:04d}"
            task.mkdir()
            (task / "task.yaml").write_text(TASK_YAML.format(name=task.name, version="null"), encoding="utf-8")
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(root), "-c", "user.name=Bench", "-c", "user.email=b@e",
                        "commit", "-qm", "tasks"], check=True)
        return root
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=stream(tasks, versions), check=True)
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "-f", "main"], check=True)
    if pack_refs:  # as in a clone, or after `git gc`; 4,000 loose tag files cost ~100 ms per read
        subprocess.run(["git", "-C", str(root), "pack-refs", "--all"], check=True)
    return root


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--versions", type=int, default=0)
    parser.add_argument("--loose-refs", action="store_true", help="leave the tags as loose ref files")
    args = parser.parse_args()
    print(generate(args.dir, args.tasks, args.versions, pack_refs=not args.loose_refs))
