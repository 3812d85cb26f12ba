"""Empty: test_lint_history.py defines this app's tracked models per release."""
