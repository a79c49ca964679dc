"""`gittask demo`: the seed's sample project, built through the same code paths a user
takes (init, new, editing files, state moves)."""
from __future__ import annotations

import os
from pathlib import Path

from gittask import gitcmd, yamlio
from gittask.errors import GittaskError
from gittask.project import open_project
from gittask.tasks import NewTaskOptions, change_state, load_task, new_task

# The seed's task.yaml, as a user would write it after `gittask new`.
SEED_TASK_YAML = """# 任務基本資訊
task_name: entity-sentiment
version: null # 當前活動版本
status: created

# 任務定義
task_type: classification
domain: finance
language: zh-TW

# 輸入輸出
input_template: |
  分析以下文本對「{entity}」的情感傾向。
  文本:{text}
output_format:
  type: json
  schema:
    sentiment:
      type: string
      enum: ["正面", "負面", "中立"]

# 成功標準
success_criteria:
  primary_metric: macro_f1
  threshold: 0.80

# 執行環境
execution:
  type: remote_ssh
  host: user@gpu-server
  cuda_devices: "0"

# 版本管理
versioning:
  strategy: semantic
  retention:
    keep_recent: 3
    keep_deployed: true
    keep_best: true
    cleanup_exp_after: 7d

# 部署
deploy:
  hf_repo: org/entity-sentiment
  ollama_model: org/entity-sentiment

# 元資料
created: 2026-01-05T10:00:00
updated: 2026-01-05T10:00:00
"""

DEMO_ENV = {"GITTASK_NOW": "2026-01-05T10:00:00",
            "GIT_AUTHOR_NAME": "gittask demo", "GIT_AUTHOR_EMAIL": "demo@gittask.invalid",
            "GIT_COMMITTER_NAME": "gittask demo", "GIT_COMMITTER_EMAIL": "demo@gittask.invalid"}


def _at(moment: str) -> None:
    """Fix the clock of gittask and git for the next steps, so the demo is reproducible."""
    os.environ["GITTASK_NOW"] = moment
    os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = moment + "+08:00"


def build_demo(target: Path) -> list[str]:
    """Build the sample project at `target`; return the steps taken, as commands."""
    if target.exists() and any(target.iterdir()):
        raise GittaskError(f"{target} exists and is not empty",
                           hint="give 'gittask demo' a new directory, e.g. gittask demo /tmp/gittask-demo")
    saved = {k: os.environ.get(k) for k in (*DEMO_ENV, "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    os.environ.update(DEMO_ENV)
    try:
        return _build(target)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _build(target: Path) -> list[str]:
    from gittask.tasks import init_project

    steps = []
    _at("2026-01-05T10:00:00")
    init_project(target)
    steps.append(f"gittask init {target}")
    project = open_project(target)

    new_task(project, "entity-sentiment", NewTaskOptions(domain="finance", labels=("正面", "負面", "中立"),
                                                          label_field="sentiment"))
    yamlio.write_atomic(target / "entity-sentiment" / "task.yaml", SEED_TASK_YAML)
    gitcmd.commit_paths(target, "entity-sentiment: task definition from the seed",
                        ["entity-sentiment/task.yaml"])
    steps.append("gittask new entity-sentiment --domain finance --labels 正面,負面,中立 "
                 "--label-field sentiment   # then task.yaml edited as in the seed")

    _at("2026-01-06T09:00:00")
    new_task(project, "stance-detection", NewTaskOptions(domain="politics", labels=("支持", "反對", "中立"),
                                                          label_field="stance"))
    steps.append("gittask new stance-detection --domain politics --labels 支持,反對,中立 --label-field stance")
    for state in ("configuring", "training"):
        change_state(project, load_task(project, "stance-detection"), state)
        steps.append(f"gittask state {state} -t stance-detection")

    _at("2026-01-05T08:00:00")
    new_task(project, "ner-finance", NewTaskOptions(task_type="ner", domain="finance",
                                                     labels=("公司", "人名", "金額"), label_field="entities",
                                                     primary_metric="macro_f1", threshold=0.75))
    steps.append("gittask new ner-finance --type ner --domain finance --labels 公司,人名,金額 --threshold 0.75")
    return steps
