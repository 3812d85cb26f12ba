"""Empty: the linter tests define this app's models per release (see lint_support.py)."""
