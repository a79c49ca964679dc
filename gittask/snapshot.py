"""Data snapshots and model artifact info: what exactly a version was trained on and
produced. Data files are read streaming, once: hashing, counting records and counting
labels happen in one pass, and the result is cached by (path, size, mtime) inside the
clone so that an unchanged file is never read twice."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections import Counter
from pathlib import Path

from gittask import yamlio
from gittask.errors import GittaskError, Problem, ValidationError
from gittask.project import Project
from gittask.tasks import DATA_SOURCE_FILE, Task

CHUNK = 1 << 20
CACHE_NAME = "hash-cache.json"


def _cache_path(project: Project) -> Path:
    return project.state_path().parent / CACHE_NAME


def load_cache(project: Project) -> dict:
    try:
        return json.loads(_cache_path(project).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_cache(project: Project, cache: dict) -> None:
    yamlio.write_atomic(_cache_path(project), json.dumps(cache, ensure_ascii=False))


def _cache_key(path: Path, label_field: str | None) -> tuple[str, dict]:
    st = path.stat()
    return str(path.resolve()), {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                  "label_field": label_field}


def file_stats(project: Project, path: Path, label_field: str | None, cache: dict,
               read_counter: list | None = None) -> dict:
    """sha256, size, records and class distribution of one data file (cached)."""
    key, stamp = _cache_key(path, label_field)
    hit = cache.get(key)
    if hit and all(hit.get(k) == v for k, v in stamp.items()):
        return hit["stats"]
    if read_counter is not None:
        read_counter.append(str(path))
    stats = scan_csv(path, label_field) if path.suffix == ".csv" else scan_jsonl(path, label_field)
    cache[key] = {**stamp, "stats": stats}
    return stats


def scan_jsonl(path: Path, label_field: str | None) -> dict:
    """One streaming pass: sha256 of the bytes, non-empty lines, label counts.

    Labels are found with a regular expression on the raw bytes rather than by parsing
    every record: that keeps a 1 GB file close to the cost of hashing it. It reads the
    field where it appears in a line, which is where a flat record keeps it."""
    digest, size, records, counts = hashlib.sha256(), 0, 0, {}
    label_re = _label_regex(label_field) if label_field else None
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            data = tail + chunk
            cut = data.rfind(b"\n") + 1
            records += _count_lines(data[:cut])
            if label_re:
                _count_labels(label_re, data[:cut], counts)
            tail = data[cut:]
    if tail.strip():
        records += 1
        if label_re:
            _count_labels(label_re, tail, counts)
    return {"sha256": digest.hexdigest(), "size": size, "records": records,
            "class_distribution": _sorted_counts(counts)}


def _count_lines(data: bytes) -> int:
    """Non-blank lines (blank lines in JSONL are not records)."""
    lines = data.count(b"\n")
    blank = data.count(b"\n\n") + (1 if data.startswith(b"\n") else 0)
    return lines - blank if b"\n\n\n" not in data else sum(1 for l in data.split(b"\n") if l.strip())


def _label_regex(field: str) -> re.Pattern:
    key = re.escape(json.dumps(field, ensure_ascii=False).encode("utf-8"))
    return re.compile(key + rb'\s*:\s*("(?:[^"\\\n]|\\.)*"|-?[0-9][0-9.eE+-]*|true|false|null)')


def _count_labels(pattern: re.Pattern, data: bytes, counts: dict) -> None:
    # Count the raw matches first (C speed), decode each distinct label once.
    for raw, n in Counter(pattern.findall(data)).items():
        label = str(json.loads(raw)) if raw.startswith(b'"') else raw.decode()
        counts[label] = counts.get(label, 0) + n


def scan_csv(path: Path, label_field: str | None) -> dict:
    """CSV needs a real parser (quoted newlines), so it is hashed and parsed in two passes."""
    digest = sha256_file(path)
    counts, records = {}, 0
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            records += 1
            if label_field and label_field in row:
                counts[row[label_field]] = counts.get(row[label_field], 0) + 1
    return {"sha256": digest, "size": path.stat().st_size, "records": records,
            "class_distribution": _sorted_counts(counts)}


def _sorted_counts(counts: dict) -> dict:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def load_data_source(task: Task) -> tuple[dict, bytes]:
    """data_source.yaml, validated, and its raw bytes."""
    from gittask import schema

    path = task.path(DATA_SOURCE_FILE)
    display = task.relpath(DATA_SOURCE_FILE)
    doc = yamlio.load(path, display)
    problems = schema.validate(doc, schema.DATA_SOURCE) if isinstance(doc.data, dict) else \
        [Problem(display, "expected a mapping", 1, 1)]
    if problems:
        raise ValidationError(problems, hint=f"fix {display}")
    return doc.data, path.read_bytes()


def data_snapshot(project: Project, task: Task, read_counter: list | None = None) -> dict:
    """The data snapshot of the task's current data: each split's path, sha256, size,
    record count and class distribution."""
    source, raw = load_data_source(task)
    label_field = source.get("label_field")
    cache = load_cache(project)
    splits, problems = {}, []
    for split, rel in (source.get("splits") or {}).items():
        path = task.path(rel)
        if not path.is_file():
            problems.append(Problem(task.relpath(DATA_SOURCE_FILE),
                                    f"splits.{split}: {rel} does not exist"))
            continue
        splits[split] = {"path": rel, **file_stats(project, path, label_field, cache, read_counter)}
    if problems:
        raise ValidationError(problems, hint="create the data files or fix their paths in "
                                             "data_source.yaml (paths are relative to the task)")
    save_cache(project, cache)
    return {"data_source_sha256": hashlib.sha256(raw).hexdigest(), "label_field": label_field,
            "splits": splits}


def lineage_data(snapshot: dict) -> dict:
    """The seed's lineage `data` block from a snapshot."""
    data = {"source_hash": snapshot["data_source_sha256"][:12]}
    for split, info in snapshot["splits"].items():
        data[f"{split}_count"] = info["records"]
    train = snapshot["splits"].get("train") or next(iter(snapshot["splits"].values()), None)
    if train and train.get("class_distribution"):
        data["class_distribution"] = dict(train["class_distribution"])
    return data


def model_info(task: Task, version: str) -> dict:
    """Artifact paths named by the strategy's rules, with size and sha256 of those
    present locally (a directory: total size and a hash over its files)."""
    from gittask import versioning

    deploy = task.data.get("deploy") or {}
    paths = versioning.artifact_paths(task.name, version, task.strategy, deploy.get("hf_repo"))
    artifacts = {}
    for kind in ("adapter_path", "merged_path", "gguf_path"):
        artifacts[kind] = {"path": paths[kind], **artifact_stats(task.path(paths[kind]))}
    return {"version": version, "strategy": task.strategy, "artifacts": artifacts,
            "hf_repo": paths.get("hf_repo"), "hub_revision": paths.get("hub_revision"),
            "ollama_model": deploy.get("ollama_model")}


def artifact_stats(path: Path) -> dict:
    if path.is_file():
        return {"present": True, "size": path.stat().st_size, "sha256": sha256_file(path)}
    if path.is_dir():
        digest, total = hashlib.sha256(), 0
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = file.relative_to(path).as_posix()
            digest.update(f"{rel}\0{sha256_file(file)}\n".encode())
            total += file.stat().st_size
        return {"present": True, "size": total, "sha256": digest.hexdigest()}
    return {"present": False}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
