"""Commands: compare_cmds (being written)."""
