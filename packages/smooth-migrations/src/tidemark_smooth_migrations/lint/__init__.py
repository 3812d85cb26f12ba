"""The migration linter: rules, SQL analysis, reports (the package re-exports its API)."""
