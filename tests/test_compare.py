"""compare / diff / plot, on repositories built through the real CLI with real git.

The seed's comparison (v1 → v2 of entity-sentiment) is rebuilt from the seed's numbers
and pinned by golden files; `UPDATE_GOLDEN=1 pytest tests/test_compare.py` rewrites
them (then read the diff before committing it).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gittask.output import width
from gittask.stats import metrics_from_predictions
from tests.conftest import git

T = "entity-sentiment"
LABELS = ["正面", "負面", "中立"]
GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parent.parent

# The seed's numbers, as the demo uses them (v1's per-class precision/recall are not in
# the seed; the demo's are consistent with its F1).
from gittask.demo import SEED_V1_RESULTS as SEED_V1, SEED_V2_RESULTS as SEED_V2  # noqa: E402
from gittask.demo import TEST_COUNTS, VALID_COUNTS  # noqa: E402,F401  (160 and 140, as in the seed)

TRAIN_V1 = {"正面": 230, "負面": 195, "中立": 75}        # 500
TRAIN_V2 = {"正面": 280, "負面": 245, "中立": 175}       # 700, as the seed's lineage
# Confusion matrices (gold → pred counts) on the 160 test examples whose scores are
# close to the seed's: v1 macro-F1 71.1%, accuracy 71.9%; v2 81.5%, 81.9%.
CONF_V1 = {"正面": {"正面": 47, "負面": 3, "中立": 10}, "負面": {"正面": 8, "負面": 40, "中立": 7},
           "中立": {"正面": 4, "負面": 13, "中立": 28}}
CONF_V2 = {"正面": {"正面": 51, "負面": 4, "中立": 5}, "負面": {"正面": 5, "負面": 45, "中立": 5},
           "中立": {"正面": 3, "負面": 7, "中立": 35}}
V1_ONLY_RIGHT = {"正面": 2, "負面": 2, "中立": 1}         # McNemar b = 5 (and c = 21)


# ------------------------------------------------------------------ builders

def ok(result):
    assert result.exit_code == 0, result.output
    return result


def fails(result, *parts):
    assert result.exit_code == 1, result.output
    for part in parts:
        assert part in result.output, result.output
    return result


def write_split(path: Path, counts: dict, prefix: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for label, n in counts.items():
        for _ in range(n):
            lines.append(json.dumps({"id": f"{prefix}{len(lines) + 1:04d}", "text": f"第{len(lines) + 1}則新聞",
                                     "entity": "台積電", "sentiment": label}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _examples() -> list[tuple[str, str]]:
    """(id, gold) of the test split, as write_split writes it."""
    rows = []
    for label, n in TEST_COUNTS.items():
        rows += [(f"te{len(rows) + i + 1:04d}", label) for i in range(n)]
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def seed_predictions() -> tuple[list[dict], list[dict]]:
    """Paired predictions of v1 and v2 from CONF_V1/CONF_V2. Within each class the
    examples are laid out as [both right][only v1 right][only v2 right][both wrong]."""
    rows_a, rows_b, ids = [], [], iter(_examples())
    for gold, n in TEST_COUNTS.items():
        right_a, right_b = CONF_V1[gold][gold], CONF_V2[gold][gold]
        both = right_a - V1_ONLY_RIGHT[gold]
        wrong_a = [p for p, k in CONF_V1[gold].items() if p != gold for _ in range(k)]
        wrong_b = [p for p, k in CONF_V2[gold].items() if p != gold for _ in range(k)]
        for i in range(n):
            example, _ = next(ids)
            a_right = i < right_a
            b_right = i < both or right_a <= i < right_a + right_b - both
            rows_a.append({"id": example, "gold": gold, "pred": gold if a_right else wrong_a.pop()})
            rows_b.append({"id": example, "gold": gold, "pred": gold if b_right else wrong_b.pop()})
    return rows_a, rows_b


def new_task(cli, project: Path, name: str = T, labels: str = "正面,負面,中立") -> Path:
    ok(cli("new", name, "--labels", labels, "--label-field", "sentiment", "--domain", "finance"))
    task = project / name
    write_split(task / "data" / "train.jsonl", TRAIN_V1, "tr")
    write_split(task / "data" / "valid.jsonl", VALID_COUNTS, "va")
    write_split(task / "data" / "test.jsonl", TEST_COUNTS, "te")
    git(project, "add", "-A", name)
    git(project, "commit", "-qm", f"{name}: data")
    if name == T:
        ok(cli("switch", T))
    return task


def edit_config(task: Path, version: str, **changes: tuple[str, str]) -> None:
    path = task / "versions" / version / "config.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in changes.values():
        assert old in text, (old, text)
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def make_version(cli, tmp: Path, task: Path, version: str, results: dict | None,
                 predictions: list[dict] | None = None, release: bool = True, **config) -> None:
    ok(cli("draft", version, "-t", task.name))
    edit_config(task, version, **config)
    if results is not None:
        args = ["record", str(write_json(tmp / f"{task.name}-{version}.json", results)), "-t", task.name]
        if predictions is not None:
            args += ["--predictions", str(write_jsonl(tmp / f"{task.name}-{version}.jsonl", predictions))]
        ok(cli(*args))
    if release:
        ok(cli("release", version, "-t", task.name, *([] if results else ["--allow-no-results"])))


def seed_project(cli, project: Path, tmp: Path, predictions: bool = True) -> Path:
    """entity-sentiment v1 and v2 as in the seed (v2 active)."""
    task = new_task(cli, project)
    preds_a, preds_b = seed_predictions() if predictions else (None, None)
    # v1 already has the seed's alpha 128, so that only r and epochs differ (the seed's table).
    make_version(cli, tmp, task, "v1", SEED_V1, preds_a, alpha=("alpha: 64", "alpha: 128"))
    write_split(task / "data" / "train.jsonl", TRAIN_V2, "tr")
    git(project, "commit", "-qam", f"{T}: 200 more examples, 100 of them 中立")
    make_version(cli, tmp, task, "v2", SEED_V2, preds_b, r=("r: 32", "r: 64"),
                 epochs=("epochs: 8", "epochs: 6"))
    return task


@pytest.fixture
def seeded(cli, project, tmp_path):
    return seed_project(cli, project, tmp_path)


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1 rewrites it)"


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The body rows of the box table after `heading`, as stripped cells."""
    lines = text.splitlines()
    start = lines.index(heading) + 1
    rows = []
    for line in lines[start + 3:]:
        if line.startswith("└"):
            break
        rows.append([cell.strip() for cell in line.split("│")[1:-1]])
    return rows


