"""Comparing versions of a task: what changed, what it did, and whether it is real.

Core only: these functions read versions and return plain dicts (the JSON that
`gittask compare --json` prints); `gittask.report` renders them, the CLI prints.

Metric values are fractions (0.815); deltas are fractions too (0.095 = 9.5 percentage
points), rounded to 10 decimals so that float noise (0.09499999999999997) does not
reach the output.

`compare_pair` → (format 1)::

    {"kind": "compare", "format": 1, "task": str, "primary_metric": str,
     "threshold": float | null,
     "a": SIDE, "b": SIDE,
     "config":  [{"key": "lora.r", "a": 32, "b": 64, "status": STATUS, "relative": "+100%" | null}],
     "data":    [{"key": "train_count", "a": 500, "b": 700, "status": STATUS, "relative": "+40%" | null}],
     "classes": [{"label": "中立", "a": 75, "b": 175, "a_share": 0.15, "b_share": 0.25,
                  "delta": 100, "status": STATUS}],
     "metrics": [{"metric": "macro_f1" | "f1:中立" | "precision:中立" | "recall:中立" | …,
                  "a": float | null, "b": float | null, "delta": float | null,
                  "unit": "fraction" | "number", "primary": bool}],
     "test_data": "same" | "different" | "unknown",
     "significance": {"tested": bool, "reason": REASON | null, "detail": str | null,
                      "bootstrap": BOOTSTRAP | null, "mcnemar": MCNEMAR | null},
     "verdict": {"direction": "better" | "worse" | "same", "delta": float,
                 "significant": bool | null, "a_meets_threshold": bool | null,
                 "b_meets_threshold": bool | null,
                 "recommendation": "adopt" | "keep" | "retest", "recommended": str | null},
     "warnings": [{"code": "results_disagree", "version": str, "metric": str,
                   "results": float, "predictions": float}
                  | {"code": "no_snapshot", "version": str, "detail": str}]}

    SIDE = {"version", "released": bool, "tag": str | null, "commit": str | null,
            "created": "YYYY-MM-DD" | null, "parent": str | null, "predictions": bool,
            "test_sha256": str | null}
    STATUS = "changed" | "added" | "removed" | "same"   ("same" rows only with --all)
    REASON = "no_predictions" | "test_data_differ" | "predictions_do_not_pair"
    BOOTSTRAP = gittask.stats.BootstrapResult.as_dict()  (null when the primary metric
                is not one the predictions can score, e.g. micro_f1)
    MCNEMAR = gittask.stats.McNemarResult.as_dict()

`config` holds config.yaml keys (flattened with dots); `data` the split record counts
(and `<split>_data` when a split's content changed at the same count); `classes` the
train split's class distribution.

`compare_many` → (format 1)::

    {"kind": "compare-many", "format": 1, "task": str, "primary_metric": str,
     "threshold": float | null, "metrics": [METRIC NAME…], "sort": str | null,
     "best": str | null,
     "versions": [{"version": str, "released": bool, "active": bool,
                   "values": {METRIC NAME: float | null}, "meets_threshold": bool | null}]}

`trend` (what `gittask plot` draws) → {"task", "metric", "threshold", "versions":
[names], "values": [float | null], "per_class": {label: [float | null]}, "deployed":
[names]}.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from gittask import lineage, stats, versions
from gittask.errors import GittaskError
from gittask.project import Project, split_ref
from gittask.tasks import Task

FORMAT = 1
FILES = ("config.yaml", "results.json", "predictions.jsonl", "data_snapshot.json")
TEST_SPLIT = "test"
# results.json and predictions.jsonl of one version may differ by rounding; more than
# this (one percentage point) means they are not from the same evaluation.
DISAGREE_ABOVE = 0.01
# Metrics shown as percentages with deltas in points; any other number in
# results.json (a loss, a count) is shown as it is.
_FRACTION_SUFFIXES = ("f1", "accuracy", "precision", "recall", "auc", "exact_match")
_EPS = 1e-12


@dataclass
class Side:
    """One version's files, from its tag (released) or the working tree (draft)."""

    version: str
    release: versions.Release | None
    config: dict | None
    results: dict | None
    predictions: list[dict] | None
    snapshot: dict | None
    parent: str | None
    created: str | None

    def as_dict(self) -> dict:
        rel = self.release
        return {"version": self.version, "released": rel is not None,
                "tag": rel.tag if rel else None, "commit": rel.commit if rel else None,
                "created": (self.created or "")[:10] or None, "parent": self.parent,
                "predictions": self.predictions is not None,
                "test_sha256": sha_of_test_split(self.snapshot)}


