"""Importing this module registers every command (each module is light to import)."""
from gittask.cli import (compare_cmds, deploy_cmds, hook_cmds, maint_cmds,  # noqa: F401
                         task_cmds, validate_cmds, version_cmds)