# ------------------------------------------------------------------ the seed's comparison

def test_seed_comparison_zh_tw_matches_the_seed_table_for_table(cli, seeded):
    out = ok(cli("compare", "v1", "v2", "--lang", "zh-TW")).output
    assert out.startswith("比較: entity-sentiment v1 → v2\n")
    assert table_rows(out, "配置變更:") == [
        ["LoRA r", "32", "64", "+100%"],
        ["epochs", "8", "6", "-25%"],
        ["train_count", "500", "700", "+40%"],
    ]
    assert table_rows(out, "效能比較:") == [
        ["Macro-F1", "72.0%", "81.5%", "+9.5 pt"],
        ["Accuracy", "72.0%", "82.0%", "+10.0 pt"],
        ["正面 F1", "78.0%", "86.0%", "+8.0 pt"],
        ["負面 F1", "72.0%", "81.0%", "+9.0 pt"],
        ["中立 F1", "62.0%", "78.5%", "+16.5 pt"],
    ]
    assert table_rows(out, "資料變更:") == [
        ["正面", "230 (46.0%)", "280 (40.0%)", "+50"],
        ["負面", "195 (39.0%)", "245 (35.0%)", "+50"],
        ["中立", "75 (15.0%)", "175 (25.0%)", "+100"],
    ]
    assert "\n結論: v2 顯著提升,建議採用。\n" in out
    assert "門檻 Macro-F1 ≥ 80.0%: v1 72.0% ✗, v2 81.5% ✓" in out
    # every table stays aligned with the CJK cells
    for block in out.split("\n\n"):
        boxed = [l for l in block.splitlines() if l[:1] in "┌│├└"]
        assert len({width(l) for l in boxed}) <= 1, block
    assert_golden("compare-seed.zh-TW.txt", out)


