"""Rendering compare reports (the dicts of gittask.compare) for people: box tables
for a terminal, GitHub-flavoured markdown for PR comments, in English or zh-TW.

Metric values are percentages ("81.5%"). Their changes are percentage points,
written "+9.5 pt": the seed writes "+9.5%" for 72.0% → 81.5%, which reads as a
relative change (9.5% of 72.0% would be +6.8 points); config changes keep the seed's
relative percentages ("+100%" for LoRA r 32 → 64).
"""
from __future__ import annotations

from gittask import i18n, lineage
from gittask.compare import is_fraction
from gittask.history import metric_label
from gittask.output import markdown_table, percent, style, table

class _Text:
    """Translation and number formatting for one rendering."""

    def __init__(self, lang: str | None, precision: int, color: bool = False):
        self.lang = i18n.resolve(lang)
        self.precision = precision
        self.color = color

    def __call__(self, text: str, **values) -> str:
        return i18n.t(text, self.lang).format(**values)

    def value(self, value, unit: str = "fraction") -> str:
        if value is None:
            return "-"
        return percent(value, self.precision) if unit == "fraction" else lineage.show(value)

    def points(self, delta: float) -> str:
        """+9.5 pt; a change that rounds to zero is "0.0 pt", never "-0.0 pt"."""
        rounded = round(delta * 100, self.precision)
        return (f"{rounded:+.{self.precision}f}" if rounded else f"{0:.{self.precision}f}") + " pt"

    def delta(self, delta, unit: str = "fraction", colored: bool = True) -> str:
        if delta is None:
            return "-"
        if unit != "fraction":
            return f"{delta:+g}"
        text, sign = self.points(delta), round(delta * 100, self.precision)
        if not (colored and self.color and sign):
            return text
        return style(text, "green" if sign > 0 else "red", enabled=True)

    def metric(self, metric: str) -> str:
        if metric.startswith(("precision:", "recall:")):
            kind, label = metric.split(":", 1)
            return f"{label} {self(kind)}"
        return metric_label(metric)


# ------------------------------------------------------------------ a pair

def render_pair(report: dict, lang: str | None = None, markdown: bool = False,
                precision: int = 1, color: bool = False) -> str:
    """The seed's 版本比較: config changes, data changes, performance, verdict."""
    tx = _Text(lang, precision, color and not markdown)
    a, b = report["a"]["version"], report["b"]["version"]
    sections = [(tx("Config changes:"), ["Setting", a, b, "Change"], _config_body(report, tx)),
                (tx("Data changes:"), ["Class (train)", a, b, "Change"], _class_body(report, tx)),
                (tx("Performance:"), ["Metric", a, b, "Change"], _metric_body(report, tx))]
    title = tx("Compare:") + f" {report['task']} {_side_name(report['a'], tx)} → {_side_name(report['b'], tx)}"
    out = [f"### {title}" if markdown else title]
    for heading, headers, body in sections:
        if not body and heading == tx("Data changes:"):
            continue
        headers = [tx(h) for h in headers]
        align = ["left", "right", "right", "right"]
        if markdown:
            shown = markdown_table(headers, body, align) if body else tx("none")
            out.append(f"**{heading.rstrip(':')}**\n\n{shown}")
        else:
            out.append(f"{heading}\n{table(headers, body, align)}" if body else f"{heading} {tx('none')}")
    out[-1] += ("\n\n" if markdown else "\n") + tx("Changes in percentage points (pt).")
    out.append(_verdict_text(report, tx, markdown))
    return "\n\n".join(out)


def _side_name(side: dict, tx: _Text) -> str:
    return side["version"] if side["released"] else f"{side['version']} {tx('(draft)')}"


def _key_label(key: str) -> str:
    # The seed writes "LoRA r" for lora.r; other keys are shown as written.
    return "LoRA " + key[5:] if key.startswith("lora.") else key


def _cell(value) -> str:
    return "-" if value is None else lineage.show(value)


def _change(row: dict, tx: _Text) -> str:
    if row["status"] in ("added", "removed"):
        return tx(row["status"])
    if row["status"] == "same":
        return ""
    return row["relative"] or "→"


