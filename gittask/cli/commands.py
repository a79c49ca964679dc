"""Importing this module registers every command (each module is light to import)."""
from gittask.cli import task_cmds  # noqa: F401