def test_seed_comparison_english_is_the_default(cli, seeded):
    out = ok(cli("compare", "v1", "v2")).output
    assert out.startswith("Compare: entity-sentiment v1 → v2\n")
    assert ["Macro-F1", "72.0%", "81.5%", "+9.5 pt"] in table_rows(out, "Performance:")
    assert ["LoRA r", "32", "64", "+100%"] in table_rows(out, "Config changes:")
    assert "Changes in percentage points (pt)." in out
    assert "\nVerdict: v2 is significantly better: adopt v2.\n" in out
    assert_golden("compare-seed.en.txt", out)


def test_seed_comparison_defaults_to_active_version_and_parent_and_diff_alias(cli, seeded):
    expected = ok(cli("compare", "v1", "v2")).output
    assert ok(cli("compare")).output == expected
    assert ok(cli("compare", "v2")).output == expected        # v2 against its parent
    assert ok(cli("diff", f"{T}@v1", f"{T}@v2")).output == expected


def test_locale_chooses_zh_tw(cli, seeded, monkeypatch):
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    assert ok(cli("compare")).output.startswith("比較: entity-sentiment v1 → v2")
    assert ok(cli("compare", "--lang", "en")).output.startswith("Compare:")
    fails(cli("compare", "--lang", "fr"), "unknown language 'fr'", "en, zh-TW")


def test_seed_comparison_markdown_and_json_golden(cli, seeded):
    md = ok(cli("compare", "v1", "v2", "--md")).output
    assert "| Macro-F1 | 72.0% | 81.5% | +9.5 pt |" in md
    assert "|---|---:|---:|---:|" in md and "┌" not in md
    assert "**Verdict:** v2 is significantly better: adopt v2." in md
    assert_golden("compare-seed.en.md", md)
    assert_golden("compare-seed.zh-TW.md", ok(cli("compare", "--md", "--lang", "zh-TW")).output)
    data = json.loads(ok(cli("compare", "v1", "v2", "--json")).output)
    assert data["a"]["commit"] == git(cli.cwd, "rev-parse", f"{T}@v1^{{commit}}")
    assert data["verdict"] == {"direction": "better", "delta": 0.095, "significant": True,
                               "a_meets_threshold": False, "b_meets_threshold": True,
                               "recommendation": "adopt", "recommended": "v2"}
    assert data["config"][0] == {"key": "lora.r", "a": 32, "b": 64, "status": "changed",
                                 "relative": "+100%"}
    for side in ("a", "b"):  # release commits are not the point of this file
        data[side]["commit"] = "<commit>"
    assert_golden("compare-seed.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def test_all_shows_unchanged_settings_and_precision_recall(cli, seeded):
    out = ok(cli("compare", "--all", "--precision", "2")).output
    config = table_rows(out, "Config changes:")
    assert ["base_model", "Qwen/Qwen3-4B", "Qwen/Qwen3-4B", ""] in config
    assert ["learning_rate", "1e-5", "1e-5", ""] in config
    assert ["test_count", "160", "160", ""] in config
    perf = table_rows(out, "Performance:")
    assert ["Macro-F1", "72.00%", "81.50%", "+9.50 pt"] in perf
    assert ["中立 precision", "60.00%", "78.00%", "+18.00 pt"] in perf
    assert ["中立 recall", "64.00%", "79.00%", "+15.00 pt"] in perf


def test_deltas_are_coloured_on_a_terminal_only(cli, seeded, monkeypatch):
    assert "\033[" not in ok(cli("compare")).output        # NO_COLOR=1 in tests
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = ok(cli("compare")).output
    assert "\033[32m+9.5 pt\033[0m" in out
    assert "\033[" not in ok(cli("compare", "--md")).output
    assert "\033[" not in ok(cli("compare", "--json")).output


# ------------------------------------------------------------------ significance

def scored(rows: list[dict]) -> dict:
    """results.json computed from the predictions, so the two agree."""
    m = metrics_from_predictions(rows, LABELS)
    return {"macro_f1": round(m.macro_f1, 4), "accuracy": round(m.accuracy, 4),
            "per_class": {l: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                              "f1": round(s.f1, 4)} for l, s in m.per_class.items()}}


