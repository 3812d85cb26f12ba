"""rollback_migrations restores the exact applied set and schema of saved releases in real repos."""

from __future__ import annotations

from io import StringIO

import git
import pytest
from django.core.management import CommandError, call_command

from tests.migration_sources import GAMMA_0001, SQUASHED, add_field, beta_0001, merge
from tidemark_core import applied_migrations
from tidemark_migration_state import current_state, find_state, rollbacks, saved_states

from .conftest import Project, migrate, schema
from .sources import SEED_WITH_REVERSE, SEED_WITHOUT_REVERSE, V1, V2, V3

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


def command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def release(project: Project, ref: str, **options: object) -> tuple[frozenset, dict]:
    """Deploy `ref` as a container entrypoint does: migrate, then save the state."""
    path = project.deploy(ref, **options)  # type: ignore[arg-type]
    migrate()
    command("save_migrations_state", "-p", str(path))
    return applied_migrations(), schema()


def test_linear_history_rolls_back_step_by_step_and_forward_again(project: Project) -> None:
    v1 = project.commit("v1", tag="v1.0.0", alpha=V1)
    project.commit("v2", tag="v1.1.0", alpha=V2)
    project.commit("v3", tag="v1.2.0", alpha=V3)
    applied_v1, schema_v1 = release(project, "v1.0.0")
    applied_v2, schema_v2 = release(project, "v1.1.0")
    applied_v3, schema_v3 = release(project, "main")
    assert [state.tags for state in saved_states()] == [("v1.0.0",), ("v1.1.0",), ("v1.2.0",)]
    assert ("alpha", "0003_stock") in applied_v3

    out = command("rollback_migrations", "--no-input")

    assert out.splitlines()[1] == "  Unapplying alpha.0003_stock... OK"
    assert "Running rollback from commit" in out
    assert "['v1.2.0'] to commit" in out
    assert "Unapplying alpha.0003_stock... OK" in out
    assert "Rollback successfully finished." in out
    assert applied_migrations() == applied_v2
    assert schema() == schema_v2
    assert current_state() is not None
    assert current_state().tags == ("v1.1.0",)  # type: ignore[union-attr]

    command("rollback_migrations", "--no-input")
    assert applied_migrations() == applied_v1
    assert schema() == schema_v1

    # Newer states are kept: the code of v3 can roll forward to them again.
    command("rollback_migrations", "-t", "v1.2.0", "--no-input")
    assert applied_migrations() == applied_v3
    assert schema() == schema_v3
    assert saved_states()[0].commit == v1
    assert [(r.to_tags, r.result) for r in rollbacks()] == [
        (("v1.1.0",), "succeeded"),
        (("v1.0.0",), "succeeded"),
        (("v1.2.0",), "succeeded"),
    ]


def test_merge_migration_unapplies_the_parallel_branch(project: Project) -> None:
    base = project.commit("initial", alpha=V1)
    project.commit(
        "left", tag="v1", alpha={**V1, "0002_left": add_field("alpha", "0001_initial", "left")}
    )
    project.repo.git.checkout("-b", "right", base)
    project.commit(
        "right", alpha={**V1, "0002_right": add_field("alpha", "0001_initial", "right", index=True)}
    )
    project.repo.git.checkout("main")
    project.repo.git.merge("right", "--no-ff", "--no-commit")
    project.commit(
        "merge right",
        tag="v2",
        alpha={
            **V1,
            "0002_left": add_field("alpha", "0001_initial", "left"),
            "0002_right": add_field("alpha", "0001_initial", "right", index=True),
            "0003_merge": merge("alpha", "0002_left", "0002_right"),
        },
    )
    assert len(project.repo.head.commit.parents) == 2
    applied_v1, schema_v1 = release(project, "v1")
    release(project, "v2")
    assert {("alpha", "0002_right"), ("alpha", "0003_merge")} <= applied_migrations()

    out = command("rollback_migrations", "-t", "v1", "--no-input")

    # django-rollback ran `migrate alpha 0002_left` and left 0002_right and its column applied.
    assert "Unapplying alpha.0003_merge... OK" in out
    assert "Unapplying alpha.0002_right... OK" in out
    assert applied_migrations() == applied_v1
    assert schema() == schema_v1


