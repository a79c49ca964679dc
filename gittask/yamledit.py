"""Change top-level scalar values of a user's YAML file and nothing else.

gittask edits only a few scalars of task.yaml (version, status, updated). A YAML
round-trip would reflow the user's comments, quoting and block scalars; editing the
one line keeps every other byte as the user wrote it.
"""
from __future__ import annotations

import re

_LINE = re.compile(
    r"^(?P<key>[A-Za-z_][\w-]*)(?P<sep>[ \t]*:[ \t]*)"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^#\n]*?)"
    r"(?P<rest>[ \t]+#.*)?$")


def set_scalar(text: str, key: str, value: str | None, after: str | None = None) -> str:
    """Return `text` with top-level `key` set to `value`, keeping its quoting style and
    trailing comment. A missing key is added after the key `after` (or at the end)."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        match = _LINE.match(line.rstrip("\r\n"))
        if match and match.group("key") == key:
            ending = line[len(line.rstrip("\r\n")):]
            new_value = _format(value, match.group("value"))
            lines[i] = (f"{key}{match.group('sep') or ': '}{new_value}"
                        f"{match.group('rest') or ''}{ending}")
            if not match.group("sep").endswith(" ") and new_value:
                lines[i] = f"{key}: {new_value}{match.group('rest') or ''}{ending}"
            return "".join(lines)
    return _insert(lines, key, _format(value, ""), after)


def _insert(lines: list[str], key: str, value: str, after: str | None) -> str:
    new_line = f"{key}: {value}\n"
    if after is not None:
        for i, line in enumerate(lines):
            match = _LINE.match(line.rstrip("\r\n"))
            if match and match.group("key") == after:
                lines.insert(i + 1, new_line)
                return "".join(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.append(new_line)
    return "".join(lines)


def _format(value: str | None, old: str) -> str:
    if value is None:
        return "null"
    old = old.strip()
    if old.startswith('"'):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if old.startswith("'"):
        return "'" + value.replace("'", "''") + "'"
    if _needs_quotes(value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def _needs_quotes(value: str) -> bool:
    """Would the plain scalar read back as something other than this string?"""
    import yaml  # already imported by every caller; kept local to stay a leaf module

    if value == "" or value != value.strip() or "#" in value or ": " in value:
        return True
    if re.fullmatch(r"\d{4}-\d\d-\d\d[Tt][\d:.]+([+-]\d\d:?\d\d|Z)?", value):
        return False  # timestamps: written plain like the seed's `updated:` line
    try:
        return yaml.safe_load(value) != value
    except yaml.YAMLError:
        return True