def constructed(only_a_right: int, only_b_right: int, both_right: int = 100) -> tuple[list, list]:
    """Predictions on the 160 test examples where the answer is known: both versions
    right on `both_right`, exactly one right on the given numbers, both wrong on the rest."""
    rows_a, rows_b = [], []
    for n, (example, gold) in enumerate(_examples()):
        i = n * 37 % 160  # spreads each group over the classes (37 and 160 are coprime)
        wrong = LABELS[(LABELS.index(gold) + 1) % 3]
        a_right = i < both_right or both_right <= i < both_right + only_a_right
        b_right = i < both_right or both_right + only_a_right <= i < both_right + only_a_right + only_b_right
        rows_a.append({"id": example, "gold": gold, "pred": gold if a_right else wrong})
        rows_b.append({"id": example, "gold": gold, "pred": gold if b_right else wrong})
    return rows_a, rows_b


def two_versions(cli, project, tmp, rows_a, rows_b) -> None:
    task = new_task(cli, project)
    make_version(cli, tmp, task, "v1", scored(rows_a), rows_a)
    make_version(cli, tmp, task, "v2", scored(rows_b), rows_b, r=("r: 32", "r: 64"))


def test_clearly_significant(cli, project, tmp_path):
    two_versions(cli, project, tmp_path, *constructed(only_a_right=2, only_b_right=40))
    data = json.loads(ok(cli("compare", "--json", "--seed", "7")).output)
    sig = data["significance"]
    assert sig["tested"] and data["test_data"] == "same"
    assert sig["mcnemar"]["b"] == 2 and sig["mcnemar"]["c"] == 40
    assert sig["mcnemar"]["p_value"] < 1e-6 and sig["mcnemar"]["significant"]
    boot = sig["bootstrap"]
    assert boot["significant"] and boot["ci_low"] > 0.1 and boot["seed"] == 7
    assert data["verdict"]["recommendation"] == "adopt"
    # seeded: the same interval again; another seed, another (close) interval
    assert json.loads(ok(cli("compare", "--json", "--seed", "7")).output)["significance"] == sig
    other = json.loads(ok(cli("compare", "--json", "--seed", "8", "--resamples", "500")).output)
    assert other["significance"]["bootstrap"]["ci_low"] != boot["ci_low"]
    assert other["significance"]["bootstrap"]["n_resamples"] == 500
    out = ok(cli("compare")).output
    assert "Verdict: v2 is significantly better: adopt v2." in out
    assert "McNemar's test (accuracy, chi-square): p < 0.001: significant; only v2 right: 40, only v1 right: 2" in out


def test_clearly_not_significant(cli, project, tmp_path):
    two_versions(cli, project, tmp_path, *constructed(only_a_right=10, only_b_right=12))
    data = json.loads(ok(cli("compare", "--json")).output)
    sig = data["significance"]
    assert sig["mcnemar"]["p_value"] > 0.5 and not sig["mcnemar"]["significant"]
    assert sig["bootstrap"]["ci_low"] < 0 < sig["bootstrap"]["ci_high"]
    assert data["verdict"]["direction"] == "better"
    assert data["verdict"]["significant"] is False
    assert data["verdict"]["recommendation"] == "keep" and data["verdict"]["recommended"] == "v1"
    out = ok(cli("compare", "--lang", "zh-TW")).output
    assert "結論: v2 略有提升但差異不顯著,建議維持 v1。" in out
    assert "McNemar 檢定 (準確率, 精確二項): p = " in out and ": 不顯著;" in out