# ------------------------------------------------------------------ choosing versions

def task_of_refs(refs: list[str], explicit: str | None) -> str | None:
    """The task named by TASK@VERSION arguments (or -t); all must agree."""
    named = {task for task, _ in map(split_ref, refs) if task}
    if explicit:
        named.add(explicit)
    if len(named) > 1:
        shown = ", ".join(sorted(named))
        raise GittaskError(f"cannot compare versions of different tasks ({shown})",
                           hint="compare versions of one task, e.g. 'gittask compare "
                                "TASK@v1 TASK@v2'; each task has its own metrics and data")
    return next(iter(named), None)


def pick_pair(project: Project, task: Task, refs: list[str],
              released: dict[str, versions.Release]) -> tuple[tuple[str, versions.Release | None], ...]:
    """(A, B) from the arguments: none → the active version and its parent; one →
    that version and its parent (what it changed); two → as given."""
    names = [split_ref(r)[1] for r in refs]
    if len(names) > 2:
        raise GittaskError("a pair comparison takes at most two versions",
                           hint="for more, 'gittask compare v1 v2 v3 …' prints one table")
    if not names:
        if not task.version:
            raise GittaskError(f"{task.name} has no active version to compare",
                               hint="name the versions: gittask compare A B")
        names = [task.version]
    b = _resolve(project, task, names[-1], released)
    if len(names) == 2:
        a = _resolve(project, task, names[0], released)
    else:
        parent = _parent_of(project, task, *b)
        if not parent:
            raise GittaskError(f"{task.name} {b[0]} has no parent version to compare with",
                               hint=f"name both versions: gittask compare A {b[0]}")
        a = _resolve(project, task, parent, released)
    if a[0] == b[0]:
        raise GittaskError(f"both sides are {task.name} {a[0]}",
                           hint="name two different versions: gittask compare A B")
    return a, b


def _resolve(project: Project, task: Task, name: str,
             released: dict[str, versions.Release]) -> tuple[str, versions.Release | None]:
    # The map of releases is read once by the caller; versions.resolve (another git
    # call) is only needed for drafts and for its error message.
    if name in released:
        return name, released[name]
    return versions.resolve(project, task, name)


def _parent_of(project: Project, task: Task, name: str,
               release: versions.Release | None) -> str | None:
    if release is not None:
        return release.parent
    draft = versions.read_files(project, task, name, (versions.DRAFT_FILE,))[versions.DRAFT_FILE]
    return (versions.load_yaml(draft) or {}).get("parent")


# ------------------------------------------------------------------ reading versions

def load_sides(project: Project, task: Task, chosen: list[tuple[str, versions.Release | None]],
               names: tuple[str, ...] = FILES) -> list[Side]:
    """The files of every chosen version: released ones with one git call, drafts
    from the working tree."""
    tagged = [(rel, n) for _, rel in chosen if rel is not None for n in names]
    blobs = iter(versions.read_many(project, task, tagged) if tagged else [])
    sides = []
    for name, rel in chosen:
        if rel is not None:
            files = {n: next(blobs) for n in names}
            parent, created = rel.parent, rel.date
        else:
            files = versions.read_files(project, task, name, names + (versions.DRAFT_FILE,))
            meta = versions.load_yaml(files[versions.DRAFT_FILE]) or {}
            parent, created = meta.get("parent"), str(meta.get("created") or "") or None
        sides.append(Side(name, rel, versions.load_yaml(files.get("config.yaml")),
                          versions.load_json(files.get("results.json")),
                          _predictions(task, name, files.get("predictions.jsonl")),
                          versions.load_json(files.get("data_snapshot.json")), parent, created))
    return sides


