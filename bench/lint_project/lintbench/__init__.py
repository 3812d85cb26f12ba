"""A model-less app whose migrations bench/migration_lint.py generates."""
