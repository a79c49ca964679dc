"""What a deployed version tells its users: the Hub model card and the Ollama Modelfile.

Everything here is computed from the version's files at its release tag (lineage.yaml,
the task.yaml it was released with), never from the deploy's clock, so deploying the
same version twice renders the same bytes and the Hub sees nothing to commit.

Ollama's TEMPLATE is a Go template whose only inputs are `.System` and `.Prompt`, while
a task's `input_template` is a Python-style template with named fields (`{text}`,
`{entity}`). The conversion (decided here, documented in the README):
- one field: the field becomes `{{ .Prompt }}`, so a caller sends just that value and
  Ollama wraps it in the text the model was trained on;
- no field: the template's text, then the caller's prompt on its own paragraph;
- several fields (the seed's `{entity}` and `{text}`): a Go template cannot take them
  apart, so the caller fills the input template itself and sends the whole text; the
  template is `{{ .Prompt }}` and the system prompt quotes the input template.
Literal `{{` in the text is escaped for Go; `{{`/`}}` in the input template are
Python's escaped braces and come out as single braces. The system prompt, when set,
comes first, separated by a blank line.
"""
from __future__ import annotations

import json
import string

from gittask.errors import GittaskError
from gittask.output import markdown_table, percent

# Task types whose answer is a label or a span: the same input should give the same
# answer, so Ollama samples greedily unless task.yaml says otherwise.
_DETERMINISTIC = {"classification", "multi_label_classification", "ner", "extraction", "ranking"}

# task_type → the Hub's task id for the evaluation results (model-index).
_HUB_TASK = {
    "classification": "text-classification", "multi_label_classification": "text-classification",
    "ner": "token-classification", "extraction": "token-classification",
    "summarization": "summarization", "qa": "question-answering", "translation": "translation",
    "ranking": "text-ranking",
}

_PROMPT = "{{ .Prompt }}"
_SYSTEM = "{{ if .System }}{{ .System }}\n\n{{ end }}"


# --- Ollama -------------------------------------------------------------------------------

def template_fields(input_template: str | None, where: str = "task.yaml") -> tuple[list[tuple[str, str | None]], list[str]]:
    """(literal text, field or None) pieces of a `{field}` template and its distinct
    fields, in order; GittaskError when the braces do not balance."""
    try:
        pieces = [(literal, field) for literal, field, _spec, _conv
                  in string.Formatter().parse(input_template or "")]
    except ValueError as exc:
        raise GittaskError(f"{where}: input_template: {exc}",
                           hint="write {field} for a field and {{ or }} for a literal brace") from None
    fields = list(dict.fromkeys(f for _, f in pieces if f is not None))
    return pieces, fields


def ollama_template(input_template: str | None, where: str = "task.yaml") -> str:
    """The Modelfile TEMPLATE for a task's input template (rules in the module doc)."""
    pieces, fields = template_fields(input_template, where)
    if len(fields) > 1 or not (input_template or "").strip():
        return _SYSTEM + _PROMPT
    body, text = "", ""
    for literal, field in pieces:  # Formatter splits literal text at escaped braces
        text += literal
        if field is not None:
            body, text = body + _go_literal(text) + _PROMPT, ""
    body = (body + _go_literal(text)).rstrip()
    return _SYSTEM + (body if fields else f"{body}\n\n{_PROMPT}")


def _go_literal(text: str) -> str:
    # Only `{{` opens an action in a Go template; a lone brace or `}}` is plain text.
    return text.replace("{{", '{{ "{{" }}')


