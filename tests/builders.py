"""Builders for test projects: data files, results, a task with released versions —
all through the real CLI and real git."""
from __future__ import annotations

import json
from pathlib import Path

from gittask.demo import SEED_V1_RESULTS, SEED_V2_RESULTS  # noqa: E402,F401  (the seed's numbers)


def write_split(path: Path, counts: dict[str, int], field: str = "sentiment", prefix: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines, i = [], 0
    for label, n in counts.items():
        for _ in range(n):
            i += 1
            lines.append(json.dumps({"id": f"{prefix}{i}", "text": f"第{i}則新聞", "entity": "台積電",
                                     field: label}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def seed_task(cli, project: Path, name: str = "entity-sentiment") -> Path:
    """A task with the seed's labels and v1 data (500/100/160), committed."""
    ok(cli("new", name, "--labels", "正面,負面,中立", "--label-field", "sentiment",
           "--domain", "finance", "--hf-repo", f"org/{name}", "--ollama-model", f"org/{name}"))
    task = project / name
    write_split(task / "data" / "train.jsonl", {"正面": 230, "負面": 195, "中立": 75}, prefix="tr")
    write_split(task / "data" / "valid.jsonl", {"正面": 40, "負面": 35, "中立": 25}, prefix="va")
    write_split(task / "data" / "test.jsonl", {"正面": 60, "負面": 55, "中立": 45}, prefix="te")
    from tests.conftest import git

    git(project, "add", "-A", name)
    git(project, "commit", "-qm", f"{name}: data v1")
    return task


def release_v1(cli, project: Path, tmp: Path, name: str = "entity-sentiment", results=None) -> None:
    ok(cli("draft", "-t", name))
    ok(cli("record", str(write_json(tmp / f"{name}-r1.json", results or SEED_V1_RESULTS)), "-t", name))
    ok(cli("release", "-t", name))


def release_v2(cli, project: Path, tmp: Path, name: str = "entity-sentiment", results=None) -> None:
    """v2 as in the seed: LoRA r 32 → 64, epochs 8 → 6, train 500 → 700."""
    from tests.conftest import git

    task = project / name
    write_split(task / "data" / "train.jsonl", {"正面": 280, "負面": 245, "中立": 175}, prefix="tr")
    write_split(task / "data" / "valid.jsonl", {"正面": 50, "負面": 45, "中立": 45}, prefix="va")
    git(project, "commit", "-qam", f"{name}: data v2")
    ok(cli("draft", "-t", name))
    config = task / "versions" / "v2" / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("r: 32", "r: 64")
                      .replace("alpha: 64", "alpha: 128").replace("epochs: 8", "epochs: 6"), encoding="utf-8")
    ok(cli("record", str(write_json(tmp / f"{name}-r2.json", results or SEED_V2_RESULTS)), "-t", name))
    ok(cli("release", "-t", name, "--change", "新增中立樣本 100 筆",
           "-m", "v2 主要針對中立類別的 F1 進行改善。\n中立 F1 從 62% 提升到 78.5%。"))
