"""Commands: version_cmds (being written)."""
