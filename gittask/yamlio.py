"""Reading YAML/JSON with positions, writing them with CJK kept as text, atomically."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gittask.errors import Problem, ValidationError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass
class Document:
    """Parsed data plus where each key and value stood in the file."""

    path: str
    data: Any
    node: Any = None  # the yaml node tree; None for JSON
    json_positions: dict = field(default_factory=dict)

    def position(self, keys: tuple, of_key: bool = False) -> tuple[int | None, int | None]:
        """1-based (line, col) of the value at `keys` (or of its key), else of the
        nearest ancestor that exists."""
        if self.node is None:
            return self.json_positions.get(keys[:1], (None, None)) if keys else (1, 1)
        node, mark = self.node, self.node.start_mark
        for i, key in enumerate(keys):
            found = _child(node, key)
            if found is None:
                break
            key_node, node = found
            last = i == len(keys) - 1
            mark = key_node.start_mark if (last and of_key and key_node is not None) else node.start_mark
        return mark.line + 1, mark.column + 1


def _child(node, key):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == str(key):
                return k, v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return None, node.value[key]
    return None


def parse_yaml(text: str, path: str) -> Document:
    """Parse one YAML document; a syntax error becomes a Problem with its position."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        reason = exc.problem or str(exc)
        if exc.context:
            reason = f"{reason} ({exc.context})"
        raise ValidationError([Problem(path, f"invalid YAML: {reason}", line, col)],
                              hint="fix the YAML syntax at that position") from None
    except yaml.YAMLError as exc:
        raise ValidationError([Problem(path, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    problems = list(_duplicate_keys(node, path)) if node is not None else []
    if problems:
        raise ValidationError(problems, hint="remove the repeated key")
    return Document(path, data, node)


def _duplicate_keys(node, path):
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for k, v in node.value:
            if k.value in seen:
                yield Problem(path, f"duplicate key '{k.value}' (YAML keeps only the last one)",
                              k.start_mark.line + 1, k.start_mark.column + 1)
            seen.add(k.value)
            yield from _duplicate_keys(v, path)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item, path)


def parse_json(text: str, path: str) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError([Problem(path, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)],
                              hint="fix the JSON syntax at that position") from None
    return Document(path, data, None, _json_top_positions(text, data))


def _json_top_positions(text: str, data) -> dict:
    """Line/col of top-level keys: good enough to point at the offending entry."""
    positions = {}
    if isinstance(data, dict):
        for key in data:
            needle = json.dumps(key, ensure_ascii=False)
            at = text.find(needle)
            if at < 0:
                needle = json.dumps(key)
                at = text.find(needle)
            if at >= 0:
                line = text.count("\n", 0, at) + 1
                col = at - (text.rfind("\n", 0, at) + 1) + 1
                positions[(key,)] = (line, col)
    return positions


def read_text(path: Path, display: str | None = None) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError([Problem(display or str(path), "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(display or str(path),
                                       f"not UTF-8 text (byte {exc.start})")],
                              hint="save the file as UTF-8") from None


def load(path: Path, display: str | None = None) -> Document:
    text = read_text(path, display)
    shown = display or str(path)
    return parse_json(text, shown) if path.suffix == ".json" else parse_yaml(text, shown)


def load_data(path: Path) -> Any:
    """Fast load without positions (the hot path of `list`)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=_Loader)


class Stamp(str):
    """A timestamp string written plain (`created: 2026-01-06T14:00:00`), as in the
    seed, instead of quoted."""


def _represent_stamp(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", str(value))


def _represent_str(dumper, value):
    style = None
    if "\n" in value.strip("\n") or value.endswith("\n") and "\n" in value:
        style = "|"
    elif ": " in value or " #" in value or value[:1] in "-?:,[]{}#&*!|>'\"%@`":
        style = '"'  # like the seed's `- "LoRA rank 32 → 64"`, not PyYAML's single quotes
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(Stamp, _represent_stamp)
_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write via a temporary file in the same directory and rename, so a crash never
    leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
