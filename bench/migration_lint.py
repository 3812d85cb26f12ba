"""Migration linter: lint 500 generated migrations with Tidemark and django-migration-linter.

    python bench/migration_lint.py [--migrations 500] [--anchor-timeout 900]

The migrations form one app's history as a project grows it: 50 models created, then
adds, alters, indexes, constraints, removals and RunSQL data changes on them. Each tool
lints all of them from the command line in a process of its own (start-up included),
against the same PostgreSQL. Target: Tidemark <= 10 s for 500 migrations. The anchor is
timed in the same run when it is installed (the bench environment has it).
"""

# Migration sources and expected messages are quoted whole, so some lines are long.
# ruff: noqa: E501

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

from tidemark_core.devdb import database_url

PROJECT = Path(__file__).resolve().parent / "lint_project"
MODELS = 50
TARGET_SECONDS = 10.0

HEADER = "from django.db import migrations, models\nimport django.db.models.deletion\n\n\n"


def create_model(k: int) -> str:
    parent = (
        f'("parent", models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to="lintbench.m{k - 1}")),'
        if k
        else ""
    )
    return (
        f'migrations.CreateModel(name="M{k}", fields=['
        '("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),'
        '("name", models.CharField(max_length=100)),'
        '("amount", models.IntegerField(default=0)),'
        '("created", models.DateTimeField(null=True)),'
        f"{parent}])"
    )


class History:
    """Generates consistent operations: it remembers the fields each model has."""

    def __init__(self) -> None:
        self.extra: dict[int, list[str]] = {m: [] for m in range(MODELS)}
        self.length = dict.fromkeys(range(MODELS), 100)

    def operations(self, k: int) -> list[str]:
        if k < MODELS:
            return [create_model(k)]
        m = (k * 7) % MODELS
        kind = k % 10
        model = f'"m{m}"'
        if kind == 8 and self.extra[m]:
            return [f"migrations.RemoveField({model}, {self.extra[m].pop(0)!r})"]
        if kind in (0, 8):
            self.extra[m].append(f"f{k}")
            return [f'migrations.AddField({model}, "f{k}", models.IntegerField(null=True))']
        if kind == 1:
            return [
                f'migrations.AddField({model}, "g{k}", models.CharField(max_length=20, default="x"))'
            ]
        if kind == 2:
            return [f'migrations.AddIndex({model}, models.Index(fields=["name"], name="i_{k}"))']
        if kind == 3:
            self.length[m] += 10
            return [
                f'migrations.AlterField({model}, "name", models.CharField(max_length={self.length[m]}))'
            ]
        if kind == 4:
            return [f'migrations.AddField({model}, "b{k}", models.BooleanField(db_default=False))']
        if kind == 5:
            return [
                f'migrations.RunSQL("UPDATE lintbench_m{m} SET amount = amount + 1 WHERE id < 0", '
                "migrations.RunSQL.noop)"
            ]
        if kind == 6:
            return [
                f"migrations.AddConstraint({model}, models.CheckConstraint("
                f'condition=models.Q(amount__gte=-{k}), name="c_{k}"))'
            ]
        if kind == 7:
            return [
                f'migrations.AddField({model}, "t{k}", models.TextField(null=True))',
                f'migrations.AlterField({model}, "t{k}", models.TextField(null=True, blank=True))',
            ]
        other = (m + 1) % MODELS
        return [
            f'migrations.AddField({model}, "r{k}", models.ForeignKey(null=True, '
            f'on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="lintbench.m{other}"))'
        ]


def generate(directory: Path, count: int) -> None:
    directory.mkdir(parents=True)
    (directory / "__init__.py").write_text("")
    history = History()
    previous = None
    for k in range(count):
        name = f"{k + 1:04d}_step"
        dependencies = f'[("lintbench", "{previous}")]' if previous else "[]"
        operations = ",\n        ".join(history.operations(k))
        (directory / f"{name}.py").write_text(
            HEADER
            + "class Migration(migrations.Migration):\n"
            + f"    dependencies = {dependencies}\n"
            + f"    operations = [\n        {operations},\n    ]\n"
        )
        previous = name


def run(args: list[str], env: dict[str, str], timeout: float) -> tuple[float, str, int | None]:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(PROJECT / "manage.py"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, "", None
    return time.perf_counter() - start, done.stdout, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--migrations", type=int, default=500)
    parser.add_argument("--anchor-timeout", type=float, default=900.0)
    options = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or database_url("postgres")
    with tempfile.TemporaryDirectory() as temp:
        package = "bench_lint_migrations"
        generate(Path(temp) / package, options.migrations)
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "PYTHONPATH": os.pathsep.join([str(PROJECT), temp]),
            "BENCH_DATABASE_URL": url,
            "BENCH_LINT_MIGRATIONS": package,
        }
        run(["check"], env, 120)  # warm the bytecode caches of both tools
        seconds, output, _code = run(["lint_migrations", "lintbench", "--json"], env, 600)
        data = json.loads(output)
        if len(data["linted"]) != options.migrations:
            raise SystemExit(
                f"Tidemark linted {len(data['linted'])} migrations, not {options.migrations}."
            )
        counts: dict[str, int] = {}
        for finding in data["findings"]:
            counts[finding["code"]] = counts.get(finding["code"], 0) + 1
        anchor: str
        if find_spec("django_migration_linter"):
            anchor_seconds, anchor_output, anchor_code = run(
                ["lintmigrations", "lintbench", "--no-cache"], env, options.anchor_timeout
            )
            if anchor_code is None:
                anchor = f"did not finish in {options.anchor_timeout:.0f} s"
            else:
                anchor = f"{anchor_seconds:.2f} s ({anchor_seconds / seconds:.1f}x Tidemark's time)"
                summary = [line for line in anchor_output.splitlines() if "migrations:" in line]
                print("django-migration-linter says: " + "; ".join(summary))
        else:
            anchor = "not installed"
    met = seconds <= TARGET_SECONDS * options.migrations / 500
    print(f"migrations={options.migrations}")
    print(f"Tidemark lint_migrations: {seconds:.2f} s, findings by rule: {counts}")
    print(f"django-migration-linter lintmigrations: {anchor}")
    print(f"target <= {TARGET_SECONDS:.0f} s per 500 migrations: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
