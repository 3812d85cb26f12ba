"""``python example_project/demo.py run | manage | clean``: what ``make demo`` and friends run."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys

from tidemark_core.devdb import DATA_DIRECTORY_NAME, database_url

from .narrator import DEMO_DIRECTORY, PASSWORD, REPOSITORY, USERNAME, DemoError, Narrator
from .steps import STEPS, prepare

ADDRESS = "127.0.0.1:8000"
DEVDB = REPOSITORY / DATA_DIRECTORY_NAME


def server_url() -> str:
    """``DATABASE_URL``, else the embedded PostgreSQL of this checkout (started if needed)."""
    # The demo's checkout is a git repository of its own: keep the server of this one.
    os.environ.setdefault("TIDEMARK_DEVDB_DIR", str(DEVDB))
    return database_url()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="Tell the story, then serve the admin.")
    run_parser.add_argument("--no-serve", action="store_true", help="Tell it, do not serve.")
    run_parser.add_argument("--address", default=ADDRESS, help=f"Where to serve ({ADDRESS}).")
    manage_parser = commands.add_parser("manage", help="manage.py in the demo's checkout.")
    manage_parser.add_argument("arguments", nargs=argparse.REMAINDER)
    commands.add_parser("clean", help="Drop the demo's databases and remove its checkout.")
    options = parser.parse_args(argv)
    if options.command == "run":
        return run(serve=not options.no_serve, address=options.address)
    if options.command == "manage":
        return manage(options.arguments)
    return clean()


def run(*, serve: bool, address: str) -> int:
    if serve and in_use(address):
        print(f"{address} is in use (a demo still running?): stop it first.", file=sys.stderr)
        return 1
    narrator = Narrator(server_url())
    try:
        prepare(narrator)
        for step in STEPS:
            step(narrator)
    except DemoError as error:
        print(f"\nThe demo stopped: {error}", file=sys.stderr)
        return 1
    finish(narrator, address)
    return narrator.serve(address) if serve else 0


def finish(n: Narrator, address: str) -> None:
    n.heading("The admin")
    n.say(
        f"http://{address}/admin/ (user {USERNAME!r}, password {PASSWORD!r}). The deploy "
        f"history is at http://{address}/admin/tidemark_migration_state/: the saved releases "
        "v1 and v2, the rollback from v2 to v1, and every migration run (v3's rolled back)."
    )
    n.write()
    n.say(f"manage.py against the demo's databases (the checkout at {n.checkout.head()}), e.g.:")
    n.write('  make demo-manage ARGS="rollback_migrations --list"')
    n.write('  TIDEMARK_DEMO_ENVIRONMENT=staging make demo-manage ARGS="showmigrations shop"')
    n.write("make demo tells the story again from a clean state; make clean removes it all.")


def manage(arguments: list[str]) -> int:
    """Run ``manage.py`` with `arguments` in the checkout, on the demo's databases."""
    narrator = Narrator(server_url())
    if not (narrator.checkout.path / "manage.py").exists():
        print("The demo's checkout does not exist yet: run make demo first.", file=sys.stderr)
        return 1
    environment = narrator.environment(os.environ.get("TIDEMARK_DEMO_ENVIRONMENT", "production"))
    command = [sys.executable, "manage.py", *arguments]
    return subprocess.call(command, cwd=narrator.checkout.path, env=environment)


def clean() -> int:
    """Drop the demo's databases (where a server holds them) and remove the checkout."""
    if os.environ.get("DATABASE_URL") or (DEVDB / "pgdata").exists():
        narrator = Narrator(server_url())
        narrator.clean()
        print(f"Dropped the databases {narrator.database} and {narrator.staging_database}.")
    shutil.rmtree(DEMO_DIRECTORY, ignore_errors=True)
    print(f"Removed {DEMO_DIRECTORY}.")
    return 0


def in_use(address: str) -> bool:
    host, _, port = address.rpartition(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) == 0
