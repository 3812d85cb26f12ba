"""Settings of child processes: the suite's settings, pointed at the running test databases,
with the code (migration modules and apps) of the release the test deployed."""

import json
import os
import sys

from tests.migration_state.settings import *  # noqa: F403
from tests.migration_state.settings import DATABASES, INSTALLED_APPS

for _alias, _name in json.loads(os.environ["TIDEMARK_TEST_DATABASE_NAMES"]).items():
    DATABASES[_alias]["NAME"] = _name
    # The server notices within 0.1 s when a killed child's connection is gone, as it would
    # at the end of the running statement, and rolls its transaction back.
    DATABASES[_alias].setdefault("OPTIONS", {})["options"] = (
        "-c client_connection_check_interval=100"
    )
_code = json.loads(os.environ.get("TIDEMARK_TEST_CODE", "null"))
if _code is not None:
    sys.path.insert(0, _code["path"])
    MIGRATION_MODULES = _code["modules"]
    INSTALLED_APPS = _code["apps"]
# Children use the PostgreSQL aliases only; Django 6.1 runs the system checks of a command
# against every configured alias, and the SQLite one exists only for the E001 test.
del DATABASES["lite"]
