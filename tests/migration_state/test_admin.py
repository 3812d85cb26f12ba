"""The admin pages of releases, rollbacks and runs: read-only, linked, with permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from .admin_data import History, deploy_history

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = ("migrationstate", "rollback", "migrationrun")


def url(name: str, *args: object) -> str:
    return reverse(f"admin:tidemark_migration_state_{name}", args=args)


@pytest.fixture
def history() -> History:
    return deploy_history()


@pytest.fixture
def viewer() -> Client:
    """A staff user allowed to view the three models, and nothing more."""
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=[f"view_{model}" for model in MODELS])
    )
    client = Client()
    client.force_login(user)
    return client


def test_pages_link_releases_rollbacks_and_runs(viewer: Client, history: History) -> None:
    release = viewer.get(url("migrationstate_change", history.a.pk)).content.decode()
    assert "v1" in release
    assert url("rollback_change", history.rollback.pk) in release  # rolled back to it
    rollback = viewer.get(url("rollback_change", history.rollback.pk)).content.decode()
    assert url("migrationstate_change", history.a.pk) in rollback
    assert url("migrationstate_change", history.b.pk) in rollback  # rolled back from
    assert url("migrationrun_change", history.rollback_run.pk) in rollback
    assert ">succeeded<" in rollback
    run = viewer.get(url("migrationrun_change", history.deployed_b.pk)).content.decode()
    assert url("migrationstate_change", history.b.pk) in run  # the release it recorded
    b = viewer.get(url("migrationstate_change", history.b.pk)).content.decode()
    assert url("migrationrun_change", history.deployed_b.pk) in b  # the run that recorded it
    assert url("rollback_change", history.rollback.pk) in b  # rolled back from it
    assert url("migrationstate_change", history.a.pk) in b  # previous release, by lineage


def test_interrupted_failed_and_damaged_records_are_shown_as_such(
    viewer: Client, history: History
) -> None:
    runs = viewer.get(url("migrationrun_changelist")).content.decode()
    assert runs.count("INTERRUPTED") == 1
    assert "rolled back" in runs
    interrupted = viewer.get(url("migrationrun_change", history.interrupted.pk)).content.decode()
    assert "1 of 1 step(s) done" in interrupted
    failed = viewer.get(url("migrationrun_change", history.failed.pk)).content.decode()
    assert "apply_migrations failed in shop.0003_fails" in failed
    damaged = viewer.get(url("migrationstate_change", history.damaged.pk)).content.decode()
    assert "damaged: applied is null, not a list of [app, name] pairs" in damaged
    releases = viewer.get(url("migrationstate_changelist")).content.decode()
    assert releases.count("damaged: ") == 1


def test_nothing_can_be_added_changed_or_deleted(viewer: Client, history: History) -> None:
    superuser = User.objects.create_superuser("root", password="pw")
    root = Client()
    root.force_login(superuser)
    for client in (viewer, root):
        for model, obj in (
            ("migrationstate", history.a),
            ("rollback", history.rollback),
            ("migrationrun", history.deployed_b),
        ):
            changelist = client.get(url(f"{model}_changelist"))
            assert changelist.status_code == 200
            assert url(f"{model}_add") not in changelist.content.decode()
            assert 'name="action"' not in changelist.content.decode()  # no bulk delete
            assert client.get(url(f"{model}_add")).status_code == 403
            assert client.get(url(f"{model}_delete", obj.pk)).status_code == 403
            assert client.post(url(f"{model}_delete", obj.pk), {"post": "yes"}).status_code == 403
            page = client.get(url(f"{model}_change", obj.pk))
            assert page.status_code == 200
            assert 'name="_save"' not in page.content.decode()
            assert client.post(url(f"{model}_change", obj.pk), {}).status_code == 403
    history.a.refresh_from_db()
    assert history.a.tags == ["v1"]


def test_without_the_view_permission_the_pages_are_refused(history: History) -> None:
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client = Client()
    client.force_login(staff)

    for model in MODELS:
        assert client.get(url(f"{model}_changelist")).status_code == 403
    assert client.get(url("migrationrun_change", history.deployed_b.pk)).status_code == 403
    anonymous = Client().get(url("migrationstate_changelist"))
    assert anonymous.status_code == 302


def test_a_rollback_cut_off_shows_how_it_ended(viewer: Client, history: History) -> None:
    from tidemark_migration_state.models import MigrationRun, Rollback

    def cut_off(run: MigrationRun) -> Rollback:
        return Rollback.objects.create(
            database="default",
            to_state=history.a,
            applied_before=[],
            steps=[],
            performed_by="ops@host",
            run=run,
        )

    interrupted = cut_off(history.interrupted)
    MigrationRun.objects.filter(pk=history.failed.pk).update(status="recovered")
    recovered = cut_off(history.failed)

    page = viewer.get(url("rollback_changelist")).content.decode()

    assert page.count(">interrupted<") == 1
    assert ">interrupted, recovered<" in page
    assert url("rollback_change", interrupted.pk) in page
    assert url("rollback_change", recovered.pk) in page


def test_lists_show_the_database_only_when_there_are_several(
    viewer: Client, history: History
) -> None:
    from tidemark_migration_state.models import MigrationRun, MigrationState

    def lists() -> tuple[str, str]:
        releases = viewer.get(url("migrationstate_changelist")).content.decode()
        return releases, viewer.get(url("migrationrun_changelist")).content.decode()

    releases, runs = lists()
    MigrationState.objects.create(
        database="reporting", commit="d" * 40, applied=[], leaves=[], django_version="5.2"
    )
    MigrationRun.objects.filter(pk=history.failed.pk).update(database="reporting")
    releases_of_two, runs_of_two = lists()

    assert "column-database" not in releases
    assert 'id="changelist-filter"' not in releases  # its only filter is the database
    assert "?database=default" not in runs
    assert 'id="changelist-filter"' in runs  # by command and status
    assert "column-database" in releases_of_two
    assert ">reporting<" in releases_of_two
    assert "?database=reporting" in releases_of_two
    assert "?database=reporting" in runs_of_two
