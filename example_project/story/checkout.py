"""The shop's code: a git repository with one tagged commit per release.

A release is the base (``example_project/base``: settings, admin, datasets, the demo's
commands) with the overlays of every release up to it laid over it
(``example_project/releases/v1``, ``v2``, ...: each release's models and the migrations it
adds). Each release is committed and tagged, so the deploy commands read a real commit and
real git tags, as on a server that deploys a checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent
BASE = EXAMPLE / "base"
RELEASES = EXAMPLE / "releases"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


class GitError(Exception):
    """git is missing, or one of its commands failed."""


def release_tags() -> list[str]:
    """The releases in order: ``v1``, ``v2``, ... (the folders of ``releases/``)."""
    tags = [path.name for path in RELEASES.iterdir() if path.name[1:].isdigit()]
    return sorted(tags, key=lambda tag: int(tag[1:]))


class Checkout:
    """The git repository of the shop's releases at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def build(self) -> None:
        """Make the repository afresh: one commit per release, tagged with its name."""
        if self.path.exists():
            shutil.rmtree(self.path)
        shutil.copytree(BASE, self.path, ignore=IGNORED)
        self.git("init", "--quiet")
        for number, tag in enumerate(release_tags(), start=1):
            shutil.copytree(RELEASES / tag, self.path, ignore=IGNORED, dirs_exist_ok=True)
            self.git("add", "--all")
            # Fixed dates: the same files give the same commits on every run.
            date = f"2026-01-{number:02d}T12:00:00+00:00"
            self.git("commit", "--quiet", "-m", f"Release {tag}", date=date)
            self.git("tag", tag)

    def switch(self, tag: str) -> None:
        """Check out the release `tag` (a detached HEAD, as a deploy does)."""
        self.git("checkout", "--quiet", tag)

    def commit(self, tag: str) -> str:
        """The commit SHA of the release `tag`."""
        return self.git("rev-parse", f"{tag}^{{commit}}")

    def head(self) -> str:
        """The release checked out (its tag), or the commit when HEAD carries no tag."""
        tags = self.git("tag", "--points-at", "HEAD").split()
        return tags[0] if tags else self.git("rev-parse", "HEAD")

    def git(self, *arguments: str, date: str | None = None) -> str:
        environment = dict(os.environ)
        if date is not None:
            environment.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        command = [
            "git",
            "-c", "user.name=Tidemark demo",
            "-c", "user.email=demo@example.com",
            "-c", "init.defaultBranch=main",
            "-c", "advice.detachedHead=false",
            "-c", "commit.gpgsign=false",
            *arguments,
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, cwd=self.path, env=environment, capture_output=True, text=True, check=False
            )
        except FileNotFoundError:
            raise GitError("The demo needs git: install it (e.g. apt-get install git).") from None
        if done.returncode != 0:
            raise GitError(f"git {' '.join(arguments)} failed: {done.stderr.strip()}")
        return done.stdout.strip()
