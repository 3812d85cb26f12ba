"""The models and settings bench/history.py measures: untracked, pghistory, Tidemark."""
