"""gittask.stats on constructed predictions whose answers are known or hand-computed."""
from __future__ import annotations

import math

import pytest

from gittask.errors import GittaskError
from gittask.stats import (align_predictions, mcnemar, metrics_from_predictions,
                           paired_bootstrap)

LABELS = ["正面", "負面", "中立"]


def wrong(label: str) -> str:
    return LABELS[(LABELS.index(label) + 1) % len(LABELS)]


def make_pair(n: int, a_wrong: set[int], b_wrong: set[int]):
    """Predictions of A and B on n examples; each is wrong exactly on its given ids."""
    gold = [LABELS[i % 3] for i in range(n)]
    rows_a = [{"id": f"ex{i}", "gold": g, "pred": wrong(g) if i in a_wrong else g}
              for i, g in enumerate(gold)]
    rows_b = [{"id": f"ex{i}", "gold": g, "pred": wrong(g) if i in b_wrong else g}
              for i, g in enumerate(gold)]
    return rows_a, rows_b


@pytest.fixture
def clear_improvement():
    # A is wrong on 100 of 400; B fixes 80 of those and breaks 5 that A had right.
    a_wrong = set(range(100))
    b_wrong = set(range(80, 100)) | set(range(100, 105))
    return make_pair(400, a_wrong, b_wrong)


@pytest.fixture
def no_real_difference():
    # B fixes 3 of A's errors and breaks 3 others: the same accuracy, by chance.
    a_wrong = set(range(60))
    b_wrong = set(range(3, 60)) | {100, 101, 102}
    return make_pair(400, a_wrong, b_wrong)


# ------------------------------------------------------------------------- metrics

def rows(*pairs):
    return [{"id": i, "gold": g, "pred": p} for i, (g, p) in enumerate(pairs)]


def test_metrics_hand_computed():
    data = rows(("正面", "正面"), ("正面", "負面"), ("負面", "負面"), ("中立", "正面"),
                ("中立", "中立"), ("負面", "負面"), ("正面", "正面"))
    m = metrics_from_predictions(data)
    # 正面: tp 2, predicted 3, gold 3 -> P 2/3, R 2/3, F1 2/3
    # 負面: tp 2, predicted 3, gold 2 -> P 2/3, R 1,   F1 4/5
    # 中立: tp 1, predicted 1, gold 2 -> P 1,   R 1/2, F1 2/3
    assert m.n == 7
    assert m.accuracy == pytest.approx(5 / 7)
    assert m.macro_f1 == pytest.approx((2 / 3 + 4 / 5 + 2 / 3) / 3)  # 32/45
    assert m.weighted_f1 == pytest.approx((3 * 2 / 3 + 2 * 4 / 5 + 2 * 2 / 3) / 7)  # 74/105
    assert list(m.per_class) == ["中立", "正面", "負面"]  # sorted union by default
    neg = m.per_class["負面"]
    assert (neg.precision, neg.recall, neg.f1, neg.support) == pytest.approx((2 / 3, 1, 0.8, 2))
    neutral = m.per_class["中立"]
    assert (neutral.precision, neutral.recall, neutral.support) == (1.0, 0.5, 2)
    assert m.value("f1:中立") == pytest.approx(2 / 3)
    assert m.value("macro_f1") == m.macro_f1


def test_label_without_support_or_predictions_is_left_out_of_macro():
    data = rows(("正面", "正面"), ("負面", "負面"), ("負面", "正面"))
    plain = metrics_from_predictions(data)
    padded = metrics_from_predictions(data, labels=["正面", "負面", "中立"])
    assert padded.per_class["中立"].support == 0
    assert padded.per_class["中立"].f1 == 0.0
    assert padded.macro_f1 == pytest.approx(plain.macro_f1)
    assert padded.macro_f1 == pytest.approx((2 / 3 + 2 / 3) / 2)