def test_worse_and_significant(cli, project, tmp_path):
    rows_a, rows_b = constructed(only_a_right=40, only_b_right=2)
    two_versions(cli, project, tmp_path, rows_a, rows_b)
    out = ok(cli("compare")).output
    assert "Verdict: v2 is significantly worse: keep v1." in out


def test_different_test_data_are_not_comparable(cli, project, tmp_path):
    task = new_task(cli, project)
    rows_a, rows_b = constructed(2, 40)
    make_version(cli, tmp_path, task, "v1", scored(rows_a), rows_a)
    write_split(task / "data" / "test.jsonl", {"正面": 70, "負面": 55, "中立": 45}, "te")
    git(project, "commit", "-qam", "a bigger test split")
    make_version(cli, tmp_path, task, "v2", scored(rows_b), rows_b, r=("r: 32", "r: 64"))
    data = json.loads(ok(cli("compare", "--json")).output)
    assert data["test_data"] == "different"
    assert data["significance"] == {"tested": False, "reason": "test_data_differ", "detail": None,
                                    "bootstrap": None, "mcnemar": None}
    assert data["verdict"]["recommendation"] == "retest"
    out = ok(cli("compare")).output
    assert "Verdict: v2 and v1 were tested on different data: evaluate both on the same test set." in out
    assert "the metrics are not directly comparable" in out
    assert ["test_count", "160", "170", "+6.2%"] in table_rows(out, "Config changes:")
    zh = ok(cli("compare", "--lang", "zh-TW")).output
    assert "指標無法直接比較" in zh


def test_without_predictions_significance_is_not_tested(cli, project, tmp_path):
    seed_project(cli, project, tmp_path, predictions=False)
    out = ok(cli("compare")).output
    assert "Verdict: v2 is better (significance not tested): adopt v2." in out
    assert "Significance not tested: no predictions.jsonl for v1, v2" in out


def test_results_that_disagree_with_predictions_are_flagged(cli, project, tmp_path):
    task = new_task(cli, project)
    rows_a, rows_b = constructed(2, 40)
    make_version(cli, tmp_path, task, "v1", {**scored(rows_a), "macro_f1": 0.30}, rows_a)
    make_version(cli, tmp_path, task, "v2", scored(rows_b), rows_b, r=("r: 32", "r: 64"))
    data = json.loads(ok(cli("compare", "--json")).output)
    assert [w["code"] for w in data["warnings"]] == ["results_disagree"]
    out = ok(cli("compare")).output
    assert "Warning: results.json and predictions.jsonl of v1 disagree on Macro-F1: 30.0% vs" in out


def test_draft_against_released_parent(cli, seeded, tmp_path, project):
    # v3 is drafted and recorded but not released: its data snapshot is the current data.
    write_split(seeded / "data" / "train.jsonl", {**TRAIN_V2, "中立": 275}, "tr")
    git(project, "commit", "-qam", "100 more 中立")
    results = {**SEED_V2, "macro_f1": 0.83}
    make_version(cli, tmp_path, seeded, "v3", results, release=False,
                 lr=("learning_rate: 1e-5", "learning_rate: 5e-6"))
    out = ok(cli("compare", "v3")).output
    assert out.startswith("Compare: entity-sentiment v2 → v3 (draft)\n")
    config = table_rows(out, "Config changes:")
    assert ["learning_rate", "1e-5", "5e-6", "-50%"] in config
    assert ["train_count", "700", "800", "+14.3%"] in config
    assert ["中立", "175 (25.0%)", "275 (34.4%)", "+100"] in table_rows(out, "Data changes:")
    assert "no predictions.jsonl for v3" in out


def test_draft_without_its_data_still_compares_config_and_metrics(cli, seeded, tmp_path):
    make_version(cli, tmp_path, seeded, "v3", SEED_V2, release=False, r=("r: 64", "r: 16"))
    (seeded / "data" / "test.jsonl").unlink()
    out = ok(cli("compare", "v2", "v3")).output
    assert ["LoRA r", "64", "16", "-75%"] in table_rows(out, "Config changes:")
    assert "Data of v3 not compared: entity-sentiment/data_source.yaml: splits.test: " \
           "data/test.jsonl does not exist" in out