def test_squashed_migrations_with_replaced_files_deleted(project: Project) -> None:
    project.commit("v1", tag="v1", alpha=V2)
    project.commit("v2", tag="v2", alpha=V3)
    project.commit(
        "v3: squash",
        tag="v3",
        alpha={
            "0001_squashed_0003_stock": SQUASHED,
            "0004_colour": add_field("alpha", "0001_squashed_0003_stock", "colour"),
        },
    )
    applied_v1, schema_v1 = release(project, "v1")
    applied_v2, schema_v2 = release(project, "v2")
    applied_v3, schema_v3 = release(project, "v3")
    squashed = ("alpha", "0001_squashed_0003_stock")
    before = applied_migrations()

    # v1 holds part of the squash, whose replaced files v3 no longer has: refused up front.
    with pytest.raises(CommandError, match=r"alpha\.0001_squashed_0003_stock: only part") as error:
        command("rollback_migrations", "-t", "v1", "--no-input")
    assert "alpha.0003_stock" in str(error.value)
    assert applied_migrations() == before
    assert not rollbacks()

    command("rollback_migrations", "-t", "v2", "--no-input")
    # Exactly v2's set: v2 was saved before the squash existed, so its row is not kept.
    assert applied_migrations() == applied_v2
    assert squashed not in applied_migrations()
    assert schema() == schema_v2

    # The code of v2 still has the replaced files, so it can reach v1.
    project.deploy("v2")
    command("rollback_migrations", "-t", "v1", "--no-input")
    assert applied_migrations() == applied_v1
    assert schema() == schema_v1

    # Deploying v2 and v3 again records the squash again, as Django does.
    migrate()
    assert applied_migrations() == applied_v2
    project.deploy("v3")
    migrate()
    assert applied_migrations() == applied_v3
    assert schema() == schema_v3


def test_app_added_between_releases_is_unapplied_to_zero(project: Project) -> None:
    project.commit("v1", tag="v1", alpha=V1)
    project.commit("v2: beta", tag="v2", alpha=V1, beta={"0001_initial": beta_0001("0001_initial")})
    applied_v1, schema_v1 = release(project, "v1")
    release(project, "v2")
    assert ("beta", "0001_initial") in applied_migrations()

    command("rollback_migrations", "--no-input")

    assert applied_migrations() == applied_v1
    assert schema() == schema_v1


def test_app_removed_between_releases(project: Project) -> None:
    project.commit("v0", tag="v0", alpha=V1)
    project.commit("v1: gamma", tag="v1", alpha=V1, gamma={"0001_initial": GAMMA_0001})
    project.commit("v2: no gamma", tag="v2", alpha=V2)
    applied_v0, schema_v0 = release(project, "v0")
    applied_v1, schema_v1 = release(project, "v1")
    release(project, "v2", installed=("alpha", "beta"))
    # Django leaves the rows and table of a removed app in place.
    assert ("gamma", "0001_initial") in applied_migrations()
    before, before_schema = applied_migrations(), schema()

    with pytest.raises(CommandError) as error:
        command("rollback_migrations", "-t", "v0", "--no-input")
    assert "gamma.0001_initial (applied now): the app 'gamma' is not installed" in str(error.value)
    assert applied_migrations() == before
    assert schema() == before_schema

    command("rollback_migrations", "-t", "v1", "--no-input")
    assert applied_migrations() == applied_v1
    assert schema() == schema_v1

    # From the code of v1, which has gamma, v0 is reachable.
    project.deploy("v1")
    command("rollback_migrations", "-t", "v0", "--no-input")
    assert applied_migrations() == applied_v0
    assert schema() == schema_v0


def test_runpython_without_reverse_code_is_refused_before_anything_runs(project: Project) -> None:
    project.commit("v1", tag="v1", alpha=V1)
    project.commit(
        "v2",
        tag="v2",
        alpha={
            **V1,
            "0002_seed": SEED_WITHOUT_REVERSE,
            "0003_price": add_field("alpha", "0002_seed", "price"),
        },
    )
    release(project, "v1")
    release(project, "v2")
    before, before_schema = applied_migrations(), schema()

    plan = StringIO()
    with pytest.raises(CommandError, match=r"cannot be unapplied:\n- Unapply alpha\.0002_seed"):
        call_command("rollback_migrations", "--plan", stdout=plan)
    assert "1. Unapply alpha.0003_price" in plan.getvalue()
    assert "2. Unapply alpha.0002_seed (irreversible: Raw Python operation)" in plan.getvalue()

    with pytest.raises(CommandError, match=r"- Unapply alpha\.0002_seed") as error:
        command("rollback_migrations", "--no-input")
    assert "reverse_code" in str(error.value)
    assert "0003_price" not in str(error.value)
    assert applied_migrations() == before
    assert schema() == before_schema
    assert not rollbacks()


def test_rollback_with_reverse_code_changes_rows_and_schema(project: Project) -> None:
    project.commit("v1", tag="v1", alpha=V1)
    project.commit("v2", tag="v2", alpha={**V1, "0002_seed": SEED_WITH_REVERSE})
    applied_v1, schema_v1 = release(project, "v1")
    release(project, "v2")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM alpha_item")
        assert cursor.fetchall() == [("seeded",)]

        command("rollback_migrations", "-t", "v1", "--no-input")

        cursor.execute("SELECT count(*) FROM alpha_item")
        assert cursor.fetchone() == (0,)
    assert applied_migrations() == applied_v1
    assert schema() == schema_v1