def ollama_system(task_data: dict) -> str:
    """The SYSTEM prompt: what the model does and the exact shape of its answer."""
    about = [str(task_data[k]) for k in ("task_type", "domain", "language") if task_data.get(k)]
    lines = [f"Task: {task_data.get('task_name')}" + (f" ({', '.join(about)})." if about else ".")]
    output = task_data.get("output_format") or {}
    schema = output.get("schema") if isinstance(output, dict) else None
    if isinstance(schema, dict) and schema:
        lines.append("Answer with one JSON object and nothing else, matching this schema: "
                     + json.dumps(schema, ensure_ascii=False, sort_keys=False))
        for field, spec in schema.items():
            if isinstance(spec, dict) and isinstance(spec.get("enum"), list):
                lines.append(f"{field}: one of {', '.join(map(str, spec['enum']))}")
    _, fields = template_fields(task_data.get("input_template"))
    if len(fields) > 1:
        lines.append("The input follows this template: " + task_data["input_template"].strip())
    return "\n".join(lines)


def ollama_parameters(task_data: dict, deploy: dict) -> dict:
    """Modelfile PARAMETERs: temperature 0 for label-like tasks, then task.yaml
    deploy.ollama_parameters (which win)."""
    params = {"temperature": 0} if task_data.get("task_type") in _DETERMINISTIC else {}
    params.update(deploy.get("ollama_parameters") or {})
    return params


# --- the Hub model card -----------------------------------------------------------------

def card_metadata(facts: dict):
    """ModelCardData for the card's YAML header (the Hub reads base model, library,
    language and the model-index evaluation results from it)."""
    from huggingface_hub import ModelCardData

    adapter = facts["kind"] == "adapter"
    task_data = facts["task_data"]
    tags = ["gittask", task_data.get("task_type"), task_data.get("domain")]
    tags += ["lora"] if adapter else []
    extra = {"base_model_relation": "adapter" if adapter else "finetune"} if facts.get("base_model") else {}
    return ModelCardData(
        base_model=facts.get("base_model"),
        library_name="peft" if adapter else "transformers",
        language=_language(task_data.get("language")),
        pipeline_tag="text-generation",
        tags=[t for t in tags if t],
        model_name=f"{facts['task']}-{facts['version']}",
        eval_results=eval_results(facts) or None,
        **extra,
    )


def _language(tag: str | None) -> list[str] | None:
    # The Hub's `language` takes ISO 639 codes; the region (zh-TW) is kept in the text.
    return [tag.replace("_", "-").split("-")[0].lower()] if tag else None


def eval_results(facts: dict) -> list:
    """One EvalResult per top-level metric and per class F1 of the version's results."""
    from huggingface_hub import EvalResult

    results = facts.get("results") or {}
    task_type = facts["task_data"].get("task_type") or "other"
    common = dict(task_type=_HUB_TASK.get(task_type, "text-generation"), task_name=task_type,
                  dataset_type=facts["task"], dataset_name=f"{facts['task']} (test split)",
                  dataset_split="test", dataset_revision=facts.get("source_hash"))
    found = []
    for name, value in results.items():
        if _is_number(value):
            found.append(EvalResult(metric_type=_metric_type(name), metric_name=name,
                                    metric_value=value, metric_config=_metric_config(name), **common))
    for label, scores in (results.get("per_class") or {}).items():
        if isinstance(scores, dict) and _is_number(scores.get("f1")):
            found.append(EvalResult(metric_type="f1", metric_name=f"f1 ({label})",
                                    metric_value=scores["f1"], metric_config=str(label), **common))
    return found


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _metric_type(name: str) -> str:
    for known in ("f1", "accuracy", "precision", "recall"):
        if known in name:
            return known
    return name


def _metric_config(name: str) -> str | None:
    return name.split("_", 1)[0] if name.endswith("_f1") and "_" in name else None


def render_card(facts: dict) -> str:
    """README.md: the YAML header, then the lineage for people.

    facts: task, version, tag (git tag), kind (adapter | merged), base_model, lineage
    (the version's lineage.yaml), task_data (task.yaml at the tag), primary_metric,
    hf_repo, ollama_model (or None)."""
    data = card_metadata(facts)
    return f"---\n{data.to_yaml()}\n---\n\n{card_body(facts)}"


