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
