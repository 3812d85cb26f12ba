"""The repository's promises: one version everywhere, pinned cores, a public API per package."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.api import assert_public_api

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted((ROOT / "packages").iterdir())


def project(package: Path) -> dict:
    return tomllib.loads((package / "pyproject.toml").read_text())["project"]


def test_five_distributions_share_one_version_and_pin_the_same_core() -> None:
    projects = {project(package)["name"]: project(package) for package in PACKAGES}
    assert set(projects) == {
        "django-tidemark-core",
        "django-tidemark-history",
        "django-tidemark-migration-state",
        "django-tidemark-smooth-migrations",
        "django-tidemark-data-sync",
    }
    version = projects["django-tidemark-core"]["version"]
    assert {meta["version"] for meta in projects.values()} == {version}
    for name, meta in projects.items():
        if name != "django-tidemark-core":
            assert f"django-tidemark-core=={version}" in meta["dependencies"], name


def test_every_distribution_offers_the_database_driver_as_an_extra() -> None:
    """``pip install "django-tidemark-history[psycopg]"`` brings a driver Django can use."""
    core = project(ROOT / "packages" / "core")
    assert core["optional-dependencies"]["psycopg"] == ["psycopg[binary]>=3.2"]
    assert core["optional-dependencies"]["psycopg2"] == ["psycopg2-binary>=2.9.10"]
    pin = f"=={core['version']}"
    for package in PACKAGES:
        if package.name != "core":
            assert project(package)["optional-dependencies"] == {
                "psycopg": [f"django-tidemark-core[psycopg]{pin}"],
                "psycopg2": [f"django-tidemark-core[psycopg2]{pin}"],
            }, package.name


def test_every_distribution_declares_each_supported_django() -> None:
    for package in PACKAGES:
        classifiers = project(package)["classifiers"]
        for django in ("5.2", "6.0", "6.1"):
            assert f"Framework :: Django :: {django}" in classifiers, package.name


def test_each_package_ships_typing_readme_and_license() -> None:
    for package in PACKAGES:
        import_name = "tidemark_" + package.name.replace("-", "_")
        assert (package / "src" / import_name / "py.typed").exists()
        assert (package / "README.md").read_text().startswith(f"# django-tidemark-{package.name}")
        assert (package / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()


def test_no_package_reaches_another_app_by_name() -> None:
    """import-linter sees static imports; this catches the dynamic ones it cannot see."""
    by_name = re.compile(
        r"(?:import_module|__import__|is_installed|get_app_config|get_model)"
        r"\(\s*[\"'](tidemark_\w+)"
    )
    for package in PACKAGES:
        own = "tidemark_" + package.name.replace("-", "_")
        for path in sorted((package / "src").rglob("*.py")):
            for name in by_name.findall(path.read_text()):
                assert name == own, f"{path.relative_to(ROOT)} reaches {name} by name"


def test_commands_are_thin() -> None:
    """A command parses, calls one library function and prints: ``handle`` stays short."""
    for path in sorted(ROOT.glob("packages/*/src/*/management/commands/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name == "handle":
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                assert length <= 25, f"{path.relative_to(ROOT)}: handle() has {length} lines"


def test_runtime_version_comes_from_the_package_metadata() -> None:
    import tidemark_core

    assert tidemark_core.__version__ == project(ROOT / "packages" / "core")["version"]


def test_bump_version_changes_every_distribution(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "packages", copy / "packages", ignore=shutil.ignore_patterns("src"))
    shutil.copytree(ROOT / "scripts", copy / "scripts")
    shutil.copy(ROOT / "CHANGELOG.md", copy / "CHANGELOG.md")

    # Run from elsewhere: the script finds the repository from its own path.
    subprocess.run(
        [sys.executable, str(copy / "scripts" / "bump_version.py"), "0.2.0"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )

    for package in sorted((copy / "packages").iterdir()):
        meta = project(package)
        assert meta["version"] == "0.2.0"
        if package.name != "core":
            assert "django-tidemark-core==0.2.0" in meta["dependencies"]
            assert meta["optional-dependencies"]["psycopg"] == [
                "django-tidemark-core[psycopg]==0.2.0"
            ]
    changelog = (copy / "CHANGELOG.md").read_text()
    assert "## 0.2.0" in changelog
    # The unreleased entries now stand under the new version, and Unreleased starts empty.
    assert changelog.index("## Unreleased") < changelog.index("## 0.2.0") < changelog.index("### ")


def test_bump_version_rejects_a_malformed_version(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bump_version.py"), "v2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "not a version" in result.stderr


def test_public_api_is_exactly_the_sorted_all() -> None:
    assert_public_api("tidemark_core")


def test_history_context_is_a_no_op_without_history() -> None:
    from tidemark_core import history_context

    with history_context(command="rollback_migrations") as value:
        assert value is None
