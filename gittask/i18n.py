"""English by default, Traditional Chinese when the locale is zh_TW (or --lang zh-TW).
Only gittask's own words are translated; labels and notes are shown as written."""
from __future__ import annotations

import os

from gittask.errors import GittaskError

LANGS = ("en", "zh-TW")

_ZH = {
    "Task": "任務名稱", "Status": "狀態", "Version": "版本", "Updated": "更新時間",
    "Created": "建立時間", "Main changes": "主要變更", "Task:": "任務:",
    "Active version:": "當前版本:", "History:": "版本歷史:", "initial version": "初始版本",
    "Setting": "配置項", "Change": "變化", "Metric": "指標", "Config changes:": "配置變更:",
    "Performance:": "效能比較:", "Data changes:": "資料變更:", "Verdict:": "結論:",
    "Compare:": "比較:", "rollback": "回滾",
    # compare (gittask.report); the seed writes ASCII ',' ':' '()' and a final '。'
    "Class (train)": "類別 (訓練集)", "none": "無", "(draft)": "(草稿)",
    "added": "新增", "removed": "移除", "precision": "精確率", "recall": "召回率",
    "Changes in percentage points (pt).": "變化以百分點 (pt) 表示。",
    "{b} is significantly better: adopt {b}.": "{b} 顯著提升,建議採用。",
    "{b} is better (significance not tested): adopt {b}.": "{b} 提升 (未檢定顯著性),建議採用。",
    "{b} is higher, but the difference is not significant: keep {a}.":
        "{b} 略有提升但差異不顯著,建議維持 {a}。",
    "{b} is significantly worse: keep {a}.": "{b} 顯著下降,建議維持 {a}。",
    "{b} is worse (significance not tested): keep {a}.": "{b} 下降 (未檢定顯著性),建議維持 {a}。",
    "{b} is lower, but the difference is not significant: keep {a}.":
        "{b} 略有下降但差異不顯著,建議維持 {a}。",
    "{b} and {a} score the same: keep {a}.": "{b} 與 {a} 表現相同,建議維持 {a}。",
    "{b} and {a} were tested on different data: evaluate both on the same test set.":
        "{b} 與 {a} 的測試資料不同,請在同一測試集上重新評估兩者。",
    "Threshold {metric} ≥ {threshold}: {a} {va} {ma}, {b} {vb} {mb}":
        "門檻 {metric} ≥ {threshold}: {a} {va} {ma}, {b} {vb} {mb}",
    "The test data differ (test split {sa} vs {sb}): the metrics are not directly comparable.":
        "測試資料不同 (test split {sa} vs {sb}): 指標無法直接比較。",
    "Significance not tested: no predictions.jsonl for {versions} (attach it with "
    "'gittask record RESULTS.json --predictions FILE').":
        "未檢定顯著性: {versions} 沒有 predictions.jsonl "
        "(以 'gittask record RESULTS.json --predictions FILE' 附上)。",
    "Significance not tested: the predictions do not pair up ({detail}).":
        "未檢定顯著性: 兩個版本的預測無法配對 ({detail})。",
    "The data snapshots do not identify the test split; the predictions were paired by id.":
        "資料快照無法確認測試集是否相同; 預測依 id 配對。",
    "Paired bootstrap on predictions.jsonl ({n} test examples, {resamples} resamples, seed {seed}): "
    "{metric} {va} → {vb}, {delta}, {confidence}% CI [{low}, {high}] pt, {p}: {result}":
        "配對 bootstrap, 依 predictions.jsonl ({n} 筆測試資料, {resamples} 次重抽樣, seed {seed}): "
        "{metric} {va} → {vb}, {delta}, {confidence}% 信賴區間 [{low}, {high}] pt, {p}: {result}",
    "The paired bootstrap cannot score {metric} from predictions; the verdict uses McNemar's test.":
        "配對 bootstrap 無法由預測計算 {metric}; 結論依 McNemar 檢定。",
    "McNemar's test (accuracy, {method}): {p}: {result}; only {b} right: {c}, only {a} right: {bb}":
        "McNemar 檢定 (準確率, {method}): {p}: {result}; 僅 {b} 答對 {c} 筆, 僅 {a} 答對 {bb} 筆",
    "exact binomial": "精確二項", "chi-square": "卡方",
    "significant": "顯著", "not significant": "不顯著",
    "Warning: results.json and predictions.jsonl of {version} disagree on {metric}: "
    "{results} vs {predictions}.":
        "警告: {version} 的 results.json 與 predictions.jsonl 的 {metric} 不一致: "
        "{results} vs {predictions}。",
    "Data of {version} not compared: {detail}": "未比較 {version} 的資料: {detail}",
    "Versions:": "版本一覽:", "(*) active version": "(*) 當前版本",
    "best {metric}: {version}": "最佳 {metric}: {version}", "sorted by {metric}": "依 {metric} 排序",
}


def resolve(choice: str | None = None) -> str:
    """The language to use: --lang, else GITTASK_LANG, else the locale."""
    if choice:
        normal = choice.replace("_", "-")
        for lang in LANGS:
            if normal.lower() == lang.lower():
                return lang
        raise GittaskError(f"unknown language '{choice}'", hint="languages: " + ", ".join(LANGS))
    env = os.environ.get("GITTASK_LANG")
    if env:
        return resolve(env)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh-TW" if value.lower().startswith(("zh_tw", "zh-tw", "zh_hant")) else "en"
    return "en"


def t(text: str, lang: str) -> str:
    return _ZH.get(text, text) if lang == "zh-TW" else text
