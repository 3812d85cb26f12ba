"""The app of bench/history_read.py: five tables per library, read back."""