def test_predicted_but_never_gold_label_counts_as_zero():
    # An LLM answering outside the label set: that "class" has F1 0 and counts in the
    # macro average, as in scikit-learn.
    m = metrics_from_predictions(rows(("正面", "正面"), ("負面", "未知"), ("負面", "負面")))
    assert m.per_class["未知"].f1 == 0.0
    assert m.per_class["未知"].support == 0
    assert m.macro_f1 == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert m.weighted_f1 == pytest.approx((1 * 1 + 2 * 2 / 3) / 3)
    assert m.accuracy == pytest.approx(2 / 3)


def test_metrics_errors():
    with pytest.raises(GittaskError, match="no predictions"):
        metrics_from_predictions([])
    with pytest.raises(GittaskError, match="row 2 has no pred"):
        metrics_from_predictions([{"id": 1, "gold": "正面", "pred": "正面"},
                                  {"id": 2, "gold": "正面"}])
    m = metrics_from_predictions(rows(("正面", "正面")))
    with pytest.raises(GittaskError, match="unknown metric 'f2'"):
        m.value("f2")
    with pytest.raises(GittaskError, match="no class '中立'"):
        m.value("f1:中立")


# ------------------------------------------------------------------------- alignment

def test_align_pairs_by_id_in_a_order():
    a = [{"id": 2, "gold": "正面", "pred": "負面"}, {"id": 1, "gold": "中立", "pred": "中立"}]
    b = [{"id": 1, "gold": "中立", "pred": "正面"}, {"id": 2, "gold": "正面", "pred": "正面"}]
    pairs = align_predictions(a, b)
    assert [(p.id, p.gold, p.pred_a, p.pred_b) for p in pairs] == [
        (2, "正面", "負面", "正面"), (1, "中立", "中立", "正面")]


def test_align_rejects_different_ids():
    a = rows(("正面", "正面"), ("負面", "負面"), ("中立", "中立"))
    b = rows(("正面", "正面"), ("負面", "負面"))
    b.append({"id": "x9", "gold": "中立", "pred": "中立"})
    with pytest.raises(GittaskError) as info:
        align_predictions(a, b, names=("v1", "v2"))
    assert info.value.message == ("the test data differs: 1 id(s) only in v1 (e.g. 2), "
                                  "1 id(s) only in v2 (e.g. 'x9')")
    assert "same test data" in info.value.hint


def test_align_rejects_different_gold():
    a = rows(("正面", "正面"), ("負面", "負面"), ("中立", "中立"))
    b = rows(("正面", "正面"), ("中立", "負面"), ("正面", "中立"))
    with pytest.raises(GittaskError) as info:
        align_predictions(a, b)
    assert info.value.message == ("the test data differs: gold labels differ for 2 id(s) "
                                  "(e.g. id 1: A has '負面', B has '中立')")
    assert "same test data" in info.value.hint


def test_align_rejects_duplicate_ids_and_empty_data():
    dup = [{"id": "a", "gold": "正面", "pred": "正面"}] * 2
    with pytest.raises(GittaskError, match="A: id 'a' appears more than once"):
        align_predictions(dup, dup)
    with pytest.raises(GittaskError, match="no predictions to compare"):
        align_predictions([], [])


# ------------------------------------------------------------------------- McNemar

def test_mcnemar_clear_improvement(clear_improvement):
    result = mcnemar(*clear_improvement)
    assert (result.b, result.c, result.n) == (5, 80, 400)
    assert result.method == "chi2"
    assert result.statistic == pytest.approx(74 ** 2 / 85)
    assert result.p_value < 0.001
    assert result.significant


def test_mcnemar_no_real_difference(no_real_difference):
    result = mcnemar(*no_real_difference)
    assert (result.b, result.c) == (3, 3)
    assert result.method == "exact"
    assert result.p_value > 0.5
    assert not result.significant


def test_mcnemar_exact_hand_checked():
    # b=0, c=5: two-sided P = 2 * (1/2)^5 = 0.0625 (not significant at 0.05).
    a, b = make_pair(20, a_wrong=set(range(5)), b_wrong=set())
    result = mcnemar(a, b)
    assert (result.b, result.c, result.method) == (0, 5, "exact")
    assert result.p_value == 0.0625
    assert not result.significant
    # b=1, c=9: 2 * (C(10,0) + C(10,1)) / 2^10 = 22/1024
    a, b = make_pair(20, a_wrong=set(range(9)), b_wrong={15})
    assert mcnemar(a, b).p_value == pytest.approx(22 / 1024)


