"""The task lifecycle: created → configuring → training → evaluating → deployed,
evaluating → configuring (iterate), deployed → configuring (next iteration),
any → archived."""
from __future__ import annotations

from gittask.errors import GittaskError

STATES = ("created", "configuring", "training", "evaluating", "deployed", "archived")

EDGES: dict[str, tuple[str, ...]] = {
    "created": ("configuring", "archived"),
    "configuring": ("training", "archived"),
    "training": ("evaluating", "archived"),
    "evaluating": ("deployed", "configuring", "archived"),
    "deployed": ("configuring", "archived"),
    "archived": (),
}


def allowed_next(state: str) -> tuple[str, ...]:
    return EDGES.get(state, ())


def is_edge(old: str, new: str) -> bool:
    return old == new or new in allowed_next(old)


# The states gittask's own commands move a task to, from wherever it is (draft →
# configuring, record → evaluating, deploy → deployed), without committing task.yaml.
COMMAND_TARGETS = ("configuring", "evaluating", "deployed")


def commit_allows(old: str, new: str) -> bool:
    """May one commit change the status from `old` to `new`? A lifecycle step, or a
    move a gittask command makes (they may be committed together with the user's work)."""
    return is_edge(old, new) or (old != "archived" and new in COMMAND_TARGETS)


def check_move(old: str, new: str, force: bool = False) -> None:
    if new not in STATES:
        import difflib

        close = difflib.get_close_matches(new, STATES, n=1)
        mean = f" (did you mean '{close[0]}'?)" if close else ""
        raise GittaskError(f"unknown state '{new}'{mean}",
                           hint="states: " + ", ".join(STATES))
    if force or is_edge(old, new):
        return
    nexts = allowed_next(old)
    allowed = ", ".join(nexts) if nexts else "none (archived is final)"
    raise GittaskError(f"cannot move from '{old}' to '{new}': not a lifecycle step",
                       hint=f"allowed next states from '{old}': {allowed}; "
                            "use --force to move anyway")


def move_for_command(old: str, target: str) -> str | None:
    """The status a command moves a task to (draft → configuring, record → evaluating,
    deploy → deployed), or None when the task is archived or already there. Commands
    step through the lifecycle as work happens, so intermediate states are implied."""
    if old == "archived" or old == target:
        return None
    return target
