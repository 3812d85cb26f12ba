"""The run journal: every migration run on a database, written down before its first step.

A run (``apply_migrations``, ``rollback_migrations``, a recovery) records what it is about
to do (start set, target set, steps, who, when) in a committed row of the table
``tidemark_migration_runs`` before its first step, and closes that row when it ends. A row
still open while no session holds the migration lock belongs to a run that was
interrupted (kill -9, a power cut, a terminated database session): the database may be
half-way between two states, and the commands that change migrations refuse to go on until
the run is resolved (see `tidemark_core.recovery`).

Core creates the table when a run first needs it, outside every app's migrations, as Django
creates ``django_migrations``: it must exist before any migration runs and survive the
rollback of every app's migrations.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.apps.registry import Apps
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from .exceptions import InterruptedRun, SessionLost
from .locks import MIGRATION_LOCK, HeldLock, lock_holders
from .plan import Key, applied_migrations

if TYPE_CHECKING:
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor

    from .plan import Plan

TABLE = "tidemark_migration_runs"
"""The journal's table, one per database, created by core (see `ensure_table`)."""

RUNNING = "running"
ROLLING_BACK = "rolling_back"
SUCCEEDED = "succeeded"
ROLLED_BACK = "rolled_back"
FAILED = "failed"
RECOVERED = "recovered"
RESUMED = "resumed"
OPEN = (RUNNING, ROLLING_BACK)
"""The statuses of a run that has not ended: interrupted unless its session still runs it."""

RESOLVE_ADVICE = (
    "Restore the applied migrations it started from with `--recover`, or finish its plan "
    "with `--resume` (options of apply_migrations and rollback_migrations)."
)

_model: type[models.Model] | None = None
_in_progress: set[tuple[str, int]] = set()
"""The runs this process has open now, as ``(alias, id)``: their session is this one's."""


def run_model() -> type[models.Model]:
    """The journal's model, in a registry of its own (no app owns the table).

    Built on first use, as Django builds ``MigrationRecorder.Migration``, so importing core
    needs no app registry.
    """
    global _model
    if _model is None:

        class Run(models.Model):
            id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
            database: models.CharField[str, str] = models.CharField(max_length=100)
            command: models.CharField[str, str] = models.CharField(max_length=100)
            status: models.CharField[str, str] = models.CharField(max_length=20, default=RUNNING)
            atomic: models.BooleanField[bool, bool] = models.BooleanField(default=False)
            performed_by: models.CharField[str, str] = models.CharField(max_length=200)
            pid: models.IntegerField[int, int] = models.IntegerField()
            backend_pid: models.IntegerField[int, int] = models.IntegerField()
            started_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(
                default=timezone.now
            )
            finished_at: models.DateTimeField[datetime | None, datetime | None] = (
                models.DateTimeField(null=True)
            )
            start = models.JSONField()
            target = models.JSONField()
            steps = models.JSONField()
            done = models.JSONField(default=list)
            running: models.CharField[str, str] = models.CharField(max_length=300, default="")
            error: models.TextField[str, str] = models.TextField(default="")
            release: models.CharField[str, str] = models.CharField(max_length=64, default="")
            resolved_by_id: models.BigIntegerField[int | None, int | None] = models.BigIntegerField(
                null=True
            )

            class Meta:
                apps = Apps()
                app_label = "tidemark_core"
                db_table = TABLE

            def __str__(self) -> str:
                return f"run #{self.pk} ({self.command}, {self.status})"

        _model = Run
    return _model


