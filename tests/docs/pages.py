"""Run the examples of one page of docs/, in order, the way a reader would.

Sybil finds the ```python and ```console blocks of a page, visible or invisible
(``<!-- invisible-code-block: python … -->`` holds what a page assumes but does not show, such
as the models it talks about). The blocks of one page share one namespace and one working
directory; every page starts afresh.

Python blocks run in this process, in a namespace whose ``__name__`` is ``shop.models``, so
the models they declare belong to the docs' ``shop`` app. After a block that declares or
changes models, the page's migrations are made and applied, as a reader would run
``makemigrations`` and ``migrate``: tables, event tables and triggers are real. A block whose
first line is a comment naming a file is that file:

- ``# settings.py``: each setting must be Django's or a Tidemark app's; apps and middleware
  must exist; other settings apply to the rest of the page, and the system checks must pass;
- ``# shop/datasets.py`` (any module of ``shop``): importable as ``shop.datasets`` for the
  rest of the page;
- ``# shop/migrations/0002_backfill.py``: a migration file of the page's ``shop`` app.

A block made only of UPPERCASE assignments is a settings block too. Console blocks: see
`tests.docs.console`.
"""

from __future__ import annotations

import ast
import importlib
import os
import sys
import types
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import global_settings, settings
from django.core import checks
from django.core.management import call_command
from django.db import connections
from django.test.utils import override_settings
from django.utils.module_loading import import_string
from sybil import Document, Example
from sybil.parsers.markdown import CodeBlockParser

from tests.app_registry import forget_models
from tests.docs import console
from tests.docs.settings_reference import declared_settings
from tests.migration_support import drop_tables

APP = "shop"
ALIASES = ("default", "staging")
_FILE_HEADER = "# "


