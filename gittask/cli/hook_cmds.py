"""Commands: hook_cmds (being written)."""
