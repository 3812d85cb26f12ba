"""Releases of the ``lintapp`` app for the linter tests: models defined per release, and
their migrations written by ``makemigrations`` into a temporary package."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test.utils import override_settings

import tidemark_smooth_migrations as smooth
from tests.migration_support import drop_tables

APP = "lintapp"
HEAD = "class Migration(migrations.Migration):\n"
MODULE = "tests.smooth_migrations.lintapp.models"


def forget_models(app: str = APP) -> None:
    apps.all_models[app].clear()
    apps.clear_cache()


def define(
    models_: Mapping[str, Mapping[str, Any]], app: str = APP, module: str = MODULE
) -> dict[str, type[models.Model]]:
    """Replace the app's models with `models_`: name → fields (and optional "Meta" and
    "decorators")."""
    forget_models(app)
    made = {}
    for name, spec in models_.items():
        attrs = dict(spec)
        meta = {"app_label": app, **attrs.pop("Meta", {})}
        decorators = attrs.pop("decorators", ())
        attrs.update({"__module__": module, "Meta": type("Meta", (), meta)})
        model: Any = type(name, (models.Model,), attrs)
        for decorator in decorators:
            model = decorator(model)
        made[name] = model
    return made


class LintApp:
    """An app's migrations package for one test (lintapp's by default)."""

    def __init__(self, directory: Path, package: str, app: str = APP, module: str = MODULE) -> None:
        self.directory = directory
        self.package = package
        self.app = app
        self.module = module

    def release(self, models_: Mapping[str, Mapping[str, Any]], name: str | None = None) -> str:
        """Define the models and run makemigrations; the name of the migration it wrote."""
        define(models_, self.app, self.module)
        before = set(self.names())
        call_command("makemigrations", self.app, name=name, interactive=False, verbosity=0)
        [written] = sorted(set(self.names()) - before)
        return written

    def names(self) -> list[str]:
        return sorted(path.stem for path in self.directory.glob("0*.py"))

    def source(self, name: str) -> str:
        return (self.directory / f"{name}.py").read_text()

    def write(self, name: str, source: str) -> None:
        """Write (or rewrite) a migration, as a developer edits one."""
        (self.directory / f"{name}.py").write_text(source)
        for module in [m for m in sys.modules if m.startswith(self.package)]:
            del sys.modules[module]

    def edit(self, name: str, old: str, new: str) -> None:
        source = self.source(name)
        assert old in source, f"{old!r} is not in {name}:\n{source}"
        self.write(name, source.replace(old, new))

    def lint(self, *names: str, **kwargs: Any) -> smooth.LintResult:
        """Lint lintapp (only `names`, as one release, when given), with a lock_timeout
        assumed unless said otherwise (rule PG100 has tests of its own)."""
        kwargs.setdefault("lock_timeout", True)
        if names:
            kwargs["migrations"] = [(self.app, name) for name in names]
        else:
            kwargs.setdefault("app_label", self.app)
        return smooth.lint_migrations(**kwargs)


def temporary_app(tmp_path: Path, app: str = APP, module: str = MODULE) -> Iterator[LintApp]:
    """The body of a fixture: a temporary migrations package for `app`, cleaned up after."""
    package = f"lint_migrations_{uuid.uuid4().hex[:12]}"
    directory = tmp_path / package
    directory.mkdir()
    (directory / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    try:
        with override_settings(MIGRATION_MODULES={app: package}):
            yield LintApp(directory, package, app, module)
    finally:
        forget_models(app)
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith(package)]:
            del sys.modules[name]
        for alias in ("default", "other"):
            drop_tables(alias, [app])


@pytest.fixture
def lintapp(tmp_path: Path) -> Iterator[LintApp]:
    yield from temporary_app(tmp_path)


def codes(result: smooth.LintResult) -> list[tuple[str, str]]:
    """``(code, migration name)`` of every finding, in order."""
    return [(finding.code, finding.migration[1]) for finding in result.findings]


def errors(result: smooth.LintResult) -> list[tuple[str, str]]:
    return [(f.code, f.migration[1]) for f in result.findings if f.severity == "error"]


def empty(
    lintapp: LintApp, models_: Mapping[str, Any], *operations: str, atomic: bool = True
) -> str:
    """``makemigrations --empty``, then the developer writes `operations` into it."""
    define(models_)
    before = set(lintapp.names())
    call_command("makemigrations", APP, empty=True, verbosity=0)
    [name] = sorted(set(lintapp.names()) - before)
    body = "".join(f"        {operation},\n" for operation in operations)
    lintapp.edit(name, "operations = [\n    ]", f"operations = [\n{body}    ]")
    lintapp.edit(
        name,
        "from django.db import migrations",
        "import tidemark_smooth_migrations as smooth\nfrom django.db import migrations, models",
    )
    if not atomic:
        lintapp.edit(name, HEAD, HEAD + "    atomic = False\n")
    return name