def _predictions(task: Task, version: str, blob: bytes | None) -> list[dict] | None:
    if blob is None:
        return None
    rows, display = [], versions.version_relpath(task, version, "predictions.jsonl")
    for number, line in enumerate(blob.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise GittaskError(f"{display}:{number}: invalid JSON ({exc})",
                               hint="fix the file ('gittask validate' lists every problem)") from None
        rows.append(row)
    return rows


def _draft_snapshot(project: Project, task: Task, side: Side, warnings: list[dict]) -> None:
    """A draft has no data_snapshot.json yet: it will be trained on the current data."""
    from gittask import snapshot

    if side.release is not None or side.snapshot is not None:
        return
    try:
        side.snapshot = snapshot.data_snapshot(project, task)
    except GittaskError as exc:
        # Config and metrics can still be compared without the data.
        warnings.append({"code": "no_snapshot", "version": side.version,
                         "detail": str(exc.problems[0]) if exc.problems else exc.message})


def require_results(task: Task, side: Side) -> dict:
    if side.results is not None:
        return side.results
    if side.release is not None:
        raise GittaskError(f"{task.name}@{side.version} has no results.json",
                           hint="it was released without results; compare versions that "
                                "have them ('gittask log' lists the metrics)")
    raise GittaskError(f"{task.name} {side.version} has no results.json yet",
                       hint=f"attach the evaluation with 'gittask record RESULTS.json "
                            f"--version {side.version}'")


# ------------------------------------------------------------------ the pair report

def compare_pair(project: Project, task: Task, refs: list[str], show_all: bool = False,
                 seed: int = 0, resamples: int = 2000) -> dict:
    """Config, data and metric changes from A to B, significance and a verdict."""
    released = versions.release_map(project, task)
    chosen = pick_pair(project, task, refs, released)
    a, b = load_sides(project, task, list(chosen))
    results_a, results_b = require_results(task, a), require_results(task, b)
    primary = task.primary_metric
    for side, results in ((a, results_a), (b, results_b)):
        if metric_value(results, primary) is None:
            raise GittaskError(f"{task.name} {side.version}: results.json has no '{primary}'",
                               hint="the task's primary metric (success_criteria.primary_metric) "
                                    "must be in the results of both versions")
    check_labels(task, a, b)
    warnings: list[dict] = []
    for side in (a, b):
        _draft_snapshot(project, task, side, warnings)
    test_data = same_test_data(a.snapshot, b.snapshot)
    metrics = metric_rows(results_a, results_b, primary, _labels(task, results_a, results_b), show_all)
    significance = significance_of(a, b, primary, test_data, seed, resamples)
    warnings += disagreements(a, b, significance)
    report = {
        "kind": "compare", "format": FORMAT, "task": task.name, "primary_metric": primary,
        "threshold": _number(task.threshold), "a": a.as_dict(), "b": b.as_dict(),
        "config": config_rows(a.config, b.config, show_all),
        "data": split_rows(a.snapshot, b.snapshot, show_all),
        "classes": class_rows(a.snapshot, b.snapshot, show_all),
        "metrics": metrics, "test_data": test_data, "significance": significance,
    }
    report["verdict"] = verdict(report)
    report["warnings"] = warnings
    return report


def _number(value) -> float | None:
    return lineage.as_number(value)


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 10)


def _status(before, after) -> str:
    if before is lineage.MISSING:
        return "added"
    if after is lineage.MISSING:
        return "removed"
    return "same" if before == after else "changed"


def _value(value):
    return None if value is lineage.MISSING else value


def config_rows(old: dict | None, new: dict | None, show_all: bool = False) -> list[dict]:
    """config.yaml keys, A → B: relative change for numbers (YAML's `1e-5` text too)."""
    return lineage.diff_values(old, new, show_all=show_all)


def _splits(snapshot: dict | None) -> dict:
    return (snapshot or {}).get("splits") or {}


def split_rows(old: dict | None, new: dict | None, show_all: bool = False) -> list[dict]:
    """Record counts per split (the seed's `train_count`), and a split whose content
    changed at the same count. Nothing when a side has no snapshot."""
    if not old or not new:
        return []
    a, b = _splits(old), _splits(new)
    rows = []
    for split in list(a) + [s for s in b if s not in a]:
        before = (a.get(split) or {}).get("records", lineage.MISSING)
        after = (b.get(split) or {}).get("records", lineage.MISSING)
        status = _status(before, after)
        if status != "same" or show_all:
            rows.append({"key": f"{split}_count", "a": _value(before), "b": _value(after),
                         "status": status,
                         "relative": lineage.relative_change(before, after) if status == "changed" else None})
        sha_a, sha_b = (a.get(split) or {}).get("sha256"), (b.get(split) or {}).get("sha256")
        if status == "same" and sha_a and sha_b and sha_a != sha_b:
            rows.append({"key": f"{split}_data", "a": sha_a[:12], "b": sha_b[:12],
                         "status": "changed", "relative": None})
    return rows


