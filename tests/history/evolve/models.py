"""Empty: tests/history/test_schema.py defines the model of each release."""