def card_body(facts: dict) -> str:
    parts = [_intro(facts), _results_section(facts), _lineage_section(facts), _usage_section(facts)]
    return "\n\n".join(p for p in parts if p) + "\n"


def _intro(facts: dict) -> str:
    task, version, td = facts["task"], facts["version"], facts["task_data"]
    base = facts.get("base_model")
    what = "a LoRA adapter" if facts["kind"] == "adapter" else "a fine-tuned model (adapter merged)"
    about = ", ".join(str(td[k]) for k in ("task_type", "domain", "language") if td.get(k))
    lines = [f"# {task} {version}", "",
             f"{what[0].upper()}{what[1:]} for **{task}** ({about})"
             + (f", trained from [{base}](https://huggingface.co/{base})." if base else "."),
             "",
             f"Released with gittask as the git tag `{facts['tag']}`; the Hub tag "
             f"`{version}` of this repository holds exactly the files of that version."]
    return "\n".join(lines)


def _results_section(facts: dict) -> str:
    results = facts.get("results") or {}
    metric = facts.get("primary_metric")
    rows = [[f"**{k}**" if k == metric else k, percent(v)] for k, v in results.items() if _is_number(v)]
    if not rows:
        return ""
    text = "## Results (test split)\n\n" + markdown_table(["metric", "value"], rows, ["left", "right"])
    per_class = [[str(label), *(percent(s.get(k)) if _is_number(s.get(k)) else "-"
                                for k in ("precision", "recall", "f1"))]
                 for label, s in (results.get("per_class") or {}).items() if isinstance(s, dict)]
    if per_class:
        text += "\n\n" + markdown_table(["class", "precision", "recall", "F1"], per_class,
                                        ["left", "right", "right", "right"])
    return text


def _lineage_section(facts: dict) -> str:
    lin = facts.get("lineage") or {}
    data = lin.get("data") or {}
    created = lin.get("created")
    created = created.isoformat() if hasattr(created, "isoformat") else created or "-"
    lines = ["## Lineage", "", f"- version: `{facts['version']}`, released {created}",
             f"- parent: `{lin['parent']}`" if lin.get("parent") else "- parent: none (first version)"]
    counts = [f"{k[:-6]} {v}" for k, v in data.items() if k.endswith("_count")]
    if counts:
        lines.append(f"- data: {', '.join(counts)} (source hash `{data.get('source_hash', '-')}`)")
    if data.get("class_distribution"):
        dist = ", ".join(f"{k} {v}" for k, v in data["class_distribution"].items())
        lines.append(f"- class distribution (train): {dist}")
    if lin.get("config"):
        lines.append(f"- training config: {_flat(lin['config'])}")
    text = "\n".join(lines)
    if lin.get("changes"):
        text += "\n\n### Changes\n\n" + "\n".join(f"- {c}" for c in lin["changes"])
    if (lin.get("notes") or "").strip():
        text += "\n\n### Notes\n\n" + lin["notes"].strip()
    return text


def _flat(config: dict, prefix: str = "") -> str:
    """`lora.r 64, epochs 6, …`: a nested config on one line."""
    items = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        items.append(_flat(value, name + ".") if isinstance(value, dict) else f"{name} {value}")
    return ", ".join(items)


def _usage_section(facts: dict) -> str:
    td = facts["task_data"]
    lines = ["## Usage"]
    if (td.get("input_template") or "").strip():
        lines += ["", "Input template:", "", "```text", td["input_template"].rstrip(), "```"]
    schema = (td.get("output_format") or {}).get("schema") if isinstance(td.get("output_format"), dict) else None
    if schema:
        lines += ["", "Output (JSON):", "", "```json",
                  json.dumps(schema, ensure_ascii=False, indent=2), "```"]
    if facts.get("ollama_model"):
        lines += ["", f"With Ollama: `ollama run {facts['ollama_model']}:{facts['version']}`"]
    return "\n".join(lines) if len(lines) > 1 else ""