def class_rows(old: dict | None, new: dict | None, show_all: bool = False) -> list[dict]:
    """The train split's class distribution, A → B, with each class's share."""
    if not old or not new:
        return []
    a = (_splits(old).get("train") or {}).get("class_distribution") or {}
    b = (_splits(new).get("train") or {}).get("class_distribution") or {}
    total_a, total_b = sum(a.values()), sum(b.values())
    rows = []
    for label in list(a) + [l for l in b if l not in a]:
        before, after = a.get(label, lineage.MISSING), b.get(label, lineage.MISSING)
        status = _status(before, after)
        if status == "same" and not show_all:
            continue
        na, nb = _value(before) or 0, _value(after) or 0
        rows.append({"label": label, "a": _value(before), "b": _value(after),
                     "a_share": round(na / total_a, 4) if total_a else None,
                     "b_share": round(nb / total_b, 4) if total_b else None,
                     "delta": nb - na, "status": status})
    return rows


def sha_of_test_split(snapshot: dict | None) -> str | None:
    return (_splits(snapshot).get(TEST_SPLIT) or {}).get("sha256")


def same_test_data(old: dict | None, new: dict | None) -> str:
    a, b = sha_of_test_split(old), sha_of_test_split(new)
    if not a or not b:
        return "unknown"
    return "same" if a == b else "different"


def _labels(task: Task, *results: dict) -> list[str]:
    """Class labels in the task's order (its output enum), then as the results list them."""
    from gittask.release import task_labels

    seen = [l for l in (task_labels(task) or [])]
    for res in results:
        seen += [l for l in (res.get("per_class") or {}) if l not in seen]
    present = set().union(*[(r.get("per_class") or {}).keys() for r in results])
    return [l for l in seen if l in present]


def check_labels(task: Task, a: Side, b: Side) -> None:
    """Per-class scores only compare on the same classes."""
    la = set((a.results or {}).get("per_class") or {})
    lb = set((b.results or {}).get("per_class") or {})
    if not la or not lb or la == lb:
        return
    parts = [f"only in {side.version}: {', '.join(sorted(only))}"
             for side, only in ((a, la - lb), (b, lb - la)) if only]
    raise GittaskError(f"{task.name} {a.version} and {b.version} have different label sets "
                       f"in results.json per_class ({'; '.join(parts)})",
                       hint="per-class scores compare only on the same classes: fix per_class "
                            "in the draft's results.json and 'gittask record' it again, or "
                            "compare versions with the same labels")


def is_fraction(metric: str) -> bool:
    return metric.split(":")[0].endswith(_FRACTION_SUFFIXES)


def _metric_row(metric: str, a, b, primary: str) -> dict:
    return {"metric": metric, "a": a, "b": b, "delta": _delta(a, b),
            "unit": "fraction" if is_fraction(metric) else "number", "primary": metric == primary}


def metric_value(results: dict, metric: str) -> float | None:
    """A value of results.json by metric name: top level, or `f1:<label>`,
    `precision:<label>`, `recall:<label>` from per_class."""
    if ":" in metric:
        kind, label = metric.split(":", 1)
        entry = (results.get("per_class") or {}).get(label)
        return _number(entry.get(kind)) if isinstance(entry, dict) else None
    return _number(results.get(metric))


def top_level_metrics(*results: dict) -> list[str]:
    names: list[str] = []
    for res in results:
        names += [k for k, v in res.items() if k not in names and k != "per_class"
                  and _number(v) is not None and not isinstance(v, str)]
    return names


def metric_rows(res_a: dict, res_b: dict, primary: str, labels: list[str],
                show_all: bool = False) -> list[dict]:
    """The primary metric, the other top-level metrics, per-class F1 (and precision
    and recall with --all)."""
    names = [primary] + [m for m in top_level_metrics(res_b, res_a) if m != primary]
    kinds = ("f1", "precision", "recall") if show_all else ("f1",)
    names += [f"{kind}:{label}" for label in labels for kind in kinds
              if f"{kind}:{label}" != primary]
    rows = [_metric_row(m, metric_value(res_a, m), metric_value(res_b, m), primary) for m in names]
    return [r for r in rows if r["a"] is not None or r["b"] is not None]


