"""The models and settings bench/history_scale.py measures: partitioned and plain event
tables, baselines, and django-simple-history's populate_history."""
