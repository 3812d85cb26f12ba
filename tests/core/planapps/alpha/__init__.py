"""A model-less app whose migrations each plan test writes into a temporary module."""
