"""The models of feincms3-data's own test suite, for its behavioural cases (ported)."""

from __future__ import annotations

from django.apps import AppConfig


class F3AppConfig(AppConfig):
    name = "tests.data_sync.f3app"
    label = "f3app"