# ------------------------------------------------------------------ significance

def significance_of(a: Side, b: Side, metric: str, test_data: str, seed: int,
                    resamples: int) -> dict:
    """Paired bootstrap of the primary metric's delta and McNemar's test, when both
    versions have predictions on the same test data."""
    result = {"tested": False, "reason": None, "detail": None, "bootstrap": None, "mcnemar": None}
    missing = [s.version for s in (a, b) if s.predictions is None]
    if test_data == "different":
        result["reason"] = "test_data_differ"
        return result
    if missing:
        result.update(reason="no_predictions", detail=", ".join(missing))
        return result
    try:
        stats.align_predictions(a.predictions, b.predictions, names=(a.version, b.version))
    except GittaskError as exc:
        result.update(reason="predictions_do_not_pair", detail=exc.message)
        return result
    result["tested"] = True
    result["mcnemar"] = stats.mcnemar(a.predictions, b.predictions).as_dict()
    if _scorable(metric):
        result["bootstrap"] = stats.paired_bootstrap(
            a.predictions, b.predictions, metric=metric, n_resamples=resamples, seed=seed).as_dict()
    return result


def _scorable(metric: str) -> bool:
    """Metrics that stats can compute from predictions."""
    return metric in ("accuracy", "macro_f1", "weighted_f1") or metric.startswith("f1:")


def disagreements(a: Side, b: Side, significance: dict) -> list[dict]:
    """results.json and predictions.jsonl of a version that tell different stories."""
    boot = significance.get("bootstrap")
    if not boot:
        return []
    found = []
    for side, from_predictions in ((a, boot["value_a"]), (b, boot["value_b"])):
        stated = metric_value(side.results or {}, boot["metric"])
        if stated is not None and abs(stated - from_predictions) > DISAGREE_ABOVE:
            found.append({"code": "results_disagree", "version": side.version,
                          "metric": boot["metric"], "results": stated,
                          "predictions": round(from_predictions, 10)})
    return found


# ------------------------------------------------------------------ verdict

def verdict(report: dict) -> dict:
    """Does B meet the threshold, does it beat A, and which one to use.

    Rules: different test data → "retest" (the numbers cannot be compared); B higher
    and (significant, or significance not testable) → "adopt" B; otherwise (lower,
    equal, or higher within the noise) → "keep" A.
    """
    row = next(r for r in report["metrics"] if r["primary"])
    delta = row["delta"] or 0.0
    direction = "better" if delta > _EPS else "worse" if delta < -_EPS else "same"
    sig = report["significance"]
    significant = None
    if sig["bootstrap"]:
        significant = sig["bootstrap"]["significant"]
    elif sig["mcnemar"]:  # the primary metric cannot be scored from predictions
        significant = sig["mcnemar"]["significant"]
    threshold = report["threshold"]
    meets = (lambda v: None if threshold is None or v is None else v >= threshold - _EPS)
    if report["test_data"] == "different":
        recommendation = "retest"
    elif direction == "better" and significant is not False:
        recommendation = "adopt"
    else:
        recommendation = "keep"
    recommended = {"adopt": report["b"]["version"], "keep": report["a"]["version"]}.get(recommendation)
    return {"direction": direction, "delta": row["delta"], "significant": significant,
            "a_meets_threshold": meets(row["a"]), "b_meets_threshold": meets(row["b"]),
            "recommendation": recommendation, "recommended": recommended}


# ------------------------------------------------------------------ many versions

