"""``lint_migrations``: what it selects (app, migration, --since, --unapplied, baseline), its
output (text, JSON, GitHub annotations), its exit code and its errors."""

# Migration sources and expected messages are quoted whole, so some lines are long.
# ruff: noqa: E501

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.test.utils import override_settings

import tidemark_smooth_migrations as smooth
from tests.smooth_migrations.lint_support import LintApp

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def order(**extra: Any) -> dict[str, Any]:
    return {
        "name": models.CharField(max_length=50),
        "total": models.IntegerField(default=0),
        **extra,
    }


def three(lintapp: LintApp) -> list[str]:
    """0001 creates Order, 0002 adds an index (PG001), 0003 a nullable column (clean)."""
    index = models.Index(fields=["name"], name="order_name_idx")
    return [
        lintapp.release({"Order": order()}),
        lintapp.release({"Order": order(Meta={"indexes": [index]})}),
        lintapp.release(
            {"Order": order(Meta={"indexes": [index]}, note=models.TextField(null=True))}
        ),
    ]


def run(*args: str, **options: Any) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("lint_migrations", *args, stdout=out, **options)
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_text_output_names_file_line_lock_effect_and_fix(lintapp: LintApp) -> None:
    _first, second, _third = three(lintapp)

    output, code = run("lintapp", second)

    assert code == 1
    path = str(lintapp.directory / f"{second}.py")
    lines = output.splitlines()
    assert (
        lines[0]
        == f"{path}:13: error PG001 lintapp.{second}, operation 1 (Create index order_name_idx on field(s) name of model order)"
    )
    assert lines[1] == (
        "    CREATE INDEX order_name_idx runs without CONCURRENTLY on lintapp_order. It takes a "
        "SHARE lock on lintapp_order: blocks writes to lintapp_order while the index builds."
    )
    assert lines[2] == "    Safe alternative:"
    assert "          atomic = False" in lines
    assert "PG100" in output  # the test database has no lock_timeout
    assert lines[-1].startswith("1 migration(s) linted: 1 error(s), 1 warning(s), 0 suppressed.")


def test_json_output(lintapp: LintApp) -> None:
    three(lintapp)

    output, code = run("lintapp", json=True)

    data = json.loads(output)
    assert code == 1
    assert data["ok"] is False
    assert data["linted"] == [f"lintapp.{name}" for name in lintapp.names()]
    assert [(f["code"], f["severity"]) for f in data["findings"] if f["code"] != "PG100"] == [
        ("PG001", "error")
    ]
    finding = next(f for f in data["findings"] if f["code"] == "PG001")
    assert finding["lock"] == "SHARE"
    assert finding["table"] == "lintapp_order"
    assert finding["line"] == 13
    assert finding["operation"] == 1
    assert "smooth.AddIndexConcurrently" in finding["fix"]


def test_github_annotations(lintapp: LintApp, monkeypatch: pytest.MonkeyPatch) -> None:
    _first, second, _third = three(lintapp)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    output, code = run("lintapp", second)

    annotation = output.splitlines()[0]
    assert code == 1
    assert annotation.startswith(
        f"::error file={lintapp.directory / second}.py,line=13,title=PG001 CREATE INDEX without CONCURRENTLY on an existing table::"
    )
    assert "%0ASafe alternative:%0A" in annotation


def test_warnings_fail_only_with_warnings_as_errors(lintapp: LintApp) -> None:
    _first, _second, third = three(lintapp)

    assert run("lintapp", third)[1] == 0
    output, code = run("lintapp", third, warnings_as_errors=True)
    assert code == 1
    assert "warning PG100" in output


def test_unapplied_lints_what_the_database_lacks(lintapp: LintApp) -> None:
    _first, second, third = three(lintapp)
    call_command("migrate", "lintapp", second, verbosity=0)

    result = smooth.lint_migrations(unapplied=True, lock_timeout=True)

    assert result.linted == [("lintapp", third)]
    assert result.findings == []


def test_since_lints_files_changed_since_a_git_revision(
    lintapp: LintApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third = three(lintapp)
    repo = lintapp.directory.parent
    git(repo, "init", "-q")
    git(
        repo,
        "-c",
        "user.email=t@example.com",
        "-c",
        "user.name=t",
        "add",
        f"{lintapp.package}/{first}.py",
    )
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "release 1")
    monkeypatch.chdir(repo)

    with_gitpython = smooth.lint_migrations("lintapp", since="HEAD", lock_timeout=True)
    monkeypatch.setitem(sys.modules, "git", None)  # GitPython not installed: the git command
    with_cli = smooth.lint_migrations(since="HEAD", lock_timeout=True)

    for result in (with_gitpython, with_cli):
        assert result.linted == [("lintapp", second), ("lintapp", third)]
        assert [f.code for f in result.findings] == ["PG001"]


