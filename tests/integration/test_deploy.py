"""A deploy in one command: apply_migrations --save-state records the release it applied."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

import tidemark_migration_state.recording
from tests.migration_sources import ALPHA_0001, add_field
from tests.migration_support import Release, releases
from tidemark_core import applied_migrations
from tidemark_migration_state import MigrationStateError, current_state, saved_states
from tidemark_smooth_migrations import apply_migrations

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

V1, V2 = "1" * 40, "2" * 40
FAILING = """
from django.db import migrations

class Migration(migrations.Migration):
    dependencies = [("alpha", "0002_size")]
    operations = [migrations.RunSQL("SELECT * FROM no_such_table", migrations.RunSQL.noop)]
"""


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Release]:
    yield from releases(tmp_path, ["alpha"])


def deploy(*args: str, **options: object) -> str:
    out = StringIO()
    call_command("apply_migrations", *args, stdout=out, no_color=True, **options)
    return out.getvalue()


def test_a_successful_run_saves_the_state_of_the_release(release: Release) -> None:
    release(alpha={"0001_initial": ALPHA_0001})
    deploy(save_state=True, commit=V1, tags=["v1.0"])
    release(
        alpha={"0001_initial": ALPHA_0001, "0002_size": add_field("alpha", "0001_initial", "size")}
    )

    output = deploy(save_state=True, commit=V2, tags=["v1.1"])

    state = current_state()
    assert state is not None
    assert (state.commit, state.tags) == (V2, ("v1.1",))
    assert state.applied == applied_migrations()
    assert ("alpha", "0002_size") in state.applied
    assert "  Applying alpha.0002_size... OK" in output
    assert V2[:7] in output.split("Applying alpha.0002_size... OK")[1]  # saved after the run
    assert [saved.commit for saved in saved_states()] == [V1, V2]


def test_json_output_names_the_saved_state(release: Release) -> None:
    release(alpha={"0001_initial": ALPHA_0001})

    data = json.loads(deploy(save_state=True, commit=V1, json=True))

    assert data["saved_state"] == {"commit": V1, "tags": [], "outcome": "created"}


def test_a_failed_run_saves_nothing(release: Release) -> None:
    release(alpha={"0001_initial": ALPHA_0001})
    deploy(save_state=True, commit=V1)
    before = applied_migrations()
    release(
        alpha={
            "0001_initial": ALPHA_0001,
            "0002_size": add_field("alpha", "0001_initial", "size"),
            "0003_fails": FAILING,
        }
    )

    with pytest.raises(CommandError, match="no_such_table"):
        deploy(save_state=True, commit=V2)

    assert applied_migrations() == before
    assert [saved.commit for saved in saved_states()] == [V1]


def test_an_unknown_release_is_refused_before_anything_is_applied(
    release: Release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release(alpha={"0001_initial": ALPHA_0001})
    monkeypatch.chdir(tmp_path)  # no git repository here, and no commit given
    monkeypatch.delenv("TIDEMARK_RELEASE_COMMIT", raising=False)

    with pytest.raises(CommandError, match="Nothing was applied"):
        deploy(save_state=True)

    assert ("alpha", "0001_initial") not in applied_migrations()
    assert saved_states() == []


def test_bad_tags_and_missing_state_tables_are_refused_before_anything_is_applied(
    release: Release,
) -> None:
    release(alpha={"0001_initial": ALPHA_0001})
    with pytest.raises(CommandError, match="Tags must not be empty"):
        deploy(save_state=True, commit=V1, tags=[" "])
    apply_migrations("tidemark_migration_state", "zero")
    try:
        with pytest.raises(CommandError, match="tables of tidemark_migration_state do not exist"):
            deploy("alpha", save_state=True, commit=V1)
        assert ("alpha", "0001_initial") not in applied_migrations()

        deploy("tidemark_migration_state", save_state=True, commit=V1)  # it makes them itself

        assert [saved.commit for saved in saved_states()] == [V1]
    finally:
        apply_migrations("tidemark_migration_state")


def test_a_state_that_cannot_be_saved_after_the_run_says_how_to_save_it(
    release: Release, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise MigrationStateError("The disk is full.")

    monkeypatch.setattr(tidemark_migration_state.recording, "save_state", refuse)
    release(alpha={"0001_initial": ALPHA_0001})

    with pytest.raises(CommandError) as caught:
        deploy(save_state=True, commit=V1)

    assert str(caught.value) == (
        "The migrations were applied, but the release state was not saved: The disk is full. "
        f"Save it with: manage.py save_migrations_state --commit {V1} --database default"
    )
    assert ("alpha", "0001_initial") in applied_migrations()
    assert advisory_locks() == 0


def advisory_locks() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        return int(cursor.fetchone()[0])


def test_command_line_tags_leave_the_app_label_alone_and_the_lock_is_released(
    release: Release,
) -> None:
    release(alpha={"0001_initial": ALPHA_0001})

    call_command(
        "apply_migrations", "alpha", "--save-state", f"--commit={V1}", "--tag", "v1",
        "--tag", "stable", stdout=StringIO(),
    )  # fmt: skip

    state = current_state()
    assert state is not None
    assert state.tags == ("stable", "v1")
    assert ("alpha", "0001_initial") in applied_migrations()
    assert advisory_locks() == 0


def test_moving_migration_state_itself_to_a_target_is_refused(release: Release) -> None:
    with pytest.raises(CommandError, match="Cannot record a release while moving"):
        deploy("tidemark_migration_state", "zero", save_state=True, commit=V1)

    assert ("tidemark_migration_state", "0001_initial") in applied_migrations()
