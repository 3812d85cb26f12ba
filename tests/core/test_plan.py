"""Plan.build and execute restore exact applied sets and schemas on real migration graphs."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.migration_sources import (
    ALPHA_0001,
    GAMMA_0001,
    SQUASHED,
    add_field,
    beta_0001,
    merge,
)
from tests.migration_support import Release
from tidemark_core import IrreversibleStepsError, Plan, PlanError, applied_migrations, execute

from .conftest import schema

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

LINEAR = {
    "0001_initial": ALPHA_0001,
    "0002_price": add_field("alpha", "0001_initial", "price"),
    "0003_stock": add_field("alpha", "0002_price", "stock", index=True),
}


def restore(target: frozenset[tuple[str, str]], using: str = "default") -> Plan:
    plan = Plan.build(target, using=using)
    assert execute(plan) == plan.target
    return plan


def plan_keys(plan: Plan) -> list[tuple[str, str, bool]]:
    return [(*step.key, step.backwards) for step in plan]


def test_linear_rollback_restores_applied_set_and_schema(release: Release) -> None:
    release(alpha=LINEAR)
    call_command("migrate", "alpha", "0002_price", verbosity=0)
    before, before_schema = applied_migrations(), schema()
    call_command("migrate", verbosity=0)
    assert ("alpha", "0003_stock") in applied_migrations()

    plan = restore(before)

    assert plan_keys(plan) == [("alpha", "0003_stock", True)]
    assert applied_migrations() == before
    assert schema() == before_schema


def test_roll_forward_again_to_a_newer_state(release: Release) -> None:
    release(alpha=LINEAR)
    call_command("migrate", verbosity=0)
    newest, newest_schema = applied_migrations(), schema()
    call_command("migrate", "alpha", "0001_initial", verbosity=0)

    plan = restore(newest)

    assert plan_keys(plan) == [("alpha", "0002_price", False), ("alpha", "0003_stock", False)]
    assert applied_migrations() == newest
    assert schema() == newest_schema


def test_cross_app_dependency_is_unapplied_child_first(release: Release) -> None:
    release(alpha=LINEAR, beta={"0001_initial": beta_0001("0002_price")})
    call_command("migrate", "alpha", "0001_initial", verbosity=0)
    before, before_schema = applied_migrations(), schema()
    call_command("migrate", verbosity=0)

    plan = restore(before)

    assert plan_keys(plan) == [
        ("beta", "0001_initial", True),
        ("alpha", "0003_stock", True),
        ("alpha", "0002_price", True),
    ]
    assert applied_migrations() == before
    assert schema() == before_schema


def test_merge_unapplies_the_parallel_branch_absent_from_the_target(release: Release) -> None:
    release(
        alpha={
            "0001_initial": ALPHA_0001,
            "0002_left": add_field("alpha", "0001_initial", "left"),
            "0002_right": add_field("alpha", "0001_initial", "right", index=True),
            "0003_merge": merge("alpha", "0002_left", "0002_right"),
        }
    )
    call_command("migrate", "alpha", "0002_left", verbosity=0)
    before, before_schema = applied_migrations(), schema()
    call_command("migrate", verbosity=0)
    assert ("alpha", "0002_right") in applied_migrations()

    plan = restore(before)

    assert sorted(plan_keys(plan)) == [
        ("alpha", "0002_right", True),
        ("alpha", "0003_merge", True),
    ]
    assert plan_keys(plan)[0] == ("alpha", "0003_merge", True)
    assert applied_migrations() == before
    assert schema() == before_schema


def test_squashed_with_replaced_files_present_restores_part_of_the_squash(release: Release) -> None:
    release(alpha=LINEAR)
    call_command("migrate", "alpha", "0002_price", verbosity=0)
    before, before_schema = applied_migrations(), schema()
    release(alpha={**LINEAR, "0001_squashed_0003_stock": SQUASHED})
    call_command("migrate", verbosity=0)
    assert ("alpha", "0001_squashed_0003_stock") in applied_migrations()

    plan = restore(before)

    assert plan_keys(plan) == [("alpha", "0003_stock", True)]
    assert applied_migrations() == before
    assert schema() == before_schema


def test_squashed_with_replaced_files_deleted(release: Release) -> None:
    release(alpha=LINEAR)
    call_command("migrate", "alpha", "0002_price", verbosity=0)
    partial = applied_migrations()
    call_command("migrate", verbosity=0)
    complete, complete_schema = applied_migrations(), schema()
    release(
        alpha={
            "0001_squashed_0003_stock": SQUASHED,
            "0004_colour": add_field("alpha", "0001_squashed_0003_stock", "colour"),
        }
    )
    call_command("migrate", verbosity=0)
    squashed_now = applied_migrations()

    with pytest.raises(PlanError, match=r"alpha\.0001_squashed_0003_stock: only part") as error:
        Plan.build(partial)
    assert "alpha.0003_stock" in str(error.value)
    assert applied_migrations() == squashed_now

    plan = restore(complete)
    assert plan_keys(plan) == [("alpha", "0004_colour", True)]
    assert applied_migrations() == complete | {("alpha", "0001_squashed_0003_stock")}
    assert schema() == complete_schema

    plan = restore(frozenset(key for key in complete if key[0] != "alpha"))
    assert plan_keys(plan) == [("alpha", "0001_squashed_0003_stock", True)]
    assert not {key for key in applied_migrations() if key[0] == "alpha"}
    assert schema()["columns"] == []


def test_app_added_between_two_states_is_unapplied_to_zero(release: Release) -> None:
    release(alpha=LINEAR)
    call_command("migrate", verbosity=0)
    before, before_schema = applied_migrations(), schema()
    release(alpha=LINEAR, gamma={"0001_initial": GAMMA_0001})
    call_command("migrate", verbosity=0)

    plan = restore(before)

    assert plan_keys(plan) == [("gamma", "0001_initial", True)]
    assert applied_migrations() == before
    assert schema() == before_schema


IRREVERSIBLE = """
from django.db import migrations

