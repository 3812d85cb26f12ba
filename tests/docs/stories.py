"""What the pages' invisible blocks set up before their examples: releases of a shop.

The migration-state pages tell one story: release v1.1.0 of a shop is deployed and saved,
then v1.2.0 brings three migrations (a parallel branch and its merge among them). The page's
working directory is the project's git checkout; each release is a tagged commit in it, and
the shop's migrations are written into the page's migrations package of ``shop``.
"""

from __future__ import annotations

import subprocess
import textwrap
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

import tidemark_migration_state as migration_state

_HEADER = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"

RELEASE_1_1 = {
    "0001_initial": """
        dependencies = []
        operations = [
            migrations.CreateModel(
                "Product",
                [
                    ("id", models.BigAutoField(primary_key=True)),
                    ("name", models.CharField(max_length=200)),
                ],
            ),
        ]
    """,
    "0002_product_colour": """
        dependencies = [("shop", "0001_initial")]
        operations = [
            migrations.AddField("product", "colour", models.CharField(max_length=20, null=True)),
        ]
    """,
}
RELEASE_1_2 = {
    "0002_product_sku": """
        dependencies = [("shop", "0001_initial")]
        operations = [
            migrations.AddField("product", "sku", models.CharField(max_length=20, null=True)),
        ]
    """,
    "0003_merge": """
        dependencies = [("shop", "0002_product_colour"), ("shop", "0002_product_sku")]
        operations = []
    """,
    "0004_product_weight": """
        dependencies = [("shop", "0003_merge")]
        operations = [
            migrations.AddField("product", "weight", models.IntegerField(null=True)),
        ]
    """,
}


def write_migrations(files: dict[str, str]) -> None:
    """Add migration files to the page's migrations package of ``shop``."""
    directory = Path(import_module(settings.MIGRATION_MODULES["shop"]).__path__[0])
    for name, body in files.items():
        (directory / f"{name}.py").write_text(
            _HEADER + textwrap.indent(textwrap.dedent(body), "    ")
        )


def git_release(tag: str) -> str:
    """Commit the working directory (the project's checkout) and tag the commit `tag`."""
    if not Path(".git").exists():
        _git("init", "--quiet")
    Path("RELEASE").write_text(tag)
    _git("add", "RELEASE")
    _git("commit", "--quiet", "-m", f"Release {tag}")
    _git("tag", tag)
    return _git("rev-parse", "HEAD")


def _git(*arguments: str) -> str:
    command = ["git", "-c", "user.name=Docs", "-c", "user.email=docs@example.com", *arguments]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def deploy_release_1_1() -> None:
    """Release v1.1.0 is deployed: its migrations applied and its state saved."""
    write_migrations(RELEASE_1_1)
    git_release("v1.1.0")
    call_command("migrate", verbosity=0)
    migration_state.save_state()


def ship_release_1_2(deploy: bool = False) -> None:
    """The checkout is at v1.2.0; with `deploy`, its migrations are applied and saved too."""
    write_migrations(RELEASE_1_2)
    git_release("v1.2.0")
    if deploy:
        call_command("migrate", verbosity=0)
        migration_state.save_state()
