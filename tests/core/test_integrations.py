"""The seam where the apps meet: what one app offers, the others find through core."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tidemark_core import history_context, integrations


@pytest.fixture
def offers() -> Iterator[list[str]]:
    """Capabilities offered by a test; withdrawn afterwards."""
    offered: list[str] = []
    yield offered
    for capability in offered:
        integrations.withdraw(capability)


def test_nothing_is_offered_when_no_app_offers_it() -> None:
    assert integrations.offered(integrations.HISTORY_CONTEXT) is None
    assert integrations.saved_releases("default") is None
    assert integrations.release_recorder() is None
    with history_context(command="rollback_migrations") as value:
        assert value is None


def test_history_context_uses_the_offered_factory(offers: list[str]) -> None:
    entered: list[dict[str, Any]] = []

    @contextmanager
    def factory(**metadata: Any) -> Iterator[str]:
        entered.append(metadata)
        yield "context"

    integrations.offer(integrations.HISTORY_CONTEXT, factory)
    offers.append(integrations.HISTORY_CONTEXT)

    with history_context(command="apply_migrations", database="default") as value:
        assert value == "context"
    assert entered == [{"command": "apply_migrations", "database": "default"}]


def test_saved_releases_and_the_recorder_are_what_was_offered(offers: list[str]) -> None:
    releases = [object(), object()]
    recorder = object()
    integrations.offer(integrations.SAVED_RELEASES, lambda using: iter(releases))
    integrations.offer(integrations.RELEASE_RECORDER, recorder)
    offers.extend([integrations.SAVED_RELEASES, integrations.RELEASE_RECORDER])

    assert integrations.saved_releases("default") == releases
    assert integrations.release_recorder() is recorder

    integrations.withdraw(integrations.RELEASE_RECORDER)
    assert integrations.release_recorder() is None