def _config_body(report: dict, tx: _Text) -> list[list[str]]:
    rows = report["config"] + report["data"]
    return [[_key_label(r["key"]), _cell(r["a"]), _cell(r["b"]), _change(r, tx)] for r in rows]


def _class_body(report: dict, tx: _Text) -> list[list[str]]:
    def count(n, share):
        return "-" if n is None else f"{n} ({percent(share, tx.precision)})"

    return [[r["label"], count(r["a"], r["a_share"]), count(r["b"], r["b_share"]),
             f"{r['delta']:+d}" if r["status"] != "same" else ""] for r in report["classes"]]


def _metric_body(report: dict, tx: _Text) -> list[list[str]]:
    return [[tx.metric(r["metric"]), tx.value(r["a"], r["unit"]), tx.value(r["b"], r["unit"]),
             tx.delta(r["delta"], r["unit"])] for r in report["metrics"]]


# ------------------------------------------------------------------ the verdict

_HEADLINES = {
    ("better", True): "{b} is significantly better: adopt {b}.",
    ("better", None): "{b} is better (significance not tested): adopt {b}.",
    ("better", False): "{b} is higher, but the difference is not significant: keep {a}.",
    ("worse", True): "{b} is significantly worse: keep {a}.",
    ("worse", None): "{b} is worse (significance not tested): keep {a}.",
    ("worse", False): "{b} is lower, but the difference is not significant: keep {a}.",
    ("same", True): "{b} and {a} score the same: keep {a}.",
    ("same", None): "{b} and {a} score the same: keep {a}.",
    ("same", False): "{b} and {a} score the same: keep {a}.",
}
_RETEST = "{b} and {a} were tested on different data: evaluate both on the same test set."


def headline(report: dict, tx: _Text) -> str:
    v = report["verdict"]
    names = {"a": report["a"]["version"], "b": report["b"]["version"]}
    if v["recommendation"] == "retest":
        return tx(_RETEST, **names)
    return tx(_HEADLINES[(v["direction"], v["significant"])], **names)


def _verdict_text(report: dict, tx: _Text, markdown: bool) -> str:
    lines = [_threshold_line(report, tx)] + _significance_lines(report, tx)
    lines += [_warning_line(w, report, tx) for w in report["warnings"]]
    lines = [line for line in lines if line]
    if markdown:
        return f"**{tx('Verdict:')}** {headline(report, tx)}\n\n" + "\n".join(f"- {l}" for l in lines)
    return f"{tx('Verdict:')} {headline(report, tx)}\n" + "\n".join(f"  - {l}" for l in lines)


def _mark(meets: bool | None) -> str:
    return "-" if meets is None else "✓" if meets else "✗"