@pytest.mark.parametrize("gitpython", [True, False])
def test_since_errors(
    lintapp: LintApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, gitpython: bool
) -> None:
    three(lintapp)
    if not gitpython:
        monkeypatch.setitem(sys.modules, "git", None)
    outside = tmp_path / "not-a-repository"
    outside.mkdir()
    monkeypatch.chdir(outside)
    with pytest.raises(smooth.LintError, match="--since"):
        smooth.lint_migrations(since="HEAD")
    git(outside, "init", "-q")
    with pytest.raises(smooth.LintError, match=r"git does not know the revision 'v9\.9'"):
        smooth.lint_migrations(since="v9.9")


def test_baseline_skips_the_named_migration_and_earlier_ones(lintapp: LintApp) -> None:
    first, second, third = three(lintapp)

    with override_settings(TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE={"lintapp": second}):
        result = smooth.lint_migrations("lintapp", lock_timeout=True)
        output, code = run("lintapp")

    assert result.linted == [("lintapp", third)]
    assert result.skipped == [("lintapp", first), ("lintapp", second)]
    assert result.findings == []
    assert code == 0
    assert " error " not in output
    explicit = smooth.lint_migrations("lintapp", baseline={"lintapp": first}, lock_timeout=True)
    assert explicit.linted == [("lintapp", second), ("lintapp", third)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"app_label": "nowhere"}, "App 'nowhere' is not installed or has no migrations."),
        (
            {"app_label": "lintapp", "migration_name": "0009"},
            "no migration of 'lintapp' matches '0009'",
        ),
        (
            {"app_label": "lintapp", "migration_name": "000"},
            "more than one migration of 'lintapp' matches '000'",
        ),
        ({"since": "HEAD", "unapplied": True}, "Choose --since or --unapplied, not both."),
        ({"using": "lite"}, "The migration linter needs PostgreSQL"),
        ({"baseline": {"lintapp": "0042"}}, "Baseline: no migration of 'lintapp' matches '0042'"),
    ],
)
def test_bad_input_is_a_clear_error(lintapp: LintApp, kwargs: dict[str, Any], message: str) -> None:
    three(lintapp)

    with pytest.raises(smooth.LintError) as caught:
        smooth.lint_migrations(**kwargs)

    assert message in str(caught.value)


def test_command_reports_bad_input_as_command_error(lintapp: LintApp) -> None:
    three(lintapp)

    with pytest.raises(CommandError, match="App 'nowhere' is not installed"):
        call_command("lint_migrations", "nowhere")


def test_baseline_setting_is_checked() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with (
        override_settings(TIDEMARK_SMOOTH_MIGRATIONS_LINT_BASELINE=["shop"]),
        pytest.raises(ImproperlyConfigured, match="must be a dict of app label to migration name"),
    ):
        smooth.lint_migrations()


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_apply_migrations_lint_refuses_a_plan_with_errors_before_the_first_statement(
    lintapp: LintApp,
) -> None:
    from django.db import connection

    first, second, _third = three(lintapp)
    call_command("apply_migrations", "lintapp", first, "--lint", verbosity=0)

    with pytest.raises(CommandError) as caught:
        call_command("apply_migrations", "lintapp", "--lint", verbosity=0)

    message = str(caught.value)
    assert message.startswith(
        "The migration linter found 1 error(s) in the plan, so nothing was applied:"
    )
    assert f"error PG001 lintapp.{second}" in message
    assert "smooth.safety_assured" in message
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM django_migrations WHERE app = 'lintapp' ORDER BY name")
        assert cursor.fetchall() == [(first,)]
    with pytest.raises(smooth.UnsafeMigrationsError) as refused:
        smooth.apply_migrations("lintapp", using="default", lint=True)
    assert [f.code for f in refused.value.result.errors] == ["PG001"]

    # Accepted in the migration: the run goes ahead, warnings (PG100) do not stop it.
    lintapp.edit(
        second,
        "from django.db import",
        "import tidemark_smooth_migrations as smooth\nfrom django.db import",
    )
    lintapp.edit(
        second,
        "operations = [\n",
        'operations = [\n        smooth.safety_assured(reason="small table", rules=["PG001"]),\n',
    )
    call_command("apply_migrations", "lintapp", "--lint", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'lintapp'")
        assert cursor.fetchone() == (3,)
    assert smooth.apply_migrations("lintapp", lint=True).plan.forwards == ()
