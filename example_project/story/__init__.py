"""The story `make demo` tells: a shop deployed release by release, narrated in the terminal.

- `checkout`: the shop's code as a git repository with one tag per release, built from
  ``example_project/base`` and the overlays in ``example_project/releases``;
- `databases`: the production and staging databases, made afresh, and what the narrator
  reads from them (the schema);
- `narrator`: runs each command of a step in the checkout, in a subprocess, and says what it
  shows;
- `steps`: the six steps of the story;
- `cli`: ``python example_project/demo.py run | manage | clean``.
"""
