"""The migration linter: rules, SQL analysis and reports (public names are re-exported by the package)."""
