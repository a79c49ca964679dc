"""Lineage is generated, not typed: the changes of a version come from diffing its
config.yaml and data_source.yaml against the parent's tag, and its data snapshot
against the parent's."""
from __future__ import annotations

import re
from typing import Any

MISSING = object()

# The seed's "bad examples" and their kin: a change line that says nothing measurable.
VAGUE = ("調整參數", "增加資料", "修改參數", "優化", "改進", "更新", "修正", "調參", "其他",
         "tune params", "tuned parameters", "adjust parameters", "more data", "add data",
         "added data", "improvements", "improve", "misc", "update", "updates", "fix",
         "fixes", "changes", "tweaks", "wip")


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """{'lora': {'r': 64}} → {'lora.r': 64}; lists stay values."""
    if not isinstance(data, dict):
        return {prefix: data} if prefix else {}
    flat = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            flat.update(flatten(value, path))
        else:
            flat[path] = value
    return flat


def as_number(value: Any) -> float | None:
    """Numbers, and numeric strings such as YAML's `1e-5` (which YAML 1.1 reads as text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value.strip()):
        return float(value)
    return None


def relative_change(old: Any, new: Any) -> str | None:
    """'+100%', '-25%'; None when not both numbers or the old value is 0."""
    a, b = as_number(old), as_number(new)
    if a is None or b is None or a == 0:
        return None
    pct = (b - a) / abs(a) * 100
    text = f"{pct:+.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def show(value: Any) -> str:
    if value is MISSING:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if abs(value) < 1e-3 and value else f"{value:g}"
    return str(value)


def diff_values(old: dict | None, new: dict | None, prefix: str = "",
                show_all: bool = False) -> list[dict]:
    """Keys of two nested mappings, A → B: {key, a, b, status (changed, added, removed,
    same), relative}; only changed keys unless `show_all`. `compare` shows these rows,
    release turns them into change lines."""
    a, b = flatten(old or {}), flatten(new or {})
    rows = []
    for key in list(a) + [k for k in b if k not in a]:
        before, after = a.get(key, MISSING), b.get(key, MISSING)
        status = ("added" if before is MISSING else "removed" if after is MISSING
                  else "same" if before == after else "changed")
        if status == "same" and not show_all:
            continue
        rows.append({"key": prefix + key, "a": None if before is MISSING else before,
                     "b": None if after is MISSING else after, "status": status,
                     "relative": relative_change(before, after) if status == "changed" else None})
    return rows


def diff_line(row: dict) -> str:
    if row["status"] == "added":
        return f"{row['key']}: added {show(row['b'])}"
    if row["status"] == "removed":
        return f"{row['key']}: removed (was {show(row['a'])})"
    line = f"{row['key']}: {show(row['a'])} → {show(row['b'])}"
    return f"{line} ({row['relative']})" if row["relative"] else line


def snapshot_rows(old: dict | None, new: dict) -> list[dict]:
    """Split counts and the train class balance, parent → this version."""
    if not old:
        return []
    rows = []
    old_splits, new_splits = old.get("splits", {}), new.get("splits", {})
    for split in list(old_splits) + [s for s in new_splits if s not in old_splits]:
        before = (old_splits.get(split) or {}).get("records")
        after = (new_splits.get(split) or {}).get("records")
        if before != after:
            rows.append(_count_row(f"{split}_count", before, after, percent=True))
    train_old = (old_splits.get("train") or {}).get("class_distribution") or {}
    train_new = (new_splits.get("train") or {}).get("class_distribution") or {}
    for label in list(train_old) + [l for l in train_new if l not in train_old]:
        before, after = train_old.get(label), train_new.get(label)
        if before != after:
            rows.append(_count_row(label, before, after, percent=False))
    for split, info in new_splits.items():
        before = (old_splits.get(split) or {}).get("sha256")
        if before and info.get("sha256") != before and not any(r["key"] == f"{split}_count" for r in rows):
            rows.append({"key": f"{split}_data", "old": before[:12], "new": info["sha256"][:12],
                         "added": False, "removed": False, "relative": None, "note": "content changed"})
    return rows


def _count_row(key: str, before, after, percent: bool) -> dict:
    rel = None
    if before is not None and after is not None:
        rel = relative_change(before, after) if percent else f"{after - before:+d}"
    return {"key": key, "old": before or 0, "new": after or 0, "added": before is None,
            "removed": after is None, "relative": rel}


def snapshot_line(row: dict) -> str:
    if row.get("note"):
        return f"{row['key']}: {row['note']} ({row['old']} → {row['new']})"
    line = f"{row['key']}: {row['old']} → {row['new']}"
    return f"{line} ({row['relative']})" if row["relative"] else line


def generated_changes(parent: dict | None, current: dict) -> list[str]:
    """Change lines for a version from its parent's inputs. `parent`/`current` hold
    config, data_source and snapshot."""
    if parent is None:
        return []
    lines = [diff_line(r) for r in diff_values(parent.get("config"), current.get("config"))]
    lines += [diff_line(r) for r in diff_values(_source(parent), _source(current), "data_source.")]
    lines += [snapshot_line(r) for r in snapshot_rows(parent.get("snapshot"), current["snapshot"])]
    return lines


def _source(inputs: dict) -> dict:
    """data_source.yaml without its free-form provenance noise compared key by key."""
    return inputs.get("data_source") or {}


def is_vague(line: str) -> bool:
    """A hand-written change that names nothing measurable (the seed's bad examples)."""
    text = line.strip().strip("。.!").lower()
    if any(ch.isdigit() for ch in text) or "→" in text or "->" in text:
        return False
    return text in VAGUE or len(text) <= 4


def summary(changes: list[str], first: bool, limit: int = 4) -> str:
    """The history table's short 'main changes', like the seed's `LoRA↑, 中立樣本↑`:
    one mark per changed group (`lora↑`, `epochs↓`, `train↑`, `中立↑`), at most `limit`."""
    if first and not changes:
        return "initial version"
    marks: list[str] = []
    for line in changes:
        match = re.match(r"([^:]+): (.+?) → (.+?)(?: \(.*\))?$", line)
        if not match:
            mark = line
        else:
            key = match.group(1).replace("data_source.", "").split(".")[0]
            key = key[:-6] if key.endswith("_count") else key
            a, b = as_number(match.group(2)), as_number(match.group(3))
            arrow = "" if a is None or b is None or a == b else ("↑" if b > a else "↓")
            mark = key + arrow
        if mark not in marks:
            marks.append(mark)
    shown = marks[:limit]
    return ", ".join(shown) + (f" (+{len(marks) - limit})" if len(marks) > limit else "") if marks else "-"
