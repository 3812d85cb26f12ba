"""Model-less apps whose migration modules come from git checkouts of test releases."""