def table_exists(using: str) -> bool:
    """Whether the journal's table exists on the database `using`."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
        return bool(cursor.fetchone()[0])


def ensure_table(using: str, editor: BaseDatabaseSchemaEditor | None = None) -> None:
    """Create the journal's table on `using` unless it exists (call it under the lock).

    Args:
        using: The database alias.
        editor: A schema editor of `using` to create it with (a migration's), if any.
    """
    if table_exists(using):
        return
    if editor is not None:
        editor.create_model(run_model())
        return
    with connections[using].schema_editor() as own:
        own.create_model(run_model())


def default_performer() -> str:
    """``user@host`` of this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _pairs(keys: Iterable[Key]) -> list[list[str]]:
    return [list(key) for key in sorted(keys)]


def _keys(value: Any, name: str) -> frozenset[Key]:
    if not isinstance(value, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        for pair in value
    ):
        raise ValueError(f"{name} is not a list of [app, name] pairs")
    return frozenset((app, name) for app, name in value)


def _lines(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        raise ValueError(f"{name} is not a list of strings")
    return tuple(value)


def _text(value: str) -> str:
    return value.replace("\x00", "\\0")  # PostgreSQL text cannot hold NUL


@dataclass(frozen=True)
class RunRecord:
    """One run as the journal recorded it.

    Attributes:
        id: The journal entry's id (``run #id``).
        database: The alias the run used.
        command: What ran: ``apply_migrations``, ``rollback_migrations``, or one of them
            with ``--recover`` / ``--resume``.
        status: ``running``, ``rolling_back`` (it failed and was restoring its start),
            ``succeeded``, ``rolled_back`` (it failed and restored its start), ``failed``
            (it failed and could not), ``recovered`` or ``resumed`` (it was interrupted
            and a later run resolved it).
        atomic: Whether the whole plan ran in one transaction.
        performed_by: ``user@host`` of the process.
        pid: The process id.
        backend_pid: The PostgreSQL backend PID of its session.
        started_at: When it began.
        finished_at: When it ended (None while open).
        start: The applied set before its first step.
        target: The applied set it aimed at.
        steps: Its plan, one line per step.
        done: The steps that completed, in order (after a failure, the rollback's too).
        running: The step that had started and not completed, if any.
        error: What went wrong, if anything.
        release: The commit of the release it recorded or rolled back to, if any.
        resolved_by: The run that resolved it, once interrupted and resolved.
        alive: Whether its session still holds the migration lock (it is running now).
        damage: What is wrong with the entry when it was edited by hand.
    """

    id: int
    database: str
    command: str
    status: str
    atomic: bool
    performed_by: str
    pid: int
    backend_pid: int
    started_at: datetime
    finished_at: datetime | None
    start: frozenset[Key]
    target: frozenset[Key]
    steps: tuple[str, ...]
    done: tuple[str, ...]
    running: str
    error: str
    release: str
    resolved_by: int | None
    alive: bool = False
    damage: str = ""

    @classmethod
    def from_row(cls, row: Any, holders: frozenset[int], own_pid: int | None = None) -> RunRecord:
        """The value of a journal row.

        Args:
            row: The row.
            holders: The backend PIDs holding the migration lock now.
            own_pid: This process's backend PID on that database: its session holds the
                lock for the runs this process has open, not for older entries it left.
        """
        values: dict[str, Any] = {"start": frozenset(), "target": frozenset()}
        values.update(steps=(), done=())
        problems = []
        for name, convert in (("start", _keys), ("target", _keys), ("steps", _lines)):
            try:
                values[name] = convert(getattr(row, name), name)
            except ValueError as error:
                problems.append(str(error))
        try:
            values["done"] = _lines(row.done, "done")
        except ValueError as error:
            problems.append(str(error))
        return cls(
            id=row.pk,
            database=row.database,
            command=row.command,
            status=row.status,
            atomic=row.atomic,
            performed_by=row.performed_by,
            pid=row.pid,
            backend_pid=row.backend_pid,
            started_at=row.started_at,
            finished_at=row.finished_at,
            running=row.running,
            error=row.error,
            release=row.release,
            resolved_by=row.resolved_by_id,
            alive=row.status in OPEN
            and row.backend_pid in holders
            and (row.backend_pid != own_pid or (row.database, row.pk) in _in_progress),
            damage="; ".join(problems),
            **values,
        )

    @property
    def interrupted(self) -> bool:
        """Open, while no session runs it any more: it needs `--recover` or `--resume`."""
        return self.status in OPEN and not self.alive

    @property
    def state(self) -> str:
        """The status, with ``interrupted`` for an open run nobody runs any more."""
        return "interrupted" if self.interrupted else self.status

    def progress(self) -> str:
        """How far it got, e.g. ``2 of 4 steps done; Apply shop.0003_x was running``."""
        forwards = [line for line in self.done if line in self.steps]
        text = f"{len(forwards)} of {len(self.steps)} step(s) done"
        if self.status == ROLLING_BACK:
            text += f"; it failed ({self.error.splitlines()[0] if self.error else '?'})"
            text += f" and had unapplied {len(self.done) - len(forwards)} step(s) of its rollback"
        if self.running:
            text += f"; {self.running} was running"
        return text

    def describe(self) -> str:
        """One line: ``run #3: apply_migrations, started ... by ... (process 42): ...``."""
        text = (
            f"run #{self.id}: {self.command}, started {self.started_at:%Y-%m-%d %H:%M:%S %Z} "
            f"by {self.performed_by} (process {self.pid}): {self.progress()}"
        )
        if self.damage:
            text += f". Its journal entry is damaged ({self.damage})"
        return text


def session_lost(using: str, error: BaseException) -> str:
    """The message of a run that lost its database session while `error` happened."""
    return (
        f"The database session of this run on {using!r} was lost "
        f"({type(error).__name__}: {str(error).strip()}). The run stopped at once: without "
        "its session it no longer holds the migration lock, so it ran nothing more, no "
        "rollback either. Its journal entry stays open, so the next run refuses to start "
        "until it is resolved with --recover or --resume."
    )


def alive_sql() -> tuple[str, list[str]]:
    """SQL true for a journal row whose run is open and whose session holds the lock now.

    For annotations (``RawSQL(*alive_sql(), output_field=BooleanField())``), e.g. in an
    admin list; it names the row's columns unqualified.
    """
    return (
        "(status IN ('running', 'rolling_back') AND backend_pid IN (SELECT pid FROM pg_locks"
        " WHERE locktype = 'advisory' AND granted AND objsubid = 1"
        " AND classid::bigint = (hashtextextended(%s, 0) >> 32) & 4294967295"
        " AND objid::bigint = hashtextextended(%s, 0) & 4294967295))",
        [MIGRATION_LOCK, MIGRATION_LOCK],
    )


def _sessions(using: str) -> tuple[frozenset[int], int]:
    """The backend PIDs holding the migration lock, and this session's PID."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = int(cursor.fetchone()[0])
    return lock_holders(MIGRATION_LOCK, using=using), own


def runs(using: str = DEFAULT_DB_ALIAS, *, ids: Sequence[int] | None = None) -> list[RunRecord]:
    """The runs the journal of `using` holds (or those of `ids`), oldest first."""
    if not table_exists(using):
        return []
    rows = run_model().objects.using(using).order_by("id")
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    holders, own = _sessions(using)
    return [RunRecord.from_row(row, holders, own) for row in rows]


def unresolved_runs(using: str = DEFAULT_DB_ALIAS) -> list[RunRecord]:
    """The interrupted runs of `using` nothing resolved yet, oldest first."""
    if not table_exists(using):
        return []
    rows = run_model().objects.using(using).filter(status__in=OPEN).order_by("id")
    holders, own = _sessions(using)
    found = [RunRecord.from_row(row, holders, own) for row in rows]
    return [record for record in found if record.interrupted]


def _settle_atomic(using: str, pending: list[RunRecord]) -> list[RunRecord]:
    """Close interrupted ``--atomic`` runs PostgreSQL rolled back; return the others.

    An atomic run's steps commit together or not at all, so when the applied set is still
    its start set the interruption left nothing to recover.
    """
    if not any(record.atomic for record in pending):
        return pending
    applied = applied_migrations(using)
    settled = [r for r in pending if r.atomic and not r.damage and r.start == applied]
    if settled:
        run_model().objects.using(using).filter(pk__in=[r.id for r in settled]).update(
            status=ROLLED_BACK,
            finished_at=timezone.now(),
            running="",
            error="Interrupted; PostgreSQL rolled its transaction back (--atomic), so the "
            "applied migrations are those it started from.",
        )
    return [record for record in pending if record not in settled]


def refuse_unresolved(using: str = DEFAULT_DB_ALIAS, *, advice: str = RESOLVE_ADVICE) -> None:
    """Refuse to go on while an interrupted run of `using` is unresolved.

    Call it holding the migration lock, before reading the applied set. Interrupted
    ``--atomic`` runs that PostgreSQL rolled back are closed on the way.

    Raises:
        InterruptedRun: Names each such run, how far it got, and `advice`.
    """
    pending = _settle_atomic(using, unresolved_runs(using))
    if pending:
        raise InterruptedRun(
            f"An earlier run on the database {using!r} was interrupted and never "
            "finished:\n- "
            + "\n- ".join(record.describe() for record in pending)
            + "\nThe database may be half-way between two migration states, so nothing "
            f"else runs until that is resolved. {advice}",
            tuple(pending),
        )


@dataclass
class OpenRun:
    """The journal entry of the run in progress: written before its first step.

    Every write checks first that the run's session still holds the migration lock, and
    writes nothing otherwise: a run that lost its session leaves its entry open, which is
    how the next run learns about it.

    Attributes:
        id: The entry's id.
        using: The database alias.
        lock: The migration lock the run holds.
        steps: Its plan, one line per step.
        done: The steps completed so far.
    """

    id: int
    using: str
    lock: HeldLock
    steps: list[str]
    done: list[str] = field(default_factory=list)

    @classmethod
    def begin(
        cls,
        plan: Plan,
        *,
        lock: HeldLock,
        command: str,
        atomic: bool = False,
        release: str = "",
        performed_by: str | None = None,
    ) -> OpenRun:
        """Record the run about to execute `plan` (committed before anything runs)."""
        using = plan.using
        ensure_table(using)
        steps = plan.describe()
        row = (
            run_model()
            .objects.using(using)
            .create(
                database=using,
                command=command,
                atomic=atomic,
                performed_by=performed_by or default_performer(),
                pid=os.getpid(),
                backend_pid=lock.backend_pid,
                start=_pairs(plan.current),
                target=_pairs(plan.target),
                steps=steps,
                release=release,
            )
        )
        _in_progress.add((using, row.pk))
        return cls(row.pk, using, lock, steps)

    def _update(self, **values: Any) -> bool:
        if not self.lock.held():
            return False
        run_model().objects.using(self.using).filter(pk=self.id).update(**values)
        return True

    def step_started(self, line: str) -> None:
        """`line` has started (recorded at once for a step outside a transaction)."""
        self._update(running=line)

    def step_done(self, line: str) -> None:
        """`line` completed; inside the step's transaction when it has one."""
        self.done.append(line)
        self._update(done=self.done, running="")

    def rolling_back(self, error: str) -> None:
        """The run failed with `error` and restores its start now."""
        self._update(status=ROLLING_BACK, error=_text(error), running="")

    def finish(self, status: str, *, error: str = "", release: str = "") -> bool:
        """Close the entry; False when the session lost the lock (the entry stays open)."""
        values: dict[str, Any] = {"status": status, "finished_at": timezone.now()}
        values.update(error=_text(error), running="")
        if release:
            values["release"] = release
        _in_progress.discard((self.using, self.id))
        return self._update(**values)

    @contextmanager
    def failures(self, also: Callable[[str], None] | None = None) -> Iterator[None]:
        """Close the entry as ``failed`` when the block raises, then re-raise.

        `also` gets the error's text and writes what else records the failure, in the same
        transaction. When the session lost the lock, nothing is written (the entry stays
        open for the next run to find) and `SessionLost` is raised instead.
        """
        try:
            yield
        except BaseException as error:
            if not self.lock.held():
                raise SessionLost(session_lost(self.using, error)) from error
            text = f"{type(error).__name__}: {error}"
            with transaction.atomic(using=self.using):
                if also is not None:
                    also(text)
                self.finish(FAILED, error=text)
            raise

    def record(self) -> RunRecord:
        """The entry as stored now."""
        [record] = runs(self.using, ids=[self.id])
        return record


def mark_resolved(records: Iterable[RunRecord], by: OpenRun, status: str) -> None:
    """Close interrupted `records`: `status` (``recovered``/``resumed``) by the run `by`."""
    ids = [record.id for record in records]
    if by.lock.held():
        run_model().objects.using(by.using).filter(pk__in=ids).update(
            status=status, resolved_by_id=by.id, finished_at=timezone.now(), running=""
        )
