"""Commands: maint_cmds (being written)."""
