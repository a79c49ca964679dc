"""Classification metrics and paired significance tests, in pure Python.

Standard library only (no numpy/scipy): `gittask compare` imports this on every run
and those imports alone would cost more than the tests themselves on a few thousand
examples. Functions return dataclasses; nothing here prints.

Rows are dicts `{"id", "gold", "pred"}`, one per test example.

Metric conventions (chosen to match scikit-learn's defaults):
- precision, recall and F1 of a class are 0.0 when their denominator is 0
  (scikit-learn's `zero_division="warn"` result, without the warning);
- a label with no gold examples and no predictions is left out of the macro average.
  With `labels=None` scikit-learn never sees such a label (its label set is the union
  of gold and predicted labels), so this gives the same numbers; it also keeps
  the macro-F1 of a bootstrap resample that happens to miss a rare class, and of
  version A when only version B predicts some label, comparable to the full data.
  (scikit-learn with an explicit `labels=` list would count such a label as 0.0.)
- a label that is predicted but never gold (e.g. a malformed LLM answer) does count,
  with F1 0.0, as in scikit-learn.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Sequence

from gittask.errors import GittaskError

ALPHA = 0.05
METRIC_NAMES = ("accuracy", "macro_f1", "weighted_f1", "f1:<label>")
# Below this many discordant pairs the chi-square approximation is poor; use the
# exact binomial test instead (the usual rule of thumb).
_EXACT_BELOW = 25

_SAME_DATA_HINT = ("`compare` needs per-example predictions of both versions on the "
                   "same test data; re-run the evaluation of both on one test set")


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int  # number of gold examples of the class


@dataclass(frozen=True)
class Metrics:
    accuracy: float
    macro_f1: float
    weighted_f1: float
    per_class: dict[str, ClassScores]
    n: int

    def value(self, metric: str) -> float:
        """The metric named as in `paired_bootstrap` (accuracy, macro_f1, f1:<label>…)."""
        label = _class_label(metric)
        if label is not None:
            if label not in self.per_class:
                raise _unknown_label(label, self.per_class)
            return self.per_class[label].f1
        _check_metric_name(metric)
        return getattr(self, metric)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PairedRow:
    id: object
    gold: str
    pred_a: str
    pred_b: str


@dataclass(frozen=True)
class BootstrapResult:
    metric: str
    value_a: float
    value_b: float
    delta: float  # value_b - value_a on the full data
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float
    significant: bool  # the confidence interval excludes 0
    n: int
    n_resamples: int
    seed: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class McNemarResult:
    b: int  # A right, B wrong
    c: int  # A wrong, B right
    statistic: float  # min(b, c) for "exact", the chi-square value for "chi2"
    p_value: float
    method: str  # "exact" or "chi2"
    significant: bool  # p_value < 0.05
    n: int

    def as_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------- metrics

def metrics_from_predictions(rows: Iterable[dict],
                             labels: Sequence[str] | None = None) -> Metrics:
    """Accuracy, macro/weighted F1 and per-class scores of one set of predictions.

    `labels` defaults to the sorted union of gold and predicted labels. Rows whose
    gold or pred is outside an explicit `labels` still count for accuracy.
    """
    rows = _check_rows(rows, "predictions")
    if not rows:
        raise GittaskError("no predictions to score")
    if labels is None:
        labels = sorted({r["gold"] for r in rows} | {r["pred"] for r in rows}, key=str)
    index = {label: i for i, label in enumerate(labels)}
    counts = _Counts(len(labels))
    for r in rows:
        counts.add(index.get(r["gold"], -1), index.get(r["pred"], -1))
    correct = sum(1 for r in rows if r["gold"] == r["pred"])
    per_class = {label: _class_scores(counts, i) for i, label in enumerate(labels)}
    return Metrics(accuracy=correct / len(rows), macro_f1=_macro_f1(counts),
                   weighted_f1=_weighted_f1(counts), per_class=per_class, n=len(rows))


class _Counts:
    """Confusion counts per class: true positives, predicted, gold."""

    __slots__ = ("tp", "pred", "gold", "n")

    def __init__(self, n_labels: int):
        self.tp = [0] * n_labels
        self.pred = [0] * n_labels
        self.gold = [0] * n_labels
        self.n = 0

    def add(self, gold: int, pred: int, times: int = 1) -> None:
        # -1 marks a label outside the label set: no class gets the credit or blame.
        self.n += times
        if gold >= 0:
            self.gold[gold] += times
        if pred >= 0:
            self.pred[pred] += times
            if pred == gold:
                self.tp[gold] += times


def _class_scores(counts: _Counts, i: int) -> ClassScores:
    tp, pred, gold = counts.tp[i], counts.pred[i], counts.gold[i]
    return ClassScores(precision=tp / pred if pred else 0.0,
                       recall=tp / gold if gold else 0.0,
                       f1=_f1(counts, i), support=gold)


def _f1(counts: _Counts, i: int) -> float:
    # 2PR/(P+R) simplifies to 2tp/(pred+gold), which is also 0 when tp is 0.
    denominator = counts.pred[i] + counts.gold[i]
    return 2 * counts.tp[i] / denominator if denominator else 0.0


def _macro_f1(counts: _Counts) -> float:
    seen = [i for i in range(len(counts.tp)) if counts.pred[i] or counts.gold[i]]
    return sum(_f1(counts, i) for i in seen) / len(seen) if seen else 0.0


def _weighted_f1(counts: _Counts) -> float:
    total = sum(counts.gold)
    if not total:
        return 0.0
    return sum(_f1(counts, i) * g for i, g in enumerate(counts.gold)) / total


def _accuracy(counts: _Counts) -> float:
    return sum(counts.tp) / counts.n if counts.n else 0.0


def _metric_function(metric: str, labels: list[str]) -> Callable[[_Counts], float]:
    label = _class_label(metric)
    if label is not None:
        if label not in labels:
            raise _unknown_label(label, labels)
        i = labels.index(label)
        return lambda counts: _f1(counts, i)
    _check_metric_name(metric)
    return {"accuracy": _accuracy, "macro_f1": _macro_f1,
            "weighted_f1": _weighted_f1}[metric]


def _class_label(metric: str) -> str | None:
    return metric[len("f1:"):] if metric.startswith("f1:") else None


def _check_metric_name(metric: str) -> None:
    if metric not in ("accuracy", "macro_f1", "weighted_f1"):
        raise GittaskError(f"unknown metric {metric!r}",
                           hint="use one of: " + ", ".join(METRIC_NAMES))


def _unknown_label(label: str, labels: Iterable[str]) -> GittaskError:
    return GittaskError(f"no class {label!r} in the predictions",
                        hint="classes: " + ", ".join(map(str, labels)))


# ----------------------------------------------------------------------------- pairing

def _check_rows(rows: Iterable[dict], which: str) -> list[dict]:
    rows = list(rows)
    for number, row in enumerate(rows, 1):
        missing = [key for key in ("id", "gold", "pred") if key not in row]
        if missing:
            raise GittaskError(f"{which}: row {number} has no {', '.join(missing)}",
                               hint='each prediction row needs "id", "gold" and "pred"')
    return rows


def _by_id(rows: list[dict], name: str) -> dict:
    by_id: dict = {}
    for row in rows:
        if row["id"] in by_id:
            raise GittaskError(f"{name}: id {row['id']!r} appears more than once",
                               hint="each test example needs a unique id")
        by_id[row["id"]] = row
    return by_id


def align_predictions(rows_a: Iterable[dict], rows_b: Iterable[dict],
                      names: tuple[str, str] = ("A", "B")) -> list[PairedRow]:
    """Pair the rows of two versions by id, in A's order.

    Raises GittaskError when the id sets or the gold labels differ: then the two
    versions were not evaluated on the same test data and a paired test is invalid.
    `names` are the version names used in those messages.
    """
    name_a, name_b = names
    a = _by_id(_check_rows(rows_a, name_a), name_a)
    b = _by_id(_check_rows(rows_b, name_b), name_b)
    only_a = [i for i in a if i not in b]
    only_b = [i for i in b if i not in a]
    if only_a or only_b:
        parts = [f"{len(ids)} id(s) only in {name} (e.g. {ids[0]!r})"
                 for ids, name in ((only_a, name_a), (only_b, name_b)) if ids]
        raise GittaskError("the test data differs: " + ", ".join(parts),
                           hint=_SAME_DATA_HINT)
    differ = [i for i in a if a[i]["gold"] != b[i]["gold"]]
    if differ:
        first = differ[0]
        raise GittaskError(
            f"the test data differs: gold labels differ for {len(differ)} id(s) "
            f"(e.g. id {first!r}: {name_a} has {a[first]['gold']!r}, "
            f"{name_b} has {b[first]['gold']!r})", hint=_SAME_DATA_HINT)
    if not a:
        raise GittaskError("no predictions to compare")
    return [PairedRow(i, row["gold"], row["pred"], b[i]["pred"]) for i, row in a.items()]


# ---------------------------------------------------------------------------- bootstrap

def paired_bootstrap(rows_a: Iterable[dict], rows_b: Iterable[dict],
                     metric: str = "macro_f1", n_resamples: int = 2000, seed: int = 0,
                     confidence: float = 0.95) -> BootstrapResult:
    """Paired bootstrap of metric(B) - metric(A) over the test examples.

    Each resample draws example indices with replacement and scores A and B on the
    same draw, so the variation between examples cancels out of the difference.
    """
    if n_resamples < 1:
        raise GittaskError("n_resamples must be at least 1")
    if not 0 < confidence < 1:
        raise GittaskError(f"confidence must be between 0 and 1, got {confidence}")
    pairs = align_predictions(rows_a, rows_b)
    labels = sorted({p.gold for p in pairs} | {p.pred_a for p in pairs}
                    | {p.pred_b for p in pairs}, key=str)
    score = _metric_function(metric, labels)
    index = {label: i for i, label in enumerate(labels)}
    # Only the (gold, pred_a, pred_b) combination of an example matters to the
    # metrics, and there are few of them (at most 27 for 3 labels). Resampling these
    # type codes and counting them with Counter (a C loop) is much faster than
    # walking every drawn example in Python.
    kinds: dict[tuple[int, int, int], int] = {}
    codes = [kinds.setdefault((index[p.gold], index[p.pred_a], index[p.pred_b]), len(kinds))
             for p in pairs]
    kind_list = list(kinds)
    value_a, value_b = _score_pair(Counter(codes), kind_list, len(labels), score)
    rng = random.Random(seed)
    deltas = []
    for _ in range(n_resamples):
        drawn = Counter(rng.choices(codes, k=len(codes)))
        resample_a, resample_b = _score_pair(drawn, kind_list, len(labels), score)
        deltas.append(resample_b - resample_a)
    deltas.sort()
    delta = value_b - value_a
    ci_low = _quantile(deltas, (1 - confidence) / 2)
    ci_high = _quantile(deltas, 1 - (1 - confidence) / 2)
    return BootstrapResult(
        metric=metric, value_a=value_a, value_b=value_b, delta=delta,
        ci_low=ci_low, ci_high=ci_high, confidence=confidence,
        p_value=_bootstrap_p(deltas, delta), significant=ci_low > 0 or ci_high < 0,
        n=len(pairs), n_resamples=n_resamples, seed=seed)


def _score_pair(kind_counts: Counter, kind_list: list[tuple[int, int, int]],
                n_labels: int, score: Callable[[_Counts], float]) -> tuple[float, float]:
    a, b = _Counts(n_labels), _Counts(n_labels)
    for kind, times in kind_counts.items():
        gold, pred_a, pred_b = kind_list[kind]
        a.add(gold, pred_a, times)
        b.add(gold, pred_b, times)
    return score(a), score(b)


def _quantile(sorted_values: list[float], q: float) -> float:
    """Percentile with linear interpolation (numpy's default method)."""
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def _bootstrap_p(deltas: list[float], delta: float) -> float:
    """Two-sided p: twice the share of resamples on the other side of 0 (or at it).

    The +1 in numerator and denominator counts the observed data as one resample, so
    p is never exactly 0 from a finite number of resamples.
    """
    if delta >= 0:
        crossing = sum(1 for d in deltas if d <= 0)
    else:
        crossing = sum(1 for d in deltas if d >= 0)
    return min(1.0, 2 * (crossing + 1) / (len(deltas) + 1))


# ----------------------------------------------------------------------------- McNemar

def mcnemar(rows_a: Iterable[dict], rows_b: Iterable[dict]) -> McNemarResult:
    """McNemar's test on the examples where exactly one of A and B is right."""
    pairs = align_predictions(rows_a, rows_b)
    b = sum(1 for p in pairs if p.pred_a == p.gold and p.pred_b != p.gold)
    c = sum(1 for p in pairs if p.pred_a != p.gold and p.pred_b == p.gold)
    if b + c < _EXACT_BELOW:
        statistic, p_value, method = float(min(b, c)), _exact_binomial_p(b, c), "exact"
    else:
        statistic = (abs(b - c) - 1) ** 2 / (b + c)
        p_value, method = _chi2_sf_1dof(statistic), "chi2"
    return McNemarResult(b=b, c=c, statistic=statistic, p_value=p_value, method=method,
                         significant=p_value < ALPHA, n=len(pairs))


def _exact_binomial_p(b: int, c: int) -> float:
    """Two-sided exact p of min(b, c) or fewer successes in b+c fair coin flips."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2 ** n)


def _chi2_sf_1dof(x: float) -> float:
    # With 1 degree of freedom chi-square is a squared standard normal, so
    # P(X > x) = P(|Z| > sqrt(x)) = erfc(sqrt(x / 2)).
    return math.erfc(math.sqrt(x / 2))
