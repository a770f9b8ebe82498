"""The agent's state file: previous counter values kept across restarts."""
