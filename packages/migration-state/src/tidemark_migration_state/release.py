"""Release identity: the commit and tags of the code being deployed, git optional.

GitPython is imported only when git is actually consulted, so the app works in images
without ``.git`` and on hosts without a ``git`` binary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import conf
from .exceptions import ReleaseUnknown


@dataclass(frozen=True)
class Release:
    """The commit and tags of a release.

    Attributes:
        commit: The hex SHA, lower case.
        tags: Its tags, sorted.
        source: Where the commit came from: ``"argument"``, ``"setting"`` or ``"git"``.
        warnings: Problems met while reading git that did not prevent the result.
    """

    commit: str
    tags: tuple[str, ...]
    source: str
    warnings: tuple[str, ...] = ()


def validate_commit(commit: str) -> str:
    """`commit` stripped and lower-cased.

    Raises:
        ReleaseUnknown: It is not 4 to 64 hexadecimal digits.
    """
    value = commit.strip().lower()
    if not conf.COMMIT_PATTERN.match(value):
        raise ReleaseUnknown(f"{commit!r} is not a git commit: expected {conf.COMMIT_ACCEPTED}.")
    return value


def find_git_directory(path: str | Path) -> Path | None:
    """The directory holding ``.git`` at or above `path`, without importing GitPython."""
    start = Path(path).resolve()
    return next((p for p in (start, *start.parents) if (p / ".git").exists()), None)


def _git_repo(path: str | Path) -> Any:
    try:
        import git
    except ImportError as error:  # GitPython raises ImportError when no git binary works.
        raise ReleaseUnknown(
            f"git is needed to read the release from {str(path)!r}, but it cannot be used "
            f"({str(error).splitlines()[0]}). Install git, or pass --commit SHA (or set "
            f"{conf.COMMIT_SETTING} / {conf.COMMIT_ENVIRONMENT_VARIABLE})."
        ) from None
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise ReleaseUnknown(
            f"No git repository at or above {str(path)!r}, so the release commit is unknown. "
            f"Pass --commit SHA, or set {conf.COMMIT_SETTING} (setting) or "
            f"{conf.COMMIT_ENVIRONMENT_VARIABLE} (environment variable), e.g. at image build "
            "time: ENV TIDEMARK_RELEASE_COMMIT=$(git rev-parse HEAD)."
        ) from None


def git_tags(repo: Any, commit: str) -> list[str]:
    """The tags of `repo` that point at `commit` (a full SHA or a prefix of one)."""
    found = []
    for tag in repo.tags:
        try:
            sha = tag.commit.hexsha
        except ValueError:  # a tag of a tree or blob
            continue
        if sha.startswith(commit):
            found.append(tag.name)
    return sorted(found)


def current_release(path: str | Path = ".", commit: str | None = None) -> Release:
    """The commit and git tags of the release to record.

    The commit is `commit` when given, else the setting ``TIDEMARK_MIGRATION_STATE_COMMIT``,
    else the environment variable ``TIDEMARK_RELEASE_COMMIT``, else git ``HEAD`` of the
    repository at or above `path` (a detached ``HEAD`` works too). Tags are read from git
    when a repository is there; without one the release simply has no git tags.

    Raises:
        ReleaseUnknown: No commit was given and git cannot provide one; the message says
            what to pass instead.
    """
    source = "argument"
    if commit is None:
        commit = conf.configured_commit()
        source = "setting"
    if commit is not None:
        sha = validate_commit(commit)
        warnings: list[str] = []
        tags: list[str] = []
        if find_git_directory(path) is not None:
            try:
                tags = git_tags(_git_repo(path), sha)
            except Exception as error:  # noqa: BLE001 - tags are optional here
                warnings.append(f"Could not read tags from git: {error}")
        return Release(sha, tuple(tags), source, tuple(warnings))
    repo = _git_repo(path)
    try:
        sha = repo.head.commit.hexsha
    except ValueError:
        raise ReleaseUnknown(
            f"The git repository at {repo.working_dir!r} has no commit yet. Commit, or pass "
            "--commit SHA."
        ) from None
    return Release(sha, tuple(git_tags(repo, sha)), "git")


def resolve_git_tag(path: str | Path, tag: str) -> str | None:
    """The commit the git tag `tag` points at, or None when git or the tag is not there."""
    if find_git_directory(path) is None:
        return None
    try:
        repo = _git_repo(path)
        if tag not in repo.tags:
            return None
        return str(repo.tags[tag].commit.hexsha)
    except Exception:  # noqa: BLE001 - git is only a fallback for tags
        return None
