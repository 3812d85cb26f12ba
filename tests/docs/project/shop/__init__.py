"""The docs' ``shop`` app: its models are the ones each page of docs/ declares."""
