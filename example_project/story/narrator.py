"""The narrator: runs each command of the story in the checkout and says what it shows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import databases
from .checkout import Checkout

REPOSITORY = Path(__file__).resolve().parents[2]
DEMO_DIRECTORY = REPOSITORY / ".tidemark-demo"
DATABASE = "tidemark_demo"
USERNAME, PASSWORD = "admin", "tidemark-demo"
# Settings that would override the commit the deploy commands read from git.
OVERRIDES = ("TIDEMARK_RELEASE_COMMIT",)
TRACEBACK = "Exception detail:"


class DemoError(Exception):
    """The story cannot go on: a command ended otherwise than it expects, or git or the
    databases are missing."""


class Narrator:
    """Runs the story's commands and writes them, their output and what they show to `out`.

    Args:
        url: The PostgreSQL server (any database on it): ``DATABASE_URL`` or the embedded one.
        out: Where the story is told.
        directory: Where the checkout is built (``<directory>/shop``).
        database: The production database's name; staging's adds ``_staging``.
    """

    def __init__(
        self,
        url: str,
        out: TextIO = sys.stdout,
        directory: Path = DEMO_DIRECTORY,
        database: str = DATABASE,
    ) -> None:
        self.url = url
        self.out = out
        self.checkout = Checkout(directory / "shop")
        self.database = database
        self.staging_database = f"{database}_staging"
        self.styled = out.isatty()

    def style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.styled else text

    def write(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def heading(self, text: str) -> None:
        self.write()
        self.write(self.style(f"== {text}", "1;36"))

    def say(self, text: str) -> None:
        """A paragraph of the story."""
        self.write(textwrap.fill(text, width=96))

    def shows(self, text: str) -> None:
        """What the commands just run show."""
        self.write(self.style(textwrap.fill(text, width=96, initial_indent="-> ",
                                            subsequent_indent="   "), "1;32"))  # fmt: skip

    def git(self, *arguments: str) -> str:
        """Run git in the checkout, shown as a command of the story."""
        self.write(self.style(f"$ git {' '.join(arguments)}", "1"))
        output = self.checkout.git(*arguments)
        if output:
            self.write(output)
        return output

    def switch(self, tag: str) -> None:
        self.write(self.style(f"$ git checkout {tag}", "1"))
        self.checkout.switch(tag)

    def environment(self, name: str) -> dict[str, str]:
        """The environment of a ``manage.py`` process of `name` (production or staging)."""
        environment = {key: value for key, value in os.environ.items() if key not in OVERRIDES}
        environment.update(
            DJANGO_SETTINGS_MODULE="demo_site.settings",
            DATABASE_URL=self.url,
            TIDEMARK_DEMO_DATABASE=self.database,
            TIDEMARK_DEMO_ENVIRONMENT=name,
            PYTHONUNBUFFERED="1",
            # Compiled modules go to the demo's own directory, never into the checkout or
            # the environment; without them each command would compile Django again.
            PYTHONPYCACHEPREFIX=str(self.checkout.path.parent / "pycache"),
        )
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        return environment

    def manage(
        self,
        *arguments: str,
        staging: bool = False,
        expect: int = 0,
        shown_environment: Sequence[str] = (),
        extra_environment: dict[str, str] | None = None,
    ) -> str:
        """Run ``manage.py`` in the checkout, show it and its output; return the output.

        Raises:
            DemoError: It exited with another status than `expect`.
        """
        prefix = [*shown_environment]
        if staging:
            prefix.insert(0, "TIDEMARK_DEMO_ENVIRONMENT=staging")
        shown = " ".join([*prefix, "python", "manage.py", *map(quote, arguments)])
        self.write(self.style(f"$ {shown}", "1"))
        environment = self.environment("staging" if staging else "production")
        environment.update(extra_environment or {})
        colour = ["--force-color"] if self.styled else []
        return self.run([sys.executable, "manage.py", *arguments, *colour], environment, expect)

    def run(self, command: list[str], environment: dict[str, str], expect: int) -> str:
        lines, folded = [], 0
        with subprocess.Popen(
            command,
            cwd=self.checkout.path,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ) as process:
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.decode(errors="replace")
                lines.append(line)
                # apply_migrations prints the failed migration's traceback: count, not show it.
                if folded or line.rstrip() == TRACEBACK:
                    folded += 1
                    if not line.startswith("CommandError"):
                        continue
                    self.out.write(f"{TRACEBACK} (a traceback of {folded - 2} lines, left out)\n")
                    folded = 0
                self.out.write(line)
                self.out.flush()
        if process.returncode != expect:
            raise DemoError(
                f"`manage.py {' '.join(command[2:])}` exited with status {process.returncode}, "
                f"where the story expects {expect}: see its output above."
            )
        return "".join(lines)

    def clean(self) -> None:
        """Drop both databases and remove the directory of the checkout."""
        databases.drop(self.url, self.database, self.staging_database)
        shutil.rmtree(self.checkout.path.parent, ignore_errors=True)

    def serve(self, address: str) -> int:
        """Serve the admin of the checkout at `address` until interrupted."""
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", address, "--noreload"],
            cwd=self.checkout.path,
            env=self.environment("production"),
        )
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            process.wait()
            return 0


def quote(argument: str) -> str:
    """`argument` as a shell would need it written."""
    if argument and all(char.isalnum() or char in "-_./=:,@" for char in argument):
        return argument
    return "'" + argument.replace("'", "'\\''") + "'"
