"""`manage.py rundemo`: apply migrations all-or-nothing, record the release, seed the shop,
create the demo admin user, and serve it on :8000."""

import json
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

import tidemark_history as history
from shop.models import Category, Product

USERNAME = "admin"
PASSWORD = "tidemark-demo"
ADDRESS = "127.0.0.1:8000"


class Command(BaseCommand):
    help = "Migrate the example project, create the demo admin user and serve it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Prepare, but do not serve.")

    def handle(self, *args: Any, **options: Any) -> None:
        # apply_migrations is migrate that undoes everything it applied when one migration fails.
        call_command("apply_migrations", no_input=True, stdout=self.stdout)
        self.save_release()
        self.seed()
        user, _ = get_user_model().objects.get_or_create(
            username=USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(PASSWORD)
        user.save()
        self.show_catalog_sync()
        self.stdout.write(
            self.style.SUCCESS(
                f"\nTidemark demo: http://{ADDRESS}/admin/  user {USERNAME!r}, "
                f"password {PASSWORD!r}\n"
                f"Deploy history (saved releases, rollbacks, migration runs): "
                f"http://{ADDRESS}/admin/tidemark_migration_state/\n"
            )
        )
        if not options["no_serve"]:
            call_command("runserver", ADDRESS, use_reloader=False)

    def save_release(self) -> None:
        # Record this release's migration state, as a deploy's entrypoint does.
        try:
            call_command("save_migrations_state", path=str(settings.BASE_DIR), stdout=self.stdout)
        except CommandError as error:
            self.stdout.write(self.style.WARNING(f"Migration state not saved: {error}"))

    def show_catalog_sync(self) -> None:
        """Dump the catalog dataset, ready for `load_dataset` on another environment."""
        path = Path(tempfile.gettempdir()) / "tidemark-demo-catalog.jsonl"
        call_command("dump_dataset", "catalog", "-o", str(path))
        with path.open() as dump:
            counts = json.loads(dump.readline())["counts"]
        self.stdout.write(
            f"\nData sync: dumped the catalog dataset ({counts}) to {path}.\n"
            f"  Review loading it elsewhere with: manage.py load_dataset {path} --plan"
        )

    def seed(self) -> None:
        if Category.objects.exists():
            return
        with history.context(command="rundemo", reason="seed the shop"):
            self.seed_rows()
        events = Product.history.field.model.objects.count()  # type: ignore[attr-defined]
        self.stdout.write(f"History: {events} product events recorded while seeding.")

    def seed_rows(self) -> None:
        books = Category.objects.create(name="Books", slug="books")
        tools = Category.objects.create(name="Tools", slug="tools")
        Product.objects.bulk_create(
            [
                Product(category=books, name="The Django Book", price="39.00"),
                Product(category=books, name="PostgreSQL Internals", price="49.50"),
                Product(category=tools, name="Tide table", price="12.00", in_stock=False),
            ]
        )
