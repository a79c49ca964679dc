"""The current time, overridable for reproducible tests and demos (GITTASK_NOW)."""
from __future__ import annotations

import datetime as dt
import os


def now() -> dt.datetime:
    fixed = os.environ.get("GITTASK_NOW")
    if fixed:
        return dt.datetime.fromisoformat(fixed)
    return dt.datetime.now().replace(microsecond=0)


def stamp(moment: dt.datetime | None = None) -> str:
    """The timestamp format of task.yaml (`2026-01-06T14:30:00`)."""
    return (moment or now()).replace(tzinfo=None, microsecond=0).isoformat()