class Page:
    """The state one page's examples share: namespace, settings, migrations, directory."""

    def __init__(self, path: Path, directory: Path) -> None:
        self.path = path
        self.directory = directory
        # The page's project: its working directory holds shop/migrations/, as a reader's does.
        self.work = directory / "work"
        self.migrations = self.work / APP / "migrations"
        self.overrides: list[override_settings] = []
        self.modules: list[str] = []
        self.models: dict[str, type] = {}

    def document(self) -> Document:
        """The page parsed into its examples, evaluated by this page's evaluators."""
        return Document.parse(
            str(self.path),
            CodeBlockParser("python", self.python),
            CodeBlockParser("console", self.console),
        )

    def run(self) -> None:
        """Evaluate every example of the page in order; the first failure raises."""
        self.migrations.mkdir(parents=True)
        (self.migrations / "__init__.py").write_text("")
        # `shop` is the docs' app package; its migrations are this page's.
        sys.modules[APP].__path__.append(str(self.work / APP))
        importlib.invalidate_caches()
        self._override(MIGRATION_MODULES={APP: f"{APP}.migrations"})
        cwd = Path.cwd()
        os.chdir(self.work)
        try:
            document = self.document()
            document.namespace["__name__"] = f"{APP}.models"
            for example in document:
                example.evaluate()
        finally:
            os.chdir(cwd)
            self.clean_up()

    # Python blocks.

    def python(self, example: Example) -> None:
        source = str(example.parsed)
        header = source.splitlines()[0] if source.strip() else ""
        target = header[len(_FILE_HEADER) :].strip() if header.startswith(_FILE_HEADER) else ""
        if target == "settings.py" or (not target.endswith(".py") and _only_settings(source)):
            self.settings_block(example)
        elif target.startswith(f"{APP}/migrations/"):
            name = Path(target).name
            (self.migrations / name).write_text(source)
            self.migrate(make=False)
        elif (
            target.startswith(f"{APP}/") and target.endswith(".py") and target != f"{APP}/models.py"
        ):
            self.module_block(example, target[:-3].replace("/", "."))
        else:
            # A class declared again is the model's next release: it replaces the previous.
            forget_models(APP, _class_names(source))
            before = dict(apps.all_models[APP])
            _exec(example, example.namespace)
            self.publish_models()
            if apps.all_models[APP] != before:
                self.migrate()

    def settings_block(self, example: Example) -> None:
        namespace: dict[str, Any] = {"__name__": "docs_settings"}
        _exec(example, namespace)
        known = {name for name in dir(global_settings) if name.isupper()} | declared_settings()
        values = {name: value for name, value in namespace.items() if name.isupper()}
        for name, value in values.items():
            if name not in known:
                raise AssertionError(f"{name} is neither a Django nor a Tidemark setting")
            if name == "INSTALLED_APPS":
                missing = [app for app in value if app not in settings.INSTALLED_APPS]
                assert not missing, f"INSTALLED_APPS names apps that do not exist: {missing}"
            elif name == "MIDDLEWARE":
                for path in value:
                    import_string(path)
            elif name == "DATABASES":
                assert value["default"]["ENGINE"] == "django.db.backends.postgresql", value
        applied = {
            name: value
            for name, value in values.items()
            if name not in ("INSTALLED_APPS", "MIDDLEWARE", "DATABASES")
        }
        if applied:
            self._override(**applied)
        errors = [message for message in checks.run_checks() if message.is_serious()]
        assert not errors, f"system checks fail with these settings: {errors}"

    def module_block(self, example: Example, name: str) -> None:
        module = types.ModuleType(name)
        module.__file__ = str(self.work / f"{name.replace('.', '/')}.py")
        sys.modules[name] = module
        self.modules.append(name)
        parent, _, child = name.rpartition(".")
        setattr(sys.modules[parent], child, module)
        _exec(example, module.__dict__)

    def publish_models(self) -> None:
        """Make the page's models importable from ``shop.models``, as a project's would be."""
        module = sys.modules[f"{APP}.models"]
        for model in apps.get_app_config(APP).get_models(include_auto_created=True):
            setattr(module, model.__name__, model)
            self.models[model.__name__] = model

    def migrate(self, make: bool = True) -> None:
        """What a reader runs after declaring models: makemigrations, then migrate."""
        if make:
            call_command("makemigrations", APP, interactive=False, verbosity=0)
        for alias in ALIASES:
            call_command("migrate", APP, database=alias, verbosity=0)

    # Console blocks.

    def console(self, example: Example) -> None:
        for command in console.parse(str(example.parsed)):
            console.run(command)

    # The end of the page.

    def _override(self, **values: Any) -> None:
        override = override_settings(**values)
        override.enable()
        self.overrides.append(override)

    def clean_up(self) -> None:
        forget_models(APP)
        module = sys.modules[f"{APP}.models"]
        for name in self.models:
            if hasattr(module, name):
                delattr(module, name)
        for name in self.modules:
            sys.modules.pop(name, None)
            parent, _, child = name.rpartition(".")
            if hasattr(sys.modules.get(parent), child):
                delattr(sys.modules[parent], child)
        for name in [name for name in sys.modules if name.startswith(f"{APP}.migrations")]:
            del sys.modules[name]
        if hasattr(sys.modules[APP], "migrations"):
            delattr(sys.modules[APP], "migrations")
        while self.overrides:
            self.overrides.pop().disable()
        sys.modules[APP].__path__.remove(str(self.work / APP))
        for alias in ALIASES:
            drop_tables(alias, [APP])
            connections[alias].close()


def _class_names(source: str) -> list[str]:
    return [node.name for node in ast.parse(source).body if isinstance(node, ast.ClassDef)]


def _only_settings(source: str) -> bool:
    """Whether `source` only imports and assigns UPPERCASE names (a settings snippet)."""
    body = ast.parse(source).body
    assignments = [node for node in body if isinstance(node, ast.Assign | ast.AnnAssign)]
    if not assignments or len(assignments) + sum(
        isinstance(node, ast.Import | ast.ImportFrom) for node in body
    ) != len(body):
        return False
    targets = [
        target
        for node in assignments
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
    ]
    return all(isinstance(target, ast.Name) and target.id.isupper() for target in targets)


def _exec(example: Example, namespace: dict[str, Any]) -> None:
    """Execute a Python block with tracebacks pointing at the page's own lines."""
    source = str(example.parsed)
    padded = "\n" * (example.line + example.parsed.line_offset) + source
    exec(compile(padded, example.path, "exec", dont_inherit=True), namespace)
    namespace.pop("__builtins__", None)