# ------------------------------------------------------------------ many versions

def test_many_versions_one_table(cli, seeded, tmp_path):
    make_version(cli, tmp_path, seeded, "v3", {**SEED_V2, "macro_f1": 0.79, "accuracy": 0.80},
                 r=("r: 64", "r: 128"))
    out = ok(cli("compare", "v1", "v2", "v3")).output
    assert out.splitlines()[0] == "Versions: entity-sentiment"
    assert table_rows(out, "Versions: entity-sentiment") == [
        ["v1", "72.0%", "72.0%", "✗"], ["v2", "81.5%", "82.0%", "✓"], ["v3 (*)", "79.0%", "80.0%", "✗"]]
    assert "best Macro-F1: v2" in out
    assert ok(cli("compare", "--all-versions")).output == out
    sorted_out = ok(cli("compare", "--all-versions", "--sort", "accuracy", "--metric", "accuracy",
                        "--metric", "f1:中立")).output
    assert table_rows(sorted_out, "Versions: entity-sentiment") == [
        ["v2", "82.0%", "78.5%", "✓"], ["v3 (*)", "80.0%", "78.5%", "✗"], ["v1", "72.0%", "62.0%", "✗"]]
    data = json.loads(ok(cli("compare", "--all-versions", "--json")).output)
    assert data["metrics"] == ["macro_f1", "accuracy"] and data["best"] == "v2"
    assert data["versions"][0] == {"version": "v1", "released": True, "active": False,
                                   "values": {"macro_f1": 0.72, "accuracy": 0.72},
                                   "meets_threshold": False}
    zh = ok(cli("compare", "--all-versions", "--lang", "zh-TW", "--md")).output
    assert zh.startswith("### 版本一覽: entity-sentiment\n\n| 版本 | Macro-F1 | Accuracy | ≥ 80.0% |")
    assert "| v3 (*) | 79.0% | 80.0% | ✗ |" in zh
    fails(cli("compare", "--all-versions", "--metric", "f1_score"), "no version has the metric 'f1_score'",
          "metrics here: accuracy")


def test_many_versions_reads_all_results_with_one_git_call(cli, seeded, monkeypatch):
    from gittask import gitcmd

    calls = []
    real = gitcmd.cat_files
    monkeypatch.setattr(gitcmd, "cat_files", lambda cwd, specs: calls.append(specs) or real(cwd, specs))
    ok(cli("compare", "--all-versions"))
    assert len(calls) == 1 and len(calls[0]) == 2


# ------------------------------------------------------------------ bad input

def test_unknown_version(cli, seeded):
    fails(cli("compare", "v1", "v9"), "error: entity-sentiment has no version 'v9'",
          "hint: versions of entity-sentiment: v1, v2")


def test_versions_of_different_tasks(cli, seeded, project):
    new_task(cli, project, "stance-detection", "支持,反對,中立")
    fails(cli("compare", f"{T}@v1", "stance-detection@v1"),
          "error: cannot compare versions of different tasks (entity-sentiment, stance-detection)",
          "hint: compare versions of one task")
    fails(cli("compare", "-t", "stance-detection", f"{T}@v1", f"{T}@v2"),
          "cannot compare versions of different tasks")


def test_missing_results(cli, project, tmp_path):
    task = new_task(cli, project)
    make_version(cli, tmp_path, task, "v1", SEED_V1)
    make_version(cli, tmp_path, task, "v2", None, r=("r: 32", "r: 64"))
    fails(cli("compare", "v1", "v2"), "error: entity-sentiment@v2 has no results.json",
          "hint: it was released without results")
    make_version(cli, tmp_path, task, "v3", None, release=False, r=("r: 64", "r: 16"))
    fails(cli("compare", "v1", "v3"), "error: entity-sentiment v3 has no results.json yet",
          "hint: attach the evaluation with 'gittask record RESULTS.json --version v3'")


