"""gittask: a git-native version manager for LLM fine-tuning tasks."""

__version__ = "0.1.0"
