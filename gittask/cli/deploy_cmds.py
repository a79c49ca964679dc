"""Commands: deploy_cmds (being written)."""
