"""The docs test itself: it fails when an example is wrong, so a passing run means something."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.docs import console
from tests.docs.output import missing_output
from tests.docs.pages import ALIASES, Page

FENCE = "```"


def page(tmp_path: Path, text: str) -> Page:
    path = tmp_path / "page.md"
    path.write_text(textwrap.dedent(text).replace("'''", FENCE))
    directory = tmp_path / "run"
    directory.mkdir()
    return Page(path, directory)


def test_shown_output_must_be_printed_in_order() -> None:
    printed = "Running rollback from commit \"3f2c9e01\" ['v1.2.0']\n  one\n  two\nDone."
    assert missing_output(["Running rollback from commit \"a81b…\" ['v1.2.0']"], printed) is None
    assert missing_output(["one", "...", "Done."], printed) is None
    assert missing_output(["two", "one"], printed) == (
        "line 2 of the shown output is not in what the command printed "
        "(after the lines matched before it): 'one'"
    )
    assert missing_output(["Done!"], printed) is not None
    assert (
        missing_output(
            ["curr >>> 2026-11-20 14:02:11 state"], "curr >>>  2027-01-02 03:04:05   state"
        )
        is None
    )


def test_console_blocks_split_into_commands_and_output() -> None:
    prompted = console.parse(
        "# a comment\n$ ./manage.py check\nSystem check identified no issues\n$ make test\n"
    )
    assert [(command.text, command.output) for command in prompted] == [
        ("./manage.py check", ["System check identified no issues"]),
        ("make test", []),
    ]
    bare = console.parse("make demo   # serve it\nmake test\n")
    assert [command.text for command in bare] == ["make demo   # serve it", "make test"]
    with pytest.raises(console.ConsoleError, match="output before the first"):
        console.parse("stray\n$ make test\n")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("make tests", "no target 'tests'"),
        ('make test ARG="history"', "does not read the variable ARG"),
        ("pip install django-tidemark-histroy", "not a distribution of this repository"),
        ('pip install "django-tidemark-history[postgres]"', "has no extra"),
        ("pip install django-tidemark-history==9.9.9", "the version here is"),
        ("pip install dist/django_tidemark_core-9.9.9-py3-none-any.whl", "the version here is"),
        ("pip install --find-links wheels django-tidemark-core", "wheels are found in dist/"),
        ("pip uninstall django-tidemark-core", "not one of the tools Tidemark replaces"),
        ("docker build .", "put commands of the reader's own environment in a ```sh block"),
    ],
)
def test_console_commands_that_do_not_hold_fail(line: str, message: str) -> None:
    with pytest.raises(console.ConsoleError, match=message.replace("[", r"\[")):
        console.run(console.Command(line))


def test_console_commands_that_hold_pass() -> None:
    for line in (
        'make test ARGS="history -k context"',
        "make demo && make docs",
        'pip install "django-tidemark-history[psycopg]"',
        "pip install --find-links dist/ django-tidemark-data-sync",
        "pip uninstall django-rollback",
    ):
        console.run(console.Command(line))


def test_make_output_cannot_be_shown_in_a_console_block() -> None:
    with pytest.raises(console.ConsoleError, match="show other output in a ```text block"):
        console.run(console.Command("make bench", ["ratio 2.0x"]))


@pytest.mark.django_db(transaction=True, databases=list(ALIASES))
@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            """
            '''python
            product = Product.objects.create(name="Lamp")
            '''
            """,
            NameError,
            "Product",
        ),
        (
            """
            '''python
            from django.db import models


            class Product(models.Model):
                name = models.CharField(max_length=20)
            '''

            '''python
            Product.objects.create(name="Lamp")
            assert Product.objects.count() == 2
            '''
            """,
            AssertionError,
            None,
        ),
        (
            """
            '''python
            TIDEMARK_HISTORY_RETENTION = 30
            '''
            """,
            AssertionError,
            "TIDEMARK_HISTORY_RETENTION is neither a Django nor a Tidemark setting",
        ),
        (
            """
            '''python
            INSTALLED_APPS = ["tidemark_histroy"]
            '''
            """,
            AssertionError,
            "INSTALLED_APPS names apps that do not exist",
        ),
        (
            """
            '''python
            TIDEMARK_DATA_SYNC_LOCK_TIMEOUT = -1
            '''
            """,
            AssertionError,
            "system checks fail",
        ),
        (
            """
            '''console
            $ python manage.py rollback_migrations --list
            No state saved yet!
            '''
            """,
            console.ConsoleError,
            "'No state saved yet!'",
        ),
        (
            """
            '''console
            $ python manage.py rollback_migrations --tag v9
            CommandError: nothing
            '''
            """,
            console.ConsoleError,
            "'CommandError: nothing'",
        ),
        (
            """
            '''console
            python manage.py rollback_migrations --tag v9
            '''
            """,
            console.ConsoleError,
            "should succeed but exited 1",
        ),
    ],
    ids=[
        "undefined name",
        "models migrated, assertion fails",
        "unknown setting",
        "unknown app",
        "bad setting value",
        "output not printed",
        "other error",
        "unexpected failure",
    ],
)
def test_a_page_whose_example_does_not_hold_fails(
    tmp_path: Path, text: str, error: type[Exception], message: str | None
) -> None:
    with pytest.raises(error, match=message):
        page(tmp_path, text).run()


@pytest.mark.django_db(transaction=True, databases=list(ALIASES))
def test_pages_start_afresh(tmp_path: Path) -> None:
    """Models, tables, modules and settings of one page are gone for the next."""
    first = """
        '''python
        # settings.py
        TIDEMARK_DATA_SYNC_DATASETS = "shop.datasets.datasets"
        '''

        '''python
        # shop/datasets.py
        def datasets():
            return {"everything": {"specs": lambda args: [{"model": "shop.thing"}]}}
        '''

        '''python
        import tidemark_history as history
        from django.db import models


        @history.track()
        class Thing(models.Model):
            name = models.CharField(max_length=20)
        '''

        '''console
        $ python manage.py dump_dataset everything -o things.jsonl
        '''
        """
    (tmp_path / "one").mkdir()
    page(tmp_path / "one", first).run()
    second = """
        '''python
        from django.apps import apps
        from django.conf import settings
        from django.db import connection

        assert not list(apps.get_app_config("shop").get_models())
        assert not hasattr(settings, "TIDEMARK_DATA_SYNC_DATASETS")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'shop_%'")
            assert cursor.fetchone() == (0,)
        try:
            import shop.datasets
        except ImportError:
            pass
        else:
            raise AssertionError("shop.datasets outlived its page")
        '''
        """
    (tmp_path / "two").mkdir()
    page(tmp_path / "two", second).run()
