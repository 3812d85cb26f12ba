"""Console blocks: split them into commands and their shown output, and check each command.

A console block either prompts (``$ command`` lines, each followed by the output it shows,
``# comment`` lines ignored) or lists bare commands (one a line, ``# comments`` ignored).
What each command may be, and how it is checked:

- ``python manage.py …`` (or ``./manage.py``, ``manage.py``): runs for real, in the test
  process through Django's ``ManagementUtility`` (what ``manage.py`` runs), against the
  suite's test databases, in the page's working directory. It must exit 0, or non-zero when
  its shown output has a ``CommandError:`` or ``SystemCheckError:``
  line; every shown output line must be printed
  (see `tests.docs.output`).
- ``make TARGET… [VAR=value]``: each target is one of the Makefile's, each variable one it
  reads.
- ``pip install …``: each requirement names a distribution of this repository (or a wheel
  ``make build`` writes into ``dist/``) with extras it declares and a version it has.
  ``pip uninstall`` names one of the tools Tidemark replaces.
- Anything else is refused: commands of the reader's own environment (docker, gunicorn,
  a deploy script) belong in a ``sh`` block, which is not run.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management import ManagementUtility
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from tests.docs.output import missing_output

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ("manage.py", "./manage.py")
ANCHORS = {"django-rollback", "django-smooth-migrations", "django-pghistory", "feincms3-data"}
PIP_FLAGS = {"-U", "--upgrade", "--pre", "--no-index"}
PIP_OPTIONS = {"-f", "--find-links"}
# Shown output with one of these lines is the output of a command that fails (exits non-zero).
FAILURES = ("CommandError:", "SystemCheckError:")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


class ConsoleError(AssertionError):
    """A command of a console block is wrong: unknown, failing, or printing other output."""


@dataclass
class Command:
    """One command of a console block, with the output the page shows for it."""

    text: str
    output: list[str] = field(default_factory=list)

    def words(self) -> list[list[str]]:
        """The command's words, one list per command of a ``&&`` chain."""
        chains: list[list[str]] = [[]]
        for word in shlex.split(self.text, comments=True):
            if word == "&&":
                chains.append([])
            else:
                chains[-1].append(word)
        return [words for words in chains if words]


def parse(block: str) -> list[Command]:
    """The commands of a console block, continuation lines (``\\``) joined."""
    lines = block.replace("\\\n", " ").splitlines()
    prompted = any(line.startswith("$ ") for line in lines)
    commands: list[Command] = []
    for line in lines:
        if prompted and line.startswith("$ "):
            commands.append(Command(line[2:]))
        elif line.lstrip().startswith("#") or not line.strip():
            continue
        elif not prompted:
            commands.append(Command(line))
        elif commands:
            commands[-1].output.append(line)
        else:
            raise ConsoleError(f"output before the first $ command: {line!r}")
    return commands


def run(command: Command) -> None:
    """Check or run `command` as the module docstring says; raise `ConsoleError` if wrong."""
    for words in command.words():
        environment = {}
        while words and _ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            environment[name] = value
        if words[:2] == ["python", "-m"] and words[2:3] == ["pip"]:
            words = words[2:]
        if words[0] == "python" and len(words) > 1 and words[1] in MANAGE:
            words = words[1:]
        if words[0] in MANAGE:
            _manage(words[1:], environment, command)
        elif command.output:
            raise ConsoleError(
                f"{command.text!r}: the docs test checks the output of manage.py commands "
                "only; show other output in a ```text block"
            )
        elif words[0] == "make":
            check_make(words[1:])
        elif words[0] == "pip":
            check_pip(words[1:])
        else:
            raise ConsoleError(
                f"{command.text!r}: the docs test runs manage.py, make and pip commands; "
                "put commands of the reader's own environment in a ```sh block"
            )