def test_detached_head_is_saved_with_its_commit_and_tags(project: Project) -> None:
    v1 = project.commit("v1", tag="v1.0.0", alpha=V1)
    project.commit("v2", alpha=V2)
    path = project.deploy(v1)  # a SHA: detached HEAD
    assert git.Repo(path).head.is_detached
    migrate()

    out = command("save_migrations_state", "-p", str(path))

    assert f"State successfully created for commit \"{v1}\" ['v1.0.0']." in out
    [state] = saved_states()
    assert (state.commit, state.tags) == (v1, ("v1.0.0",))
    assert state.applied == applied_migrations()


def test_shallow_clone_without_tags_uses_the_tags_stored_in_the_database(project: Project) -> None:
    project.commit("v1", tag="v1", alpha=V1)
    v2 = project.commit("v2", tag="v2", alpha=V2)
    applied_v1, schema_v1 = release(project, "v1")
    path = project.deploy("main", how="shallow")
    assert not git_tags(path)
    migrate()
    command("save_migrations_state", "-p", str(path), "--tag", "v2")

    out = command("rollback_migrations", "-p", str(path), "-t", "v1", "--no-input")

    assert f"from commit \"{v2}\" ['v2']" in out
    assert applied_migrations() == applied_v1
    assert schema() == schema_v1


def git_tags(path: object) -> list[str]:
    return [tag.name for tag in git.Repo(path).tags]


def test_no_git_directory_with_commit_argument(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = project.commit("v1", tag="v1", alpha=V1)
    v2 = project.commit("v2", alpha=V2)
    path = project.deploy("v1", how="export")
    migrate()
    with pytest.raises(CommandError, match="No git repository at or above") as error:
        command("save_migrations_state", "-p", str(path))
    assert "--commit SHA" in str(error.value)
    assert not saved_states()

    command("save_migrations_state", "-p", str(path), "--commit", v1, "--tag", "v1")
    applied_v1, schema_v1 = applied_migrations(), schema()
    path = project.deploy(v2, how="export")
    migrate()
    monkeypatch.setenv("TIDEMARK_RELEASE_COMMIT", v2)
    command("save_migrations_state", "-p", str(path))
    assert [state.commit for state in saved_states()] == [v1, v2]

    command("rollback_migrations", "-p", str(path), "-t", "v1", "--no-input")
    assert applied_migrations() == applied_v1
    assert schema() == schema_v1
    assert find_state(commit=v1[:7]).commit == v1


def test_states_are_per_database_alias(project: Project) -> None:
    v1 = project.commit("v1", tag="v1", alpha=V1)
    v2 = project.commit("v2", tag="v2", alpha=V2)
    project.deploy("v1")
    migrate("other")
    command("save_migrations_state", "--commit", v1, "--database", "other")
    applied_v1, schema_v1 = applied_migrations("other"), schema("other")
    project.deploy("v2")
    migrate("other")
    command("save_migrations_state", "--commit", v2, "--database", "other")
    migrate()

    assert not saved_states("default")
    with pytest.raises(CommandError, match="no saved states for the database 'default'"):
        command("rollback_migrations", "--no-input")

    command("rollback_migrations", "--database", "other", "--no-input")
    assert applied_migrations("other") == applied_v1
    assert schema("other") == schema_v1
    assert ("alpha", "0002_price") in applied_migrations("default")
    assert [r.database for r in rollbacks("other")] == ["other"]
    assert not rollbacks("default")


def test_every_problem_is_reported_at_once(project: Project) -> None:
    project.commit("v0", tag="v0", alpha=V1)
    project.commit("v1: gamma", tag="v1", alpha=V1, gamma={"0001_initial": GAMMA_0001})
    project.commit(
        "v2: no gamma, a seed", tag="v2", alpha={**V1, "0002_seed": SEED_WITHOUT_REVERSE}
    )
    release(project, "v0")
    release(project, "v1")
    release(project, "v2", installed=("alpha", "beta"))
    before, before_schema = applied_migrations(), schema()

    with pytest.raises(CommandError) as error:
        command("rollback_migrations", "-t", "v0", "--no-input")

    assert "gamma.0001_initial (applied now): the app 'gamma' is not installed" in str(error.value)
    assert "also irreversible:\n- alpha.0002_seed (irreversible: Raw Python operation)" in str(
        error.value
    )
    assert applied_migrations() == before
    assert schema() == before_schema
    assert not rollbacks()