def test_label_sets_that_differ(cli, project, tmp_path):
    task = new_task(cli, project)
    make_version(cli, tmp_path, task, "v1", SEED_V1)
    without_neutral = {**SEED_V2, "per_class": {k: v for k, v in SEED_V2["per_class"].items() if k != "中立"}}
    make_version(cli, tmp_path, task, "v2", without_neutral, r=("r: 32", "r: 64"))
    fails(cli("compare"), "error: entity-sentiment v1 and v2 have different label sets in "
                          "results.json per_class (only in v1: 中立)",
          "hint: per-class scores compare only on the same classes")


def test_nothing_to_compare(cli, project, tmp_path):
    task = new_task(cli, project)
    fails(cli("compare"), "entity-sentiment has no active version to compare",
          "hint: name the versions: gittask compare A B")
    make_version(cli, tmp_path, task, "v1", SEED_V1)
    fails(cli("compare"), "entity-sentiment v1 has no parent version to compare with")
    fails(cli("compare", "v1", "v1"), "both sides are entity-sentiment v1")


# ------------------------------------------------------------------ log trend and plot

def test_log_shows_the_trend(cli, seeded, tmp_path, monkeypatch):
    make_version(cli, tmp_path, seeded, "v3", {**SEED_V2, "macro_f1": 0.79}, r=("r: 64", "r: 128"))
    out = ok(cli("log")).output
    assert "│ v3 (*)  │ 2026-01-05 │  79.0% ↓ │" in out
    assert "│ v2      │ 2026-01-05 │  81.5% ↑ │" in out
    assert "│ v1      │ 2026-01-05 │    72.0% │" in out
    assert "| v3 (*) | 2026-01-05 | 79.0% ↓ |" in ok(cli("log", "--md")).output
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = ok(cli("log")).output
    assert "79.0% \033[31m↓\033[0m" in coloured and "81.5% \033[32m↑\033[0m" in coloured
    assert "\033[" not in ok(cli("log", "--md")).output


@pytest.fixture
def mpl_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path_factory.getbasetemp() / "mpl"))


def test_plot_png_and_svg(cli, seeded, project, tmp_path, mpl_cache):
    # v1 deployed: a deployment record is an annotated tag (what 'gittask deploy' writes)
    from gittask import deployments
    from gittask.project import open_project

    proj = open_project(project)
    dep = deployments.new(T, "v1", "ollama", "org/entity-sentiment:v1", "sha256:abc")
    deployments.record(proj, dep, git(project, "rev-parse", f"{T}@v1^{{commit}}"))
    out = ok(cli("plot", "-o", "trend.png"))
    assert out.output.strip() == ("wrote trend.png: Macro-F1 of 2 version(s) "
                                  "(threshold 80.0%; deployed: v1)")
    data = (project / "trend.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    ok(cli("plot", T, "--metric", "f1:中立", "-o", str(tmp_path / "neutral.svg")))
    svg = (tmp_path / "neutral.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "中立 F1" in svg and "threshold" not in svg
    assert "deployed" in svg and "正面" in svg
    info = json.loads(ok(cli("plot", "-o", "t.svg", "--json")).output)
    assert info["values"] == [0.72, 0.815] and info["deployed"] == ["v1"]
    assert info["per_class"]["中立"] == [0.62, 0.785]


def test_plot_bad_input(cli, seeded, project, mpl_cache):
    fails(cli("plot", "-o", "trend.pdf"), "cannot write a plot to trend.pdf")
    fails(cli("plot", "-o", "x.png", "--metric", "bleu"), "no version has the metric 'bleu'")
    assert not (project / "x.png").exists()


def test_plot_without_matplotlib_says_how_to_install(seeded, project, tmp_path):
    fake = tmp_path / "fake"
    (fake / "matplotlib").mkdir(parents=True)
    (fake / "matplotlib" / "__init__.py").write_text("raise ImportError('no matplotlib')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), str(REPO)])}
    proc = subprocess.run([sys.executable, "-m", "gittask", "plot", "-t", T, "-o", "t.png"],
                          cwd=project, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == ["error: plotting needs matplotlib",
                                        "hint: pip install 'gittask[plot]'"]
    assert not (project / "t.png").exists()