def compare_many(project: Project, task: Task, refs: list[str], metrics: list[str] | None = None,
                 sort: str | None = None, show_all: bool = False) -> dict:
    """One table of metrics across versions (all released and drafted ones when
    `refs` is empty), read with one git call."""
    sides = load_sides(project, task, _choose_many(project, task, refs), ("results.json",))
    if refs:  # a version named on purpose must have results; --all-versions shows "-"
        for side in sides:
            require_results(task, side)
    results = [s.results or {} for s in sides]
    names = list(metrics or default_metrics(task, results, show_all))
    if sort and sort not in names:
        names.append(sort)
    _check_metric_names(names, results)
    rows = [_many_row(task, side, res, names) for side, res in zip(sides, results)]
    if sort:
        # Best first; versions without the metric last; ties keep the version order.
        rows.sort(key=lambda r: (r["values"][sort] is None, -(r["values"][sort] or 0)))
    return {"kind": "compare-many", "format": FORMAT, "task": task.name,
            "primary_metric": task.primary_metric, "threshold": _number(task.threshold),
            "metrics": names, "sort": sort, "best": _best(task, sides, results),
            "versions": rows}


def _best(task: Task, sides: list[Side], results: list[dict]) -> str | None:
    """The version with the highest primary metric (the older one on a tie)."""
    scored = [(metric_value(res, task.primary_metric), side.version) for side, res in zip(sides, results)]
    scored = [(value, name) for value, name in scored if value is not None]
    return max(scored, key=lambda vn: vn[0])[1] if scored else None


def _choose_many(project: Project, task: Task, refs: list[str]) -> list[tuple[str, versions.Release | None]]:
    released = versions.release_map(project, task)
    if refs:
        chosen = [_resolve(project, task, split_ref(r)[1], released) for r in refs]
        _no_repeats([name for name, _ in chosen])
        return chosen
    chosen = list(released.items()) + [(d, None) for d in versions.drafts(task, set(released))]
    if not chosen:
        raise GittaskError(f"{task.name} has no versions yet", hint="start one with 'gittask draft'")
    return chosen


def _many_row(task: Task, side: Side, results: dict, names: list[str]) -> dict:
    primary = metric_value(results, task.primary_metric)
    threshold = _number(task.threshold)
    return {"version": side.version, "released": side.release is not None,
            "active": side.version == task.version,
            "values": {m: metric_value(results, m) for m in names},
            "meets_threshold": None if threshold is None or primary is None
            else primary >= threshold - _EPS}


def _no_repeats(names: list[str]) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise GittaskError(f"version(s) named twice: {', '.join(repeated)}")


def default_metrics(task: Task, results: list[dict], show_all: bool) -> list[str]:
    """The primary metric, the other top-level ones, and per-class F1 with --all."""
    names = [task.primary_metric] + [m for m in top_level_metrics(*results) if m != task.primary_metric]
    if show_all:
        names += [f"f1:{label}" for label in _labels(task, *results)]
    return names


def _check_metric_names(names: list[str], results: list[dict]) -> None:
    known = set(top_level_metrics(*results))
    for res in results:
        for label, entry in (res.get("per_class") or {}).items():
            known |= {f"{k}:{label}" for k in (entry or {}) if _number(entry[k]) is not None}
    unknown = [m for m in names if m not in known]
    if unknown:
        raise GittaskError(f"no version has the metric {', '.join(repr(m) for m in unknown)}",
                           hint="metrics here: " + ", ".join(sorted(known)) if known else
                           "none of these versions has results.json")


# ------------------------------------------------------------------ trend (plot data)

def trend(project: Project, task: Task, metric: str | None = None) -> dict:
    """A metric and per-class F1 across every version with results, oldest first,
    with the threshold (for the primary metric) and the deployed versions."""
    from gittask.deployments import deployed_versions

    released = versions.release_map(project, task)
    chosen = [(v, r) for v, r in released.items()]
    chosen += [(d, None) for d in versions.drafts(task, set(released))]
    sides = [s for s in load_sides(project, task, chosen, ("results.json",)) if s.results]
    if not sides:
        raise GittaskError(f"{task.name} has no version with results to plot",
                           hint="record results with 'gittask record RESULTS.json' and release")
    metric = metric or task.primary_metric
    results = [s.results for s in sides]
    _check_metric_names([metric], results)
    labels = _labels(task, *results)
    return {"task": task.name, "metric": metric,
            "threshold": _number(task.threshold) if metric == task.primary_metric else None,
            "versions": [s.version for s in sides],
            "values": [metric_value(r, metric) for r in results],
            "per_class": {l: [metric_value(r, f"f1:{l}") for r in results] for l in labels},
            "deployed": sorted(deployed_versions(project, task.name) & {s.version for s in sides})}
