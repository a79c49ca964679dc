"""The file kinds of a gittask project, as JSON Schema, and a validator for them.

One source of truth: `gittask schema KIND` prints these dicts for editors, and
`validate()` checks files against the same dicts, reporting every problem with its
position, the key path, the wrong value, what is allowed, and a did-you-mean.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import re
from typing import Any, Iterator

from gittask.errors import Problem
from gittask.yamlio import Document

SLUG = r"^[a-z0-9][a-z0-9-]*$"
STATUSES = ["created", "configuring", "training", "evaluating", "deployed", "archived"]
TASK_TYPES = ["classification", "multi_label_classification", "ner", "extraction",
              "generation", "summarization", "qa", "translation", "ranking", "other"]
METRIC_RANGE = {"type": "number", "minimum": 0, "maximum": 1}
_STR = {"type": "string"}
_TIMESTAMP = {"type": "string", "format": "date-time"}
_NUM_OR_NUMERIC_STR = {"type": ["number", "string"], "pattern": r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"}

TASK = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "gittask task.yaml",
    "type": "object",
    "required": ["task_name", "status", "task_type"],
    "additionalProperties": False,
    "properties": {
        "task_name": {"type": "string", "pattern": SLUG, "description": "the task's slug; equals its directory name"},
        "version": {"type": ["string", "null"], "description": "the active version"},
        "status": {"enum": STATUSES},
        "task_type": {"enum": TASK_TYPES},
        "domain": _STR,
        "language": {"type": "string", "pattern": r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"},
        "description": _STR,
        "input_template": _STR,
        "output_format": {
            "type": "object", "additionalProperties": False,
            "properties": {"type": {"enum": ["json", "text", "label"]},
                           "schema": {"type": "object"}},
        },
        "success_criteria": {
            "type": "object", "additionalProperties": False, "required": ["primary_metric"],
            # Metrics are higher-is-better fractions (compare, list and prune rely on it).
            "properties": {"primary_metric": _STR, "threshold": METRIC_RANGE},
        },
        "execution": {
            "type": "object", "additionalProperties": False,
            "properties": {"type": {"enum": ["local", "remote_ssh"]}, "host": _STR,
                           "cuda_devices": {"type": ["string", "integer"]}, "workdir": _STR},
        },
        "versioning": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "strategy": {"enum": ["semantic", "date", "hybrid"]},
                "retention": {
                    "type": "object", "additionalProperties": False,
                    "properties": {
                        "keep_recent": {"type": "integer", "minimum": 0},
                        "keep_deployed": {"type": "boolean"},
                        "keep_best": {"type": "boolean"},
                        "cleanup_exp_after": {"type": "string", "pattern": r"^(\d+[mhdw])+$"},
                    },
                },
            },
        },
        "deploy": {
            "type": "object", "additionalProperties": False,
            "properties": {"hf_repo": _STR, "ollama_model": _STR, "private": {"type": "boolean"},
                           "base_model": _STR, "ollama_parameters": {"type": "object"}},
        },
        "created": _TIMESTAMP,
        "updated": _TIMESTAMP,
    },
}

DATA_SOURCE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "gittask data_source.yaml",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "splits": {
            "type": "object",
            "description": "split name → path relative to the task directory (JSONL or CSV)",
            "additionalProperties": {"type": "string", "pattern": r"\.(jsonl|csv)$"},
            "propertyNames": {"pattern": r"^[A-Za-z0-9_-]+$"},
        },
        "label_field": _STR,
        "id_field": _STR,
        "text_field": _STR,
        "sources": {"type": "array", "items": {"type": "object"}},
        "notes": _STR,
    },
}

CONFIG = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "gittask versions/<v>/config.yaml",
    "type": "object",
    "required": ["base_model"],
    "additionalProperties": True,
    "properties": {
        "base_model": _STR,
        "method": {"enum": ["sft", "dpo", "orpo", "kto", "cpt", "grpo"]},
        "lora": {
            "type": "object", "additionalProperties": True,
            "properties": {"r": {"type": "integer", "minimum": 1},
                           "alpha": {"type": "number", "minimum": 0},
                           "dropout": {"type": "number", "minimum": 0, "maximum": 1},
                           "target_modules": {"type": ["array", "string"]}},
        },
        "epochs": {"type": "number", "minimum": 0},
        "learning_rate": _NUM_OR_NUMERIC_STR,
        "batch_size": {"type": "integer", "minimum": 1},
        "max_seq_length": {"type": "integer", "minimum": 1},
        "seed": {"type": "integer"},
    },
}

_PER_CLASS_ENTRY = {
    "type": "object", "additionalProperties": True,
    "properties": {"precision": METRIC_RANGE, "recall": METRIC_RANGE, "f1": METRIC_RANGE,
                   "support": {"type": "integer", "minimum": 0}},
}

RESULTS = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "gittask versions/<v>/results.json",
    "type": "object",
    "additionalProperties": {"type": ["number", "object", "string", "null"]},
    "properties": {
        "macro_f1": METRIC_RANGE, "micro_f1": METRIC_RANGE, "weighted_f1": METRIC_RANGE,
        "accuracy": METRIC_RANGE, "precision": METRIC_RANGE, "recall": METRIC_RANGE,
        "per_class": {"type": "object", "additionalProperties": _PER_CLASS_ENTRY},
    },
}

SCHEMAS = {"task": TASK, "data-source": DATA_SOURCE, "config": CONFIG, "results": RESULTS}

_JSON_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def validate(doc: Document, schema: dict) -> list[Problem]:
    """Every problem of the document against the schema, in file order."""
    problems = list(_check(doc, doc.data, schema, ()))
    return sorted(problems, key=lambda p: (p.line or 0, p.col or 0))


def _check(doc: Document, value: Any, schema: dict, keys: tuple) -> Iterator[Problem]:
    where = _key_path(keys)
    if "enum" in schema:
        if value not in schema["enum"]:
            yield _problem(doc, keys, f"{where}: {_show(value)} is not one of "
                           f"{', '.join(map(str, schema['enum']))}{_did_you_mean(value, schema['enum'])}")
        return
    if "type" in schema and not _type_ok(value, schema):
        yield _problem(doc, keys, f"{where}: expected {_type_name(schema)}, got {_describe(value)}")
        return
    if isinstance(value, dict):
        yield from _check_object(doc, value, schema, keys)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            yield from _check(doc, item, schema["items"], keys + (i,))
    else:
        yield from _check_scalar(doc, value, schema, keys)


def _check_object(doc, value: dict, schema: dict, keys: tuple) -> Iterator[Problem]:
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            yield _problem(doc, keys, f"{_key_path(keys + (name,))}: required key is missing")
    extra = schema.get("additionalProperties", True)
    names_schema = schema.get("propertyNames")
    for key, item in value.items():
        if names_schema and not re.search(names_schema["pattern"], str(key)):
            yield _problem(doc, keys + (key,), f"{_key_path(keys + (key,))}: "
                           f"invalid name (allowed: {names_schema['pattern']})", of_key=True)
        if key in props:
            yield from _check(doc, item, props[key], keys + (key,))
        elif extra is False:
            yield _problem(doc, keys + (key,), f"{_key_path(keys + (key,))}: unknown key"
                           f"{_did_you_mean(key, list(props))}; allowed: {', '.join(props)}",
                           of_key=True)
        elif isinstance(extra, dict):
            yield from _check(doc, item, extra, keys + (key,))


def _check_scalar(doc, value, schema: dict, keys: tuple) -> Iterator[Problem]:
    where = _key_path(keys)
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        yield _problem(doc, keys, f"{where}: {_show(value)} does not match {schema['pattern']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            hint = " (metrics are fractions: 0.815 means 81.5%)" if high == 1 and value > 1 else ""
            yield _problem(doc, keys, f"{where}: {value} is out of range, expected {bounds}{hint}")


def _type_ok(value, schema: dict) -> bool:
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if schema.get("format") == "date-time" and isinstance(value, (_dt.date, _dt.datetime)):
        return True
    return any(_JSON_TYPES[t](value) for t in types)


def _type_name(schema: dict) -> str:
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    names = {"object": "a mapping", "array": "a list", "string": "a string",
             "integer": "an integer", "number": "a number", "boolean": "true or false",
             "null": "nothing"}
    return " or ".join(names[t] for t in types)


def _describe(value) -> str:
    kinds = {dict: "a mapping", list: "a list", bool: "a boolean", int: "an integer",
             float: "a number", str: "a string", type(None): "nothing (null)"}
    kind = kinds.get(type(value), type(value).__name__)
    return kind if isinstance(value, (dict, list, type(None))) else f"{kind} {_show(value)}"


def _show(value) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _key_path(keys: tuple) -> str:
    path = ""
    for key in keys:
        path += f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
    return path or "(top level)"


def _did_you_mean(value, choices) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _problem(doc: Document, keys: tuple, message: str, of_key: bool = False) -> Problem:
    line, col = doc.position(keys, of_key=of_key)
    return Problem(doc.path, message, line, col)