def forwards(apps, schema_editor):
    apps.get_model("alpha", "Item").objects.create(name="seeded")

class Migration(migrations.Migration):
    dependencies = [("alpha", "0001_initial")]
    operations = [migrations.RunPython(forwards), migrations.RunSQL("SELECT 1")]
"""


def test_irreversible_step_is_refused_before_touching_the_database(release: Release) -> None:
    release(
        alpha={
            "0001_initial": ALPHA_0001,
            "0002_seed": IRREVERSIBLE,
            "0003_price": add_field("alpha", "0002_seed", "price"),
        }
    )
    call_command("migrate", "alpha", "0001_initial", verbosity=0)
    before = applied_migrations()
    call_command("migrate", verbosity=0)
    after, after_schema = applied_migrations(), schema()

    plan = Plan.build(before)
    assert [step.label for step in plan.irreversible_steps()] == ["alpha.0002_seed"]
    assert len(plan.irreversible_steps()[0].irreversible) == 2
    with pytest.raises(IrreversibleStepsError, match=r"alpha\.0002_seed") as error:
        execute(plan)

    assert [step.label for step in error.value.steps] == ["alpha.0002_seed"]  # type: ignore[attr-defined]
    assert applied_migrations() == after
    assert schema() == after_schema


def test_forward_plan_reports_steps_that_could_not_be_undone(release: Release) -> None:
    release(alpha={"0001_initial": ALPHA_0001, "0002_seed": IRREVERSIBLE})
    call_command("migrate", "alpha", "0001_initial", verbosity=0)

    plan = Plan.build(applied_migrations() | {("alpha", "0002_seed")})

    assert [(step.label, step.backwards) for step in plan.irreversible_steps()] == [
        ("alpha.0002_seed", False)
    ]
    assert "irreversible: Raw Python operation" in plan.describe()[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("alpha", "0009_gone"), r"alpha\.0009_gone \(in the target\): the code has no such"),
        (("delta", "0001_initial"), r"the app 'delta' is not installed"),
    ],
)
def test_impossible_target_raises_before_anything_runs(
    release: Release, extra: tuple[str, str], message: str
) -> None:
    release(alpha=LINEAR)
    call_command("migrate", "alpha", "0001_initial", verbosity=0)
    before = applied_migrations()

    with pytest.raises(PlanError, match=message):
        Plan.build(before | {("alpha", "0002_price"), extra})

    assert applied_migrations() == before


def test_applied_migration_unknown_to_the_code_cannot_be_unapplied(release: Release) -> None:
    release(alpha=LINEAR, gamma={"0001_initial": GAMMA_0001})
    call_command("migrate", verbosity=0)
    release(alpha=LINEAR)

    target = frozenset(key for key in applied_migrations() if key[0] != "gamma")
    with pytest.raises(PlanError, match=r"gamma\.0001_initial \(applied now\): the code has no"):
        Plan.build(target)
    # Unknown rows applied now and in the target are left alone.
    assert not Plan.build(applied_migrations())


def test_inconsistent_target_is_refused(release: Release) -> None:
    release(alpha=LINEAR)
    target = applied_migrations() | {("alpha", "0001_initial"), ("alpha", "0003_stock")}

    with pytest.raises(PlanError, match=r"alpha\.0003_stock needs alpha\.0002_price"):
        Plan.build(target)


def test_stale_plan_is_refused(release: Release) -> None:
    release(alpha=LINEAR)
    plan = Plan.build(applied_migrations() | {("alpha", "0001_initial")})
    call_command("migrate", "alpha", "0001_initial", verbosity=0)
    changed = applied_migrations()

    with pytest.raises(PlanError, match="changed since the plan was made"):
        execute(plan)
    assert applied_migrations() == changed


def test_describe_and_sql_preview_both_directions(release: Release) -> None:
    release(alpha=LINEAR, gamma={"0001_initial": GAMMA_0001})
    call_command("migrate", "alpha", verbosity=0)
    start = applied_migrations()
    target = (start - {("alpha", "0003_stock")}) | {("gamma", "0001_initial")}

    plan = Plan.build(target)

    assert plan.describe() == ["Unapply alpha.0003_stock", "Apply gamma.0001_initial"]
    (down, down_sql), (up, up_sql) = plan.sql()
    assert down.backwards
    assert not up.backwards
    assert any('DROP COLUMN "stock"' in line for line in down_sql)
    assert any('CREATE TABLE "gamma_tag"' in line for line in up_sql)
    assert applied_migrations() == start


def test_empty_plan_when_already_at_target(release: Release) -> None:
    release(alpha=LINEAR)
    call_command("migrate", verbosity=0)

    plan = Plan.build(applied_migrations())

    assert not plan
    assert plan.describe() == []
    assert execute(plan) == applied_migrations()


def test_plans_work_on_any_alias(release: Release) -> None:
    release(alpha=LINEAR)
    call_command("migrate", database="other", verbosity=0)
    call_command("migrate", "alpha", "0001_initial", verbosity=0)
    default_before, other_schema = applied_migrations(), schema("other")

    plan = restore(
        frozenset(key for key in applied_migrations("other") if key[0] != "alpha"), "other"
    )

    assert len(plan) == 3
    assert not {key for key in applied_migrations("other") if key[0] == "alpha"}
    assert schema("other")["columns"] == []
    assert other_schema["columns"]
    assert applied_migrations() == default_before


def test_post_migrate_receivers_get_the_models_as_the_plan_leaves_them(
    release: Release,
) -> None:
    from django.db.models.signals import post_migrate

    seen: list[bool] = []

    def receiver(sender: object, apps: object, **kwargs: object) -> None:
        try:
            apps.get_model("alpha", "Item")  # type: ignore[attr-defined]
        except LookupError:
            seen.append(False)
        else:
            seen.append(True)

    release(alpha={"0001_initial": ALPHA_0001})
    post_migrate.connect(receiver, dispatch_uid="tidemark-test")
    try:
        execute(Plan.build(applied_migrations() | {("alpha", "0001_initial")}))
        applied = execute(Plan.build(applied_migrations() - {("alpha", "0001_initial")}))
        execute(Plan.build(applied))
    finally:
        post_migrate.disconnect(dispatch_uid="tidemark-test")

    # One signal per app with models; alpha's model exists only after the first plan.
    assert set(seen[: len(seen) // 3]) == {True}
    assert set(seen[len(seen) // 3 :]) == {False}
