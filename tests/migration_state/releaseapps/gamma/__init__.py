"""A model-less app whose migrations each release of the test repositories provides."""
