"""Importing this module registers every command (each module is light to import), in
the order `gittask --help` lists them: the workflow's order."""
from gittask.cli import task_cmds  # noqa: F401  (init, new, list, show, switch, state …)
from gittask.cli import version_cmds  # noqa: F401,I001  (draft, record, release, log)
from gittask.cli import compare_cmds  # noqa: F401,I001  (compare, diff, plot)
from gittask.cli import maint_cmds  # noqa: F401,I001  (rollback, promote, prune, verify)
from gittask.cli import deploy_cmds  # noqa: F401,I001  (deploy, ci)
from gittask.cli import validate_cmds  # noqa: F401,I001  (validate)
from gittask.cli import hook_cmds  # noqa: F401,I001  (hooks)