def test_mcnemar_switches_to_chi2_at_25_discordant_pairs():
    a, b = make_pair(60, a_wrong=set(range(24)), b_wrong=set())
    assert mcnemar(a, b).method == "exact"
    a, b = make_pair(60, a_wrong=set(range(20)), b_wrong={50, 51, 52, 53, 54})
    result = mcnemar(a, b)
    assert (result.b, result.c, result.method) == (5, 20, "chi2")
    assert result.statistic == pytest.approx(14 ** 2 / 25)  # (|5-20| - 1)^2 / 25
    # chi-square(1 dof) survival = P(|Z| > sqrt(7.84) = 2.8) = 0.00511 (normal table)
    assert result.p_value == pytest.approx(math.erfc(2.8 / math.sqrt(2)))
    assert result.p_value == pytest.approx(0.00511, abs=1e-5)


def test_mcnemar_identical_predictions():
    a, _ = make_pair(10, a_wrong={1, 2}, b_wrong=set())
    result = mcnemar(a, a)
    assert (result.b, result.c, result.p_value, result.significant) == (0, 0, 1.0, False)


# ------------------------------------------------------------------------- bootstrap

def test_bootstrap_clear_improvement(clear_improvement):
    result = paired_bootstrap(*clear_improvement, metric="macro_f1", n_resamples=1000)
    assert result.delta == pytest.approx(result.value_b - result.value_a)
    assert result.delta > 0.15
    assert 0 < result.ci_low < result.delta < result.ci_high
    assert result.significant
    assert result.p_value == pytest.approx(2 / 1001)  # no resample crossed 0
    assert (result.n, result.n_resamples, result.seed) == (400, 1000, 0)


def test_bootstrap_no_real_difference(no_real_difference):
    for metric in ("macro_f1", "accuracy", "weighted_f1", "f1:負面"):
        result = paired_bootstrap(*no_real_difference, metric=metric, n_resamples=1000)
        assert result.ci_low < 0 < result.ci_high, metric
        assert not result.significant
        assert result.p_value > 0.5


def test_bootstrap_accuracy_delta_on_full_data(clear_improvement):
    result = paired_bootstrap(*clear_improvement, metric="accuracy", n_resamples=200)
    assert result.value_a == pytest.approx(300 / 400)
    assert result.value_b == pytest.approx(375 / 400)
    assert result.delta == pytest.approx(75 / 400)


def test_bootstrap_is_reproducible_per_seed(no_real_difference):
    first = paired_bootstrap(*no_real_difference, n_resamples=500, seed=7)
    again = paired_bootstrap(*no_real_difference, n_resamples=500, seed=7)
    other = paired_bootstrap(*no_real_difference, n_resamples=500, seed=8)
    assert first == again
    assert other.delta == first.delta  # the full-data difference does not depend on it
    assert (other.ci_low, other.ci_high) != (first.ci_low, first.ci_high)
    assert other.ci_low == pytest.approx(first.ci_low, abs=0.01)


def test_bootstrap_identical_predictions():
    a, _ = make_pair(30, a_wrong={1, 5}, b_wrong=set())
    result = paired_bootstrap(a, a, n_resamples=100)
    assert (result.delta, result.ci_low, result.ci_high) == (0, 0, 0)
    assert result.p_value == 1.0
    assert not result.significant


def test_bootstrap_argument_errors(clear_improvement):
    with pytest.raises(GittaskError, match="unknown metric 'recall'") as info:
        paired_bootstrap(*clear_improvement, metric="recall")
    assert "f1:<label>" in info.value.hint
    with pytest.raises(GittaskError, match="no class '其他'"):
        paired_bootstrap(*clear_improvement, metric="f1:其他")
    with pytest.raises(GittaskError, match="confidence"):
        paired_bootstrap(*clear_improvement, confidence=95)
    with pytest.raises(GittaskError, match="n_resamples"):
        paired_bootstrap(*clear_improvement, n_resamples=0)
