"""The demo's story in six parts, each a few real commands and what they show.

`STEPS` lists them in order, the longer parts cut in two or three; the integration suite
(``tests/integration/test_demo.py``) plays the same steps and checks the databases after
each one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import databases
from .checkout import GitError
from .narrator import PASSWORD, USERNAME, DemoError, Narrator

SYNC = ("sync_dataset", "catalog", "--from", "staging", "--to", "default")


def prepare(n: Narrator) -> None:
    """Build the checkout and make both databases afresh."""
    try:
        n.checkout.build()
        databases.recreate(n.url, n.database, n.staging_database)
    except GitError as error:
        raise DemoError(str(error)) from None
    except databases.psycopg.Error as error:
        raise DemoError(
            f"The demo's databases {n.database} and {n.staging_database} could not be made "
            f"afresh: {error}. With DATABASE_URL, the role needs the CREATEDB privilege."
        ) from None
    n.write(n.style("Tidemark demo: a shop deploys three releases; one fails, one is rolled "
                    "back,\nand content comes from staging.", "1"))  # fmt: skip
    n.say(
        f"Code: {shown(n.checkout.path)}, a git repository with one tag per release "
        "(v1, v2, v3), built from example_project/base and example_project/releases. "
        f"Databases: {n.database} (production) and {n.staging_database} (staging), made "
        "afresh. Every line starting with $ is a real command, run in the checkout."
    )


def shown(path: Path) -> str:
    """`path` relative to the working directory when it is below it."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def release_1(n: Narrator) -> None:
    n.heading("1. Release v1: the shop's first deploy")
    n.say(
        "v1 has categories and products, both tracked by tidemark_history; its second "
        "migration adds a starter catalogue."
    )
    n.switch("v1")
    n.manage("apply_migrations", "--save-state")
    n.shows(
        "apply_migrations applied every migration in one run (had one failed, it would have "
        "unapplied the others), and --save-state recorded release v1: its commit, its git "
        "tag and its applied migrations."
    )
    n.manage(
        "createsuperuser", "--no-input", f"--username={USERNAME}", "--email=admin@example.com",
        shown_environment=[f"DJANGO_SUPERUSER_PASSWORD={PASSWORD}"],
        extra_environment={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )  # fmt: skip


def release_2(n: Narrator) -> None:
    n.heading("2. Release v2: a required column and a deprecated one, checked by the linter")
    n.switch("v2")
    n.git("diff", "--no-color", "--unified=1", "v1", "v2", "--", "shop/models.py")
    n.manage("lint_migrations", "--since", "v1")
    n.shows(
        "The linter passes v2's migration (no error): new_field adds currency as a nullable "
        "column with a default, so v1, still serving during the deploy, keeps inserting "
        "products; deprecated_field makes the suppliers' fax column nullable, so v2 can "
        "insert suppliers without it while v1 still reads it. The warning asks for a lock "
        "timeout, which apply_migrations gives every statement."
    )
    n.manage("apply_migrations", "--save-state")
    n.manage("show_migration_changes")
    n.shows(
        "Release v2 is recorded. show_migration_changes lists the contract steps a later "
        "release owes: make currency NOT NULL, drop fax."
    )


def failed_release_3(n: Narrator) -> None:
    n.heading("3. Release v3: its third migration fails, and apply_migrations undoes the rest")
    n.switch("v3")
    n.say(
        "v3 adds a weight column, then a CHECK (price > 0) constraint as NOT VALID, then "
        "validates it; the starter catalogue's paper catalogue costs 0.00."
    )
    before = databases.schema(n.url, n.database)
    n.manage("apply_migrations", "--save-state", expect=1)
    after, kept = databases.kept_by_history(before, databases.schema(n.url, n.database))
    if after != before:
        raise DemoError("The schema of the shop changed although the release was rolled back.")
    n.write("The shop's tables after the failed deploy (columns; constraints, indexes and "
            "triggers compared too):")  # fmt: skip
    for table, names in databases.columns(after).items():
        n.write(f"  {table}: {', '.join(names)}")
    n.manage("showmigrations", "shop")
    n.shows(
        "The third migration failed; apply_migrations unapplied the two before it, so the "
        "schema is exactly v2's (compared before and after) and nothing was saved for v3. "
        "v2 keeps serving."
        + (
            f" History kept its copy of the new field ({', '.join(kept)}): a rolled-back "
            "release never drops values history recorded."
            if kept
            else ""
        )
    )
    n.switch("v2")


def rollback_to_v1(n: Narrator) -> None:
    n.heading("4. Back to release v1")
    n.manage("rollback_migrations", "-t", "v1", "--no-input")
    n.switch("v1")
    n.manage("rollback_migrations", "--list")
    n.shows(
        "rollback_migrations brought the applied migrations back to the set saved for v1 "
        "(run with v2's code, which has the migrations to unapply), and recorded the "
        "rollback from v2 to v1 beside the saved releases and every run."
    )


def staging_edits(n: Narrator) -> None:
    n.heading("5. Content from staging")
    n.say(
        "Staging runs release v1 too, on its own database. Its editor renames and reprices "
        "the tide clock, adds a tide gauge and deletes the paper catalogue, in staging's "
        "admin."
    )
    n.manage("apply_migrations", "--save-state", "-v", "0", staging=True)
    n.manage(
        "createsuperuser", "--no-input", "--username=editor", "--email=editor@example.com",
        staging=True, shown_environment=[f"DJANGO_SUPERUSER_PASSWORD={PASSWORD}"],
        extra_environment={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )  # fmt: skip
    n.manage(
        "admin_post", "--user=editor",
        "/admin/shop/product/3/change/", "name=Tide clock (brass)", "price=49.00",
        "/admin/shop/product/add/", "name=Tide gauge", "category=2", "price=60.00",
        "/admin/shop/product/4/delete/",
        staging=True,
    )  # fmt: skip
    n.shows("Staging runs v1 with its editor's changes; production has not changed.")


def sync_plan(n: Narrator) -> None:
    n.manage(*SYNC, "--plan")
    n.shows("The plan: what the sync would create, update and delete; nothing is written.")


def sync(n: Narrator) -> None:
    n.manage(*SYNC)
    n.shows(
        "Production has staging's catalogue now: one product updated, one created, one "
        "deleted (the dataset deletes what staging no longer has), in one transaction."
    )


def edit_in_admin(n: Narrator) -> None:
    n.heading("6. Who changed what, in which context")
    n.say("An editor marks the tide clock out of stock in production's admin.")
    n.manage("admin_post", f"--user={USERNAME}", "/admin/shop/product/3/change/", "in_stock=false")


def row_history(n: Narrator) -> None:
    n.manage("row_history", "shop.product", "name=Tide clock (brass)")
    n.shows(
        "The triggers of tidemark_history recorded every change of the row, whoever made "
        "it: created by v1's deploy (apply_migrations), changed by the sync from staging "
        "(sync_dataset, with both databases and the dataset), then by a request to the "
        "admin (HistoryMiddleware: the user, the method and the path)."
    )


STEPS: list[Callable[[Narrator], None]] = [
    release_1,
    release_2,
    failed_release_3,
    rollback_to_v1,
    staging_edits,
    sync_plan,
    sync,
    edit_in_admin,
    row_history,
]