def _manage(arguments: list[str], environment: dict[str, str], command: Command) -> None:
    code, printed = call_manage(arguments, environment)
    expect_failure = any(line.startswith(FAILURES) for line in command.output)
    if (code != 0) != expect_failure:
        wanted = "fail" if expect_failure else "succeed"
        raise ConsoleError(
            f"{command.text!r} should {wanted} but exited {code}; it printed:\n{printed}"
        )
    problem = missing_output(command.output, printed)
    if problem:
        raise ConsoleError(f"{command.text!r}: {problem}; it printed:\n{printed}")


def call_manage(arguments: list[str], environment: dict[str, str]) -> tuple[int, str]:
    """Run ``manage.py ARGUMENTS`` in this process; its exit code and everything it printed."""
    printed = io.StringIO()
    code: int | str | None = 0
    with _environment(environment), redirect_stdout(printed), redirect_stderr(printed):
        argv, sys.argv = sys.argv, ["manage.py", *arguments]
        try:
            ManagementUtility(sys.argv).execute()
        except SystemExit as exit:
            code = exit.code
        finally:
            sys.argv = argv
    if isinstance(code, str):
        printed.write(code)
        code = 1
    return code or 0, printed.getvalue()


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def check_make(arguments: list[str]) -> None:
    """Each target is one of the Makefile's and each ``VAR=value`` a variable it reads."""
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"(?m)^([a-z0-9-]+):", makefile))
    variables = set(re.findall(r"\$\(([A-Z_]+)\)", makefile))
    if not arguments:
        raise ConsoleError("`make` alone: name the target")
    for argument in arguments:
        name, assigns, _ = argument.partition("=")
        if assigns and name not in variables:
            raise ConsoleError(f"make: the Makefile does not read the variable {name}")
        if not assigns and argument not in targets:
            raise ConsoleError(f"make: no target {argument!r} (targets: {sorted(targets)})")


def distributions() -> dict[str, dict[str, object]]:
    """This repository's distributions: canonical name → version and declared extras."""
    result = {}
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text())["project"]
        result[canonicalize_name(project["name"])] = {
            "version": project["version"],
            "extras": set(project.get("optional-dependencies", {})),
        }
    return result


def check_pip(arguments: list[str]) -> None:
    """``pip install`` names this repository's distributions; ``pip uninstall`` an anchor's."""
    if arguments[:1] == ["uninstall"]:
        for name in (word for word in arguments[1:] if not word.startswith("-")):
            if canonicalize_name(name) not in ANCHORS:
                raise ConsoleError(f"pip uninstall {name}: not one of the tools Tidemark replaces")
        return
    if arguments[:1] != ["install"] or len(arguments) < 2:
        raise ConsoleError(f"pip {' '.join(arguments)}: only pip install and uninstall are checked")
    words = iter(arguments[1:])
    for word in words:
        if word in PIP_FLAGS:
            continue
        if word in PIP_OPTIONS or word.startswith("--find-links="):
            directory = word.partition("=")[2] or next(words, "")
            if directory.rstrip("/") != "dist":
                raise ConsoleError(f"pip {word}: wheels are found in dist/ (make build)")
        elif word.startswith("-"):
            raise ConsoleError(f"pip install {word}: an option the docs test does not know")
        else:
            check_requirement(word)


def check_requirement(text: str) -> None:
    """`text` is one of this repository's distributions, extras and versions, or its wheel."""
    known = distributions()
    wheel = re.fullmatch(
        r"dist/(?P<name>[a-z_]+)-(?P<version>[^-]+)-py3-none-any\.whl(?P<extras>\[.*\])?", text
    )
    if wheel:
        text = f"{wheel['name']}{wheel['extras'] or ''}=={wheel['version']}"
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise ConsoleError(f"pip install {text}: {error}") from None
    name = canonicalize_name(requirement.name)
    if name not in known:
        raise ConsoleError(f"pip install {text}: {name} is not a distribution of this repository")
    extras = requirement.extras - known[name]["extras"]  # type: ignore[operator]
    if extras:
        raise ConsoleError(f"pip install {text}: {name} has no extra {sorted(extras)}")
    version = str(known[name]["version"])
    if not requirement.specifier.contains(version, prereleases=True):
        raise ConsoleError(f"pip install {text}: the version here is {version}")