def _threshold_line(report: dict, tx: _Text) -> str | None:
    if report["threshold"] is None:
        return None
    row = next(r for r in report["metrics"] if r["primary"])
    v = report["verdict"]
    return tx("Threshold {metric} ≥ {threshold}: {a} {va} {ma}, {b} {vb} {mb}",
              metric=tx.metric(row["metric"]), threshold=percent(report["threshold"], tx.precision),
              a=report["a"]["version"], va=tx.value(row["a"]), ma=_mark(v["a_meets_threshold"]),
              b=report["b"]["version"], vb=tx.value(row["b"]), mb=_mark(v["b_meets_threshold"]))


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _significance_lines(report: dict, tx: _Text) -> list[str]:
    sig, a, b = report["significance"], report["a"], report["b"]
    if sig["reason"] == "test_data_differ":
        return [tx("The test data differ (test split {sa} vs {sb}): the metrics are not "
                   "directly comparable.", sa=(a["test_sha256"] or "-")[:12],
                   sb=(b["test_sha256"] or "-")[:12])]
    if sig["reason"] == "no_predictions":
        return [tx("Significance not tested: no predictions.jsonl for {versions} "
                   "(attach it with 'gittask record RESULTS.json --predictions FILE').",
                   versions=sig["detail"])]
    if sig["reason"] == "predictions_do_not_pair":
        return [tx("Significance not tested: the predictions do not pair up ({detail}).",
                   detail=sig["detail"])]
    lines = []
    if report["test_data"] == "unknown":
        lines.append(tx("The data snapshots do not identify the test split; the predictions "
                        "were paired by id."))
    boot, mc = sig["bootstrap"], sig["mcnemar"]
    if boot:
        # The bootstrap scores predictions.jsonl, which may round differently from
        # results.json: its own values are shown so the delta can be read against them.
        lines.append(tx("Paired bootstrap on predictions.jsonl ({n} test examples, {resamples} "
                        "resamples, seed {seed}): {metric} {va} → {vb}, {delta}, {confidence}% CI "
                        "[{low}, {high}] pt, {p}: {result}",
                        n=boot["n"], resamples=boot["n_resamples"], seed=boot["seed"],
                        metric=tx.metric(boot["metric"]), va=tx.value(boot["value_a"]),
                        vb=tx.value(boot["value_b"]), delta=tx.delta(boot["delta"], colored=False),
                        confidence=round(boot["confidence"] * 100),
                        low=tx.points(boot["ci_low"])[:-3], high=tx.points(boot["ci_high"])[:-3],
                        p=_p(boot["p_value"]), result=tx(_significance_word(boot["significant"]))))
    else:
        lines.append(tx("The paired bootstrap cannot score {metric} from predictions; the verdict "
                        "uses McNemar's test.", metric=tx.metric(report["primary_metric"])))
    lines.append(tx("McNemar's test (accuracy, {method}): {p}: {result}; only {b} right: {c}, "
                    "only {a} right: {bb}", method=tx(_METHODS[mc["method"]]), p=_p(mc["p_value"]),
                    result=tx(_significance_word(mc["significant"])), a=a["version"],
                    b=b["version"], c=mc["c"], bb=mc["b"]))
    return lines


_METHODS = {"exact": "exact binomial", "chi2": "chi-square"}


def _significance_word(significant: bool) -> str:
    return "significant" if significant else "not significant"


def _warning_line(warning: dict, report: dict, tx: _Text) -> str:
    if warning["code"] == "results_disagree":
        return tx("Warning: results.json and predictions.jsonl of {version} disagree on "
                  "{metric}: {results} vs {predictions}.", version=warning["version"],
                  metric=tx.metric(warning["metric"]), results=tx.value(warning["results"]),
                  predictions=tx.value(warning["predictions"]))
    return tx("Data of {version} not compared: {detail}", version=warning["version"],
              detail=warning.get("detail", ""))


# ------------------------------------------------------------------ many versions

def render_many(report: dict, lang: str | None = None, markdown: bool = False,
                precision: int = 1) -> str:
    """One row per version, one column per metric, and whether it meets the threshold."""
    tx = _Text(lang, precision)
    threshold = report["threshold"]
    headers = [tx("Version")] + [tx.metric(m) for m in report["metrics"]]
    if threshold is not None:
        headers.append(f"≥ {percent(threshold, precision)}")
    body = []
    for row in report["versions"]:
        name = row["version"] + (" (*)" if row["active"] else "") + \
            ("" if row["released"] else f" {tx('(draft)')}")
        cells = [name] + [tx.value(row["values"][m], "fraction" if is_fraction(m) else "number")
                          for m in report["metrics"]]
        if threshold is not None:
            cells.append(_mark(row["meets_threshold"]))
        body.append(cells)
    align = ["left"] + ["right"] * (len(headers) - 1)
    title = tx("Versions:") + f" {report['task']}"
    rendered = markdown_table(headers, body, align) if markdown else table(headers, body, align)
    foot = tx("(*) active version")
    if report["best"]:
        foot += "; " + tx("best {metric}: {version}", metric=tx.metric(report["primary_metric"]),
                          version=report["best"])
    if report["sort"]:
        foot += "; " + tx("sorted by {metric}", metric=tx.metric(report["sort"]))
    return f"### {title}\n\n{rendered}\n\n{foot}" if markdown else f"{title}\n{rendered}\n{foot}"

